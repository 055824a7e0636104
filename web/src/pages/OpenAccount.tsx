import { type SyntheticEvent, useState } from "react";

import type { AccountCreate, AccountType } from "../api/types";
import { navigate, useSearchParam } from "../app/router";
import { useApi } from "../app/services";
import { CURRENCIES } from "../money/currencies";
import type { SessionView } from "../session/sessions";
import { accountTypeName } from "../ui/accounts";
import { setFlash } from "../ui/announcer";
import { RadioGroup, SelectField, SubmitButton } from "../ui/fields";
import { ErrorSummary, type FieldErrors, useFormErrors } from "../ui/form";
import { useIdempotencyKey, useLoad, useSubmitting } from "../ui/hooks";
import { Page } from "../ui/Page";
import { holderName } from "../ui/people";

type Field = "type" | "currency" | "holder_id";
const FIELDS: readonly Field[] = ["holder_id", "type", "currency"];
const idFor = (field: Field) => (field === "type" ? "open-type-checking" : `open-${field}`);

export const COMMON_CURRENCIES = ["USD", "EUR", "GBP", "AED", "CHF", "JPY", "KWD", "SAR", "INR", "CAD", "AUD"] as const;

export function CurrencyOptions() {
  const others = Object.keys(CURRENCIES).filter((code) => !(COMMON_CURRENCIES as readonly string[]).includes(code));
  return (
    <>
      <optgroup label="Common currencies">
        {COMMON_CURRENCIES.map((code) => (
          <option key={code} value={code}>
            {code} — {CURRENCIES[code]?.name}
          </option>
        ))}
      </optgroup>
      <optgroup label="All currencies">
        {others.map((code) => (
          <option key={code} value={code}>
            {code} — {CURRENCIES[code]?.name}
          </option>
        ))}
      </optgroup>
    </>
  );
}

export function OpenAccountPage({ session }: { session: SessionView }) {
  const api = useApi();
  const staff = session.role !== "customer";
  const presetHolder = useSearchParam("holder") ?? "";
  const holders = useLoad(staff ? "holders" : null, () => api.listAccountHolders({ limit: 200 }));
  const [type, setType] = useState<AccountType>("checking");
  const [currency, setCurrency] = useState("USD");
  const [holderId, setHolderId] = useState(presetHolder);
  const form = useFormErrors<Field>(FIELDS, idFor, { fields: { type: "type", currency: "currency", holder_id: "holder_id" } });
  const { busy, run } = useSubmitting();
  const idempotency = useIdempotencyKey();

  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    void run(async () => {
      const problems: FieldErrors<Field> = {};
      if (staff && !holderId) {
        problems.holder_id = "Choose the account holder.";
      }
      if (!CURRENCIES[currency]) {
        problems.currency = "Choose a currency.";
      }
      if (form.showClientErrors(problems)) {
        return;
      }
      const body: AccountCreate = { type, currency };
      if (staff) {
        body.holder_id = holderId;
      }
      try {
        const account = await api.openAccount(body, idempotency.key);
        idempotency.renew();
        setFlash(`${accountTypeName(account.type)} account in ${account.currency} opened.`);
        navigate("/accounts");
      } catch (error) {
        form.showApiError(error);
      }
    });
  };

  return (
    <Page title="Open an account">
      <ErrorSummary form={form} />
      <form className="form" onSubmit={submit} noValidate aria-labelledby="page-title">
        {staff ? (
          <SelectField
            id="open-holder_id"
            label="Account holder"
            value={holderId}
            error={form.errors.holder_id}
            onChange={(event) => {
              setHolderId(event.target.value);
              idempotency.renew();
            }}
          >
            <option value="">Choose a holder</option>
            {(holders.data?.items ?? []).map((holder) => (
              <option key={holder.id} value={holder.id}>
                {holderName(holder)}{holder.dob ? ` (born ${holder.dob})` : ""}
              </option>
            ))}
            {presetHolder && !holders.data?.items.some((h) => h.id === presetHolder) ? (
              <option value={presetHolder}>{presetHolder}</option>
            ) : null}
          </SelectField>
        ) : null}
        <RadioGroup<AccountType>
          id="open-type"
          legend="Type of account"
          name="type"
          value={type}
          error={form.errors.type}
          onChange={(value) => {
            setType(value);
            idempotency.renew();
          }}
          options={[
            { value: "checking", label: "Checking", hint: "For everyday payments." },
            { value: "savings", label: "Savings", hint: "For money you put aside." },
          ]}
        />
        <SelectField
          id="open-currency"
          label="Currency"
          hint="The account holds money in one currency only."
          value={currency}
          error={form.errors.currency}
          onChange={(event) => {
            setCurrency(event.target.value);
            idempotency.renew();
          }}
        >
          <CurrencyOptions />
        </SelectField>
        <SubmitButton busy={busy} busyLabel="Opening…">
          Open account
        </SubmitButton>
      </form>
    </Page>
  );
}
