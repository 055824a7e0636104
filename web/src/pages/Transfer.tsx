import { type SyntheticEvent, useState } from "react";

import type { Transfer, TransferCreate } from "../api/types";
import { useApi } from "../app/services";
import { formatMoney, parseAmount } from "../money/amount";
import type { SessionView } from "../session/sessions";
import { shortId } from "../ui/accounts";
import { announce } from "../ui/announcer";
import { SelectField, SubmitButton, TextField } from "../ui/fields";
import { ErrorSummary, type FieldErrors, useFormErrors } from "../ui/form";
import { useIdempotencyKey, useLoad, useSubmitting } from "../ui/hooks";
import { LoadState } from "../ui/LoadState";
import { Notice } from "../ui/Notice";
import { AccountOptions, AmountField, DescriptionField } from "../ui/moneyFields";
import { Page } from "../ui/Page";

type Field = "from" | "to" | "other" | "amount" | "description";
const FIELDS: readonly Field[] = ["from", "to", "other", "amount", "description"];
const idFor = (field: Field) => `transfer-${field}`;
const OTHER = "__other__";

export function TransferPage({ session }: { session: SessionView }) {
  const api = useApi();
  const accounts = useLoad(`accounts:${session.userId}`, () => api.listAccounts({ limit: 200 }));
  const [fromId, setFromId] = useState("");
  const [toId, setToId] = useState("");
  const [otherId, setOtherId] = useState("");
  const [amount, setAmount] = useState("");
  const [description, setDescription] = useState("");
  const [done, setDone] = useState<Transfer | null>(null);
  const toTarget = toId === OTHER ? "other" : "to";
  const form = useFormErrors<Field>(FIELDS, idFor, {
    fields: { from_account_id: "from", to_account_id: toTarget, currency: "to", amount: "amount", description: "description" },
    codes: {
      insufficient_funds: "amount",
      same_account: toTarget,
      currency_mismatch: toTarget,
      account_inactive: "from",
      not_found: toTarget,
    },
  });
  const { busy, run } = useSubmitting();
  const idempotency = useIdempotencyKey();

  const items = accounts.data?.items ?? [];
  const from = items.find((a) => a.id === fromId);
  const to = items.find((a) => a.id === toId);

  const changed = (field: Field) => {
    form.setFieldError(field, undefined);
    idempotency.renew();
    setDone(null);
  };

  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    void run(async () => {
      const problems: FieldErrors<Field> = {};
      const destination = toId === OTHER ? otherId.trim() : toId;
      let minor = 0;
      if (!from) {
        problems.from = "Choose the account to send from.";
      }
      if (!toId) {
        problems.to = "Choose the account to send to.";
      } else if (toId === OTHER && !destination) {
        problems.other = "Enter the id of the account to send to.";
      } else if (from && destination === from.id) {
        problems[toTarget] = "Choose a different account from the one you send from.";
      } else if (from && to && to.currency !== from.currency) {
        problems.to = `Both accounts must hold the same currency (${from.currency}).`;
      }
      if (from) {
        const parsed = parseAmount(amount, from.currency);
        if (!parsed.ok) {
          problems.amount = parsed.message;
        } else if (parsed.minor > from.balance) {
          problems.amount = `The balance is ${formatMoney(from.balance, from.currency)}; you cannot send more.`;
        } else {
          minor = parsed.minor;
        }
      }
      if (form.showClientErrors(problems) || !from) {
        return;
      }
      const body: TransferCreate = { from_account_id: from.id, to_account_id: destination, amount: minor, currency: from.currency };
      if (description.trim()) {
        body.description = description.trim();
      }
      try {
        const transfer = await api.transfer(body, idempotency.key);
        idempotency.renew();
        setDone(transfer);
        setAmount("");
        setDescription("");
        announce(describeTransfer(transfer));
        accounts.reload();
      } catch (error) {
        form.showApiError(error);
      }
    });
  };

  return (
    <Page title="Transfer money">
      <LoadState loading={accounts.loading && !accounts.data} error={accounts.error} what="Accounts" retry={accounts.reload} />
      {done ? (
        <Notice kind="success" live="none">
          <p data-testid="transfer-result">{describeTransfer(done)}</p>
        </Notice>
      ) : null}
      <ErrorSummary form={form} />
      <form className="form" onSubmit={submit} noValidate aria-labelledby="page-title">
        <SelectField
          id={idFor("from")}
          label="From"
          value={fromId}
          error={form.errors.from}
          onChange={(event) => {
            setFromId(event.target.value);
            changed("from");
          }}
        >
          <AccountOptions accounts={items} />
        </SelectField>
        <SelectField
          id={idFor("to")}
          label="To"
          value={toId}
          error={form.errors.to}
          onChange={(event) => {
            setToId(event.target.value);
            changed("to");
          }}
        >
          <AccountOptions accounts={items.filter((a) => a.id !== fromId)} />
          <option value={OTHER}>Another account (enter its id)</option>
        </SelectField>
        {toId === OTHER ? (
          <TextField
            id={idFor("other")}
            label="Account id to send to"
            spellCheck={false}
            autoComplete="off"
            value={otherId}
            error={form.errors.other}
            onChange={(event) => {
              setOtherId(event.target.value);
              changed("other");
            }}
          />
        ) : null}
        <AmountField
          id={idFor("amount")}
          currency={from?.currency}
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
          Transfer
        </SubmitButton>
      </form>
    </Page>
  );
}

function describeTransfer(transfer: Transfer): string {
  return `Transferred ${formatMoney(transfer.amount, transfer.currency)} from the account ending ${shortId(transfer.from_account_id)} to the account ending ${shortId(transfer.to_account_id)}.`;
}
