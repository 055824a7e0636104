import { type SyntheticEvent, useState } from "react";

import type { Account, MovementType, Transaction } from "../api/types";
import { useSearchParam } from "../app/router";
import { useApi } from "../app/services";
import { formatMoney, parseAmount } from "../money/amount";
import type { SessionView } from "../session/sessions";
import { accountName } from "../ui/accounts";
import { announce } from "../ui/announcer";
import { RadioGroup, SelectField, SubmitButton } from "../ui/fields";
import { ErrorSummary, type FieldErrors, useFormErrors } from "../ui/form";
import { useIdempotencyKey, useLoad, useSubmitting } from "../ui/hooks";
import { LoadState } from "../ui/LoadState";
import { Notice } from "../ui/Notice";
import { AccountOptions, AmountField, DescriptionField } from "../ui/moneyFields";
import { Page } from "../ui/Page";

type Field = "account" | "type" | "amount" | "description";
const FIELDS: readonly Field[] = ["account", "type", "amount", "description"];
const idFor = (field: Field) => (field === "type" ? "movement-type-deposit" : `movement-${field}`);
const MAPPING = {
  fields: { account_id: "account" as const, currency: "account" as const },
  codes: {
    insufficient_funds: "amount" as const,
    account_inactive: "account" as const,
    currency_mismatch: "account" as const,
    not_found: "account" as const,
  },
};

export function MovementPage({ session }: { session: SessionView }) {
  const api = useApi();
  const preset = useSearchParam("account") ?? "";
  const accounts = useLoad(`accounts:${session.userId}`, () => api.listAccounts({ limit: 200 }));
  const [accountId, setAccountId] = useState(preset);
  const [type, setType] = useState<MovementType>("deposit");
  const [amount, setAmount] = useState("");
  const [description, setDescription] = useState("");
  const [done, setDone] = useState<{ movement: Transaction; account: Account } | null>(null);
  const form = useFormErrors<Field>(FIELDS, idFor, MAPPING);
  const { busy, run } = useSubmitting();
  const idempotency = useIdempotencyKey();

  const items = accounts.data?.items ?? [];
  const account = items.find((a) => a.id === accountId);

  const changed = (field: Field) => {
    form.setFieldError(field, undefined);
    idempotency.renew();
    setDone(null);
  };

  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    void run(async () => {
      const problems: FieldErrors<Field> = {};
      let minor = 0;
      if (!account) {
        problems.account = "Choose an account.";
      } else {
        const parsed = parseAmount(amount, account.currency);
        if (parsed.ok) {
          minor = parsed.minor;
          if (type === "withdrawal" && minor > account.balance) {
            problems.amount = `The balance is ${formatMoney(account.balance, account.currency)}; you cannot withdraw more.`;
          }
        } else {
          problems.amount = parsed.message;
        }
      }
      if (form.showClientErrors(problems) || !account) {
        return;
      }
      try {
        const body = { account_id: account.id, type, amount: minor, currency: account.currency, ...(description.trim() ? { description: description.trim() } : {}) };
        const movement = await api.postMovement(body, idempotency.key);
        idempotency.renew();
        setDone({ movement, account });
        setAmount("");
        setDescription("");
        announce(describeMovement(movement));
        accounts.reload();
      } catch (error) {
        form.showApiError(error);
      }
    });
  };

  return (
    <Page title="Deposit or withdraw">
      <LoadState loading={accounts.loading && !accounts.data} error={accounts.error} what="Accounts" retry={accounts.reload} />
      {done ? (
        <Notice kind="success" live="none">
          <p data-testid="movement-result">{describeMovement(done.movement)}</p>
        </Notice>
      ) : null}
      <ErrorSummary form={form} />
      <form className="form" onSubmit={submit} noValidate aria-labelledby="page-title">
        <SelectField
          id={idFor("account")}
          label="Account"
          value={accountId}
          error={form.errors.account}
          onChange={(event) => {
            setAccountId(event.target.value);
            changed("account");
          }}
        >
          <AccountOptions accounts={items} />
        </SelectField>
        <RadioGroup<MovementType>
          id="movement-type"
          legend="What do you want to do?"
          name="movement-type"
          value={type}
          inline
          error={form.errors.type}
          onChange={(value) => {
            setType(value);
            changed("type");
          }}
          options={[
            { value: "deposit", label: "Deposit" },
            { value: "withdrawal", label: "Withdraw" },
          ]}
        />
        <AmountField
          id={idFor("amount")}
          currency={account?.currency}
          value={amount}
          error={form.errors.amount}
          onChange={(value) => {
            setAmount(value);
            changed("amount");
          }}
        />
        <DescriptionField
          id={idFor("description")}
          value={description}
          error={form.errors.description}
          onChange={(value) => {
            setDescription(value);
            changed("description");
          }}
        />
        <SubmitButton busy={busy} busyLabel="Sending…">
          {type === "deposit" ? "Deposit" : "Withdraw"}
        </SubmitButton>
      </form>
      {account ? <p className="muted">Selected: {accountName(account)}.</p> : null}
    </Page>
  );
}

function describeMovement(movement: Transaction): string {
  const verb = movement.type === "deposit" ? "Deposited" : "Withdrew";
  return `${verb} ${formatMoney(movement.amount, movement.currency)}. The balance is now ${formatMoney(movement.balance_after, movement.currency)}.`;
}
