import { type SyntheticEvent, useState } from "react";

import { useApi, useServices } from "../app/services";
import { Link, navigate } from "../app/router";
import type { SignupRequest } from "../api/types";
import { emailProblem, passwordProblem } from "../session/credentials";
import { setFlash } from "../ui/announcer";
import { SubmitButton, TextField } from "../ui/fields";
import { ErrorSummary, type FieldErrors, useFormErrors } from "../ui/form";
import { useSubmitting } from "../ui/hooks";
import { Page } from "../ui/Page";
import { rememberEmailForLogin } from "./Login";

type Field = "email" | "password" | "first_name" | "last_name" | "dob" | "phone" | "firm";
const FIELDS: readonly Field[] = ["email", "password", "first_name", "last_name", "dob", "phone", "firm"];
const idFor = (field: Field) => `signup-${field}`;
const MAPPING = { codes: { email_taken: "email" as const } };

function todayIso(): string {
  const now = new Date();
  const month = String(now.getMonth() + 1).padStart(2, "0");
  const day = String(now.getDate()).padStart(2, "0");
  return `${now.getFullYear()}-${month}-${day}`;
}

export function checkSignup(values: Record<Field, string>): FieldErrors<Field> {
  const problems: FieldErrors<Field> = {};
  if (!values.email.trim()) {
    problems.email = "Enter your email address.";
  } else {
    problems.email = emailProblem(values.email.trim());
  }
  problems.password = passwordProblem(values.password);
  if (!values.first_name.trim()) {
    problems.first_name = "Enter your first name.";
  }
  if (!values.last_name.trim()) {
    problems.last_name = "Enter your last name.";
  }
  if (!values.dob) {
    problems.dob = "Enter your date of birth.";
  } else if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(values.dob)) {
    problems.dob = "Enter the date of birth as a real date.";
  } else if (values.dob >= todayIso()) {
    problems.dob = "The date of birth must be in the past.";
  }
  if (values.phone.length > 32) {
    problems.phone = "The phone number is too long.";
  }
  return problems;
}

export function SignupPage() {
  const api = useApi();
  const { sessions } = useServices();
  const [values, setValues] = useState<Record<Field, string>>({
    email: "",
    password: "",
    first_name: "",
    last_name: "",
    dob: "",
    phone: "",
    firm: "",
  });
  const form = useFormErrors<Field>(FIELDS, idFor, MAPPING);
  const { busy, run } = useSubmitting();

  const bind = (field: Field) => ({
    id: idFor(field),
    value: values[field],
    error: form.errors[field],
    onChange: (event: { target: { value: string } }) => {
      setValues((current) => ({ ...current, [field]: event.target.value }));
      form.setFieldError(field, undefined);
    },
  });

  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    void run(async () => {
      if (form.showClientErrors(checkSignup(values))) {
        return;
      }
      const body: SignupRequest = {
        email: values.email.trim(),
        password: values.password,
        first_name: values.first_name.trim(),
        last_name: values.last_name.trim(),
        dob: values.dob,
      };
      if (values.phone.trim()) {
        body.phone = values.phone.trim();
      }
      if (values.firm.trim()) {
        body.firm = values.firm.trim();
      }
      let created;
      try {
        created = await api.signup(body);
      } catch (error) {
        form.showApiError(error);
        return;
      }
      try {
        // The new customer is signed in at once, as they would expect.
        const session = await sessions.signIn(created.user.email, values.password);
        setValues((current) => ({ ...current, password: "" }));
        setFlash(`Welcome, ${session.displayName}. Your account was created and you are signed in.`);
        navigate("/");
      } catch {
        rememberEmailForLogin(created.user.email);
        setValues((current) => ({ ...current, password: "" }));
        setFlash("Your account was created. Log in to continue.");
        navigate("/login");
      }
    });
  };

  return (
    <Page title="Create an account">
      <ErrorSummary form={form} />
      <form className="form" onSubmit={submit} noValidate aria-labelledby="page-title">
        <TextField label="Email address" type="email" autoComplete="email" spellCheck={false} {...bind("email")} />
        <TextField
          label="Password"
          type="password"
          autoComplete="new-password"
          hint="At least 8 characters."
          {...bind("password")}
        />
        <div className="field-pair">
          <TextField label="First name" autoComplete="given-name" {...bind("first_name")} />
          <TextField label="Last name" autoComplete="family-name" {...bind("last_name")} />
        </div>
        <TextField label="Date of birth" type="date" autoComplete="bday" max={todayIso()} {...bind("dob")} />
        <TextField
          label="Phone number"
          type="tel"
          autoComplete="tel"
          optional
          hint="Used to find your card deliveries, for example +971 58 594 9014."
          {...bind("phone")}
        />
        <TextField
          label="Firm code"
          optional
          hint="Only if your bank gave you one; leave empty otherwise."
          autoComplete="off"
          spellCheck={false}
          {...bind("firm")}
        />
        <SubmitButton busy={busy} busyLabel="Creating your account…">
          Create account
        </SubmitButton>
      </form>
      <p>
        Already have an account? <Link to="/login">Log in</Link>
      </p>
    </Page>
  );
}
