import { type SyntheticEvent, useEffect, useState } from "react";

import { Link, navigate, Redirect, useSearchParam } from "../app/router";
import { useServices, useSessions } from "../app/services";
import type { EndReason } from "../session/sessions";
import { announce, setFlash } from "../ui/announcer";
import { TextField, SubmitButton } from "../ui/fields";
import { ErrorSummary, type FieldErrors, useFormErrors } from "../ui/form";
import { useSubmitting } from "../ui/hooks";
import { Notice } from "../ui/Notice";
import { Page } from "../ui/Page";

type Field = "email" | "password";
const FIELDS: readonly Field[] = ["email", "password"];
const idFor = (field: Field) => `login-${field}`;

const ENDED: Readonly<Record<EndReason, string>> = {
  logout: "You have logged out.",
  idle: "You were signed out because you were inactive for a while. Please log in again.",
  expired: "Your session has ended. Please log in again.",
  elsewhere: "You were signed out because you logged out in another tab or window.",
};

// The email typed at sign-up, to prefill the login form once (kept in memory, not in the URL).
let rememberedEmail = "";

export function rememberEmailForLogin(email: string): void {
  rememberedEmail = email;
}

/** Only paths inside this app may be returned to after logging in. */
export function safeNext(next: string | null): string | null {
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") ? next : null;
}

export function LoginPage() {
  const { sessions } = useServices();
  const state = useSessions();
  const next = safeNext(useSearchParam("next"));
  const adding = useSearchParam("add") === "1";
  const [email, setEmail] = useState(() => rememberedEmail);
  useEffect(() => {
    rememberedEmail = "";
  }, []);
  const [password, setPassword] = useState("");
  const form = useFormErrors<Field>(FIELDS, idFor);
  const { busy, run } = useSubmitting();
  const [signedIn, setSignedIn] = useState(false);

  if (state.active && !adding && !signedIn) {
    return <Redirect to={next ?? "/"} />;
  }

  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    void run(async () => {
      const problems: FieldErrors<Field> = {};
      if (!email.trim()) {
        problems.email = "Enter your email address.";
      }
      if (!password) {
        problems.password = "Enter your password.";
      }
      if (form.showClientErrors(problems)) {
        return;
      }
      try {
        const session = await sessions.signIn(email.trim(), password);
        setSignedIn(true);
        setPassword("");
        setFlash(`Signed in as ${session.displayName}.`);
        navigate(next ?? "/");
      } catch (error) {
        setPassword("");
        form.showApiError(error);
      }
    });
  };

  const ended = !state.active && state.lastEnded ? ENDED[state.lastEnded.reason] : null;

  return (
    <Page title={adding ? "Log in another user" : "Log in"}>
      {ended ? <Notice kind={state.lastEnded?.reason === "logout" ? "success" : "info"}>{ended}</Notice> : null}
      {adding && state.active ? (
        <p>
          The users already signed in stay signed in; you can switch between them at the top of the page.
        </p>
      ) : null}
      <ErrorSummary form={form} />
      <form className="form" onSubmit={submit} noValidate aria-labelledby="page-title">
        <TextField
          id={idFor("email")}
          label="Email address"
          type="email"
          autoComplete="username"
          spellCheck={false}
          value={email}
          error={form.errors.email}
          onChange={(event) => {
            setEmail(event.target.value);
            form.setFieldError("email", undefined);
          }}
        />
        <TextField
          id={idFor("password")}
          label="Password"
          type="password"
          autoComplete="current-password"
          value={password}
          error={form.errors.password}
          onChange={(event) => {
            setPassword(event.target.value);
            form.setFieldError("password", undefined);
          }}
        />
        <SubmitButton busy={busy} busyLabel="Logging in…">
          Log in
        </SubmitButton>
      </form>
      <p>
        New to Tessera? <Link to="/signup">Create an account</Link>
      </p>
      {adding && state.active ? (
        <p>
          <button
            type="button"
            className="link-button"
            onClick={() => {
              announce("Cancelled.");
              navigate("/");
            }}
          >
            Cancel and go back
          </button>
        </p>
      ) : null}
    </Page>
  );
}
