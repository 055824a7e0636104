// The card registration form (source brief 001): real-time client-side checks of the number
// (Luhn and brand), expiry, security code and holder name, clear messages next to each field,
// and the service's answer shown masked.
//
// The card number and the security code live only in this form's state. They are cleared the
// moment the request is sent, whatever the answer, so nothing keeps them after submission; they
// are never logged, never put in a URL and never stored by the app (autocomplete is off too).

import { type SyntheticEvent, useMemo, useState } from "react";

import type { CardRegistration, CardRegistrationCreate } from "../api/types";
import { useApi } from "../app/services";
import {
  BRAND_NAMES,
  type Brand,
  cardDigits,
  checkCardNumber,
  checkCvv,
  checkExpiry,
  checkHolderName,
} from "../cards/validation";
import type { SessionView } from "../session/sessions";
import { announce } from "../ui/announcer";
import { SelectField, SubmitButton, TextField } from "../ui/fields";
import { ErrorSummary, type FieldErrors, useFormErrors } from "../ui/form";
import { useIdempotencyKey, useLoad, useSubmitting } from "../ui/hooks";
import { Notice } from "../ui/Notice";
import { Page } from "../ui/Page";
import { holderName } from "../ui/people";

type Field = "card_number" | "expiry_date" | "cvv" | "cardholder_name" | "holder_id" | "external_ref";
const FIELDS: readonly Field[] = ["card_number", "expiry_date", "cvv", "cardholder_name", "holder_id", "external_ref"];
const idFor = (field: Field) => `card-${field.replace("_", "-")}`;
const MAPPING = {
  codes: {
    invalid_card_number: "card_number" as const,
    card_already_registered: "card_number" as const,
    card_expired: "expiry_date" as const,
    invalid_cvv: "cvv" as const,
  },
};

const LABELS: Readonly<Record<Field, string>> = {
  card_number: "Card number",
  expiry_date: "Expiry date",
  cvv: "Security code",
  cardholder_name: "Name on the card",
  holder_id: "Customer",
  external_ref: "Your reference",
};

interface Values {
  card_number: string;
  expiry_date: string;
  cvv: string;
  cardholder_name: string;
  holder_id: string;
  external_ref: string;
}

const STATUS_TEXT: Readonly<Record<string, string>> = {
  pending: "pending review by the firm",
  approved: "approved",
  rejected: "rejected",
};

function checkField(field: Field, values: Values, brand: Brand | null, staff: boolean): string | undefined {
  const verdict = (result: { ok: true } | { ok: false; message: string }) => (result.ok ? undefined : result.message);
  switch (field) {
    case "card_number":
      return verdict(checkCardNumber(values.card_number).result);
    case "expiry_date": {
      const result = checkExpiry(values.expiry_date, new Date());
      return result.ok ? undefined : result.message;
    }
    case "cvv":
      return verdict(checkCvv(values.cvv, brand, !staff));
    case "cardholder_name":
      return verdict(checkHolderName(values.cardholder_name));
    case "external_ref":
      return values.external_ref.length > 255 ? "The reference must have at most 255 characters." : undefined;
    case "holder_id":
      return undefined;
  }
}

export function CardRegistrationPage({ session }: { session: SessionView }) {
  const api = useApi();
  const staff = session.role !== "customer";
  const holders = useLoad(staff ? "holders" : null, () => api.listAccountHolders({ limit: 200 }));
  const [values, setValues] = useState<Values>({
    card_number: "",
    expiry_date: "",
    cvv: "",
    cardholder_name: staff ? "" : session.displayName,
    holder_id: "",
    external_ref: "",
  });
  const [touched, setTouched] = useState<Partial<Record<Field, boolean>>>({});
  const [result, setResult] = useState<CardRegistration | null>(null);
  const form = useFormErrors<Field>(FIELDS, idFor, MAPPING);
  const { busy, run } = useSubmitting();
  const idempotency = useIdempotencyKey();

  const brand = useMemo(() => checkCardNumber(values.card_number).brand, [values.card_number]);
  const digitsTyped = cardDigits(values.card_number).length;

  const validate = (field: Field, next: Values) => {
    form.setFieldError(field, checkField(field, next, checkCardNumber(next.card_number).brand, staff));
  };

  const change = (field: Field, value: string) => {
    const next = { ...values, [field]: value };
    setValues(next);
    idempotency.renew();
    setResult(null);
    // Real-time: once a field has been left (or the form submitted), re-check it as it changes.
    if (touched[field]) {
      validate(field, next);
    } else {
      form.setFieldError(field, undefined);
    }
    if (field === "card_number" && touched.cvv && next.cvv) {
      validate("cvv", next); // the brand decides how long the security code is
    }
  };

  const leave = (field: Field) => {
    setTouched((current) => ({ ...current, [field]: true }));
    if (values[field] !== "" || touched[field]) {
      const message = checkField(field, values, brand, staff);
      form.setFieldError(field, message);
      // Said once, as the person leaves the field; not on every key press.
      if (message && message !== form.errors[field]) {
        announce(`${LABELS[field]}: ${message}`);
      }
    }
  };

  const bind = (field: Field) => ({
    id: idFor(field),
    value: values[field],
    error: form.errors[field],
    onChange: (event: { target: { value: string } }) => {
      change(field, event.target.value);
    },
    onBlur: () => {
      leave(field);
    },
  });

  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    void run(async () => {
      const problems: FieldErrors<Field> = {};
      for (const field of FIELDS) {
        const message = checkField(field, values, brand, staff);
        if (message) {
          problems[field] = message;
        }
      }
      setTouched(Object.fromEntries(FIELDS.map((f) => [f, true])));
      if (form.showClientErrors(problems)) {
        return;
      }
      const body: CardRegistrationCreate = {
        card_number: cardDigits(values.card_number),
        expiry_date: values.expiry_date.trim(),
        cardholder_name: values.cardholder_name.trim(),
      };
      if (values.cvv.trim()) {
        body.cvv = values.cvv.trim();
      }
      if (staff && values.holder_id) {
        body.holder_id = values.holder_id;
      }
      if (staff && values.external_ref.trim()) {
        body.external_ref = values.external_ref.trim();
      }
      // Forget the number and the code now: the request has them, the form no longer does.
      setValues((current) => ({ ...current, card_number: "", cvv: "" }));
      setTouched({});
      try {
        const registration = await api.registerCard(body, idempotency.key);
        idempotency.renew();
        setResult(registration);
        setValues((current) => ({ ...current, expiry_date: "", external_ref: "" }));
        form.clear();
        announce(describeRegistration(registration));
      } catch (error) {
        form.showApiError(error);
      }
    });
  };

  return (
    <Page
      title="Register a card"
      lead={staff ? "Register a card a customer brought to the firm." : "Add a card you already hold, so the firm can link it to your profile."}
    >
      {result ? (
        <Notice kind="success" live="none">
          <p data-testid="registration-result">{describeRegistration(result)}</p>
          <p>
            Registration id: <code>{result.id}</code>
          </p>
        </Notice>
      ) : null}
      <ErrorSummary form={form} />
      <form className="form" onSubmit={submit} noValidate aria-labelledby="page-title" autoComplete="off">
        <TextField
          label="Card number"
          inputMode="numeric"
          autoComplete="off"
          autoCorrect="off"
          spellCheck={false}
          maxLength={23}
          hint="12 to 19 digits; spaces and dashes are fine. For your security it is cleared after each submission."
          describedByExtra="card-brand"
          after={
            <p id="card-brand" className="card-brand" aria-live="polite" data-testid="card-brand">
              {brand && digitsTyped > 0 ? `${BRAND_NAMES[brand]} card` : ""}
            </p>
          }
          {...bind("card_number")}
        />
        <div className="field-pair">
          <TextField
            label="Expiry date"
            inputMode="numeric"
            autoComplete="off"
            hint="MM/YY, for example 08/29."
            maxLength={10}
            className="input-short"
            {...bind("expiry_date")}
          />
          <TextField
            label="Security code"
            inputMode="numeric"
            autoComplete="off"
            optional={staff}
            hint={brand === "amex" ? "The 4 digits on the front of the card." : "The 3 digits on the back of the card."}
            maxLength={4}
            className="input-short"
            {...bind("cvv")}
          />
        </div>
        <TextField label="Name on the card" autoComplete="off" spellCheck={false} maxLength={100} {...bind("cardholder_name")} />
        {staff ? (
          <>
            <SelectField
              id={idFor("holder_id")}
              label="Customer"
              optional
              value={values.holder_id}
              error={form.errors.holder_id}
              onChange={(event) => {
                change("holder_id", event.target.value);
              }}
            >
              <option value="">Not linked to a customer</option>
              {(holders.data?.items ?? []).map((holder) => (
                <option key={holder.id} value={holder.id}>
                  {holderName(holder)}{holder.dob ? ` (born ${holder.dob})` : ""}
                </option>
              ))}
            </SelectField>
            <TextField label="Your reference" optional hint="An id from the firm's own systems." maxLength={255} {...bind("external_ref")} />
          </>
        ) : null}
        <SubmitButton busy={busy} busyLabel="Registering…">
          Register card
        </SubmitButton>
      </form>
    </Page>
  );
}

function describeRegistration(registration: CardRegistration): string {
  const brandName = (BRAND_NAMES as Partial<Record<string, string>>)[registration.card.brand] ?? registration.card.brand;
  const status = STATUS_TEXT[registration.status] ?? registration.status;
  return `${brandName} card ending ${registration.card.last4} registered; its registration is ${status}.`;
}
