// Machine clients of the firm (firm admins): create one with scopes, see its secret once, revoke.

import { type SyntheticEvent, useState } from "react";

import { describeError } from "../../api/errors";
import { scopeValues } from "../../api/schema";
import type { ApiClientCreated, ApiClientRead, Scope } from "../../api/types";
import { useApi } from "../../app/services";
import type { SessionView } from "../../session/sessions";
import { announce } from "../../ui/announcer";
import { ConfirmActions, Dialog } from "../../ui/Dialog";
import { SubmitButton, TextField } from "../../ui/fields";
import { ErrorSummary, type FieldErrors, useFormErrors } from "../../ui/form";
import { useLoad, useSubmitting } from "../../ui/hooks";
import { LoadState } from "../../ui/LoadState";
import { Timestamp } from "../../ui/Money";
import { OutcomeNotice, useOutcome } from "../../ui/Outcome";
import { Page } from "../../ui/Page";
import { count } from "../../ui/plural";
import { ActionsHeader, TableRegion } from "../../ui/TableRegion";
import { SecretOnce } from "./Webhooks";

type Field = "name" | "scopes";
const FIELDS: readonly Field[] = ["name", "scopes"];
const idFor = (field: Field) => `client-${field}`;

export const SCOPE_HINTS: Readonly<Record<Scope, string>> = {
  "accounts:read": "Read accounts, transactions and statements",
  "accounts:write": "Open accounts and move money",
  "cards:read": "Read issued cards and registrations",
  "cards:write": "Issue cards and register cards",
  "cards:reveal": "Reveal full card numbers (audited)",
  "deliveries:read": "Read card delivery statuses",
  "deliveries:write": "Import courier files",
  "certificates:read": "Read certificates",
  "certificates:write": "Issue and revoke certificates",
  "webhooks:manage": "Manage webhook endpoints",
  "clients:manage": "Manage machine clients",
  "audit:read": "Read the audit log",
};

export function ApiClientsPage({ session }: { session: SessionView }) {
  const api = useApi();
  const list = useLoad(`clients:${session.firm}`, () => api.listApiClients(session.firm, { limit: 100 }));
  const form = useFormErrors<Field>(FIELDS, idFor, { fields: { name: "name", scopes: "scopes" } });
  const { busy, run } = useSubmitting();
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<ReadonlySet<Scope>>(new Set());
  const [created, setCreated] = useState<ApiClientCreated | null>(null);
  const [revoking, setRevoking] = useState<ApiClientRead | null>(null);
  const action = useSubmitting();
  const result = useOutcome();

  const create = (event: SyntheticEvent) => {
    event.preventDefault();
    void run(async () => {
      const problems: FieldErrors<Field> = {};
      if (!name.trim()) {
        problems.name = "Enter a name that says which system uses the client.";
      }
      if (scopes.size === 0) {
        problems.scopes = "Choose at least one scope.";
      }
      if (form.showClientErrors(problems)) {
        return;
      }
      try {
        const client = await api.createApiClient(session.firm, {
          name: name.trim(),
          scopes: scopeValues.filter((scope) => scopes.has(scope)),
        });
        setCreated(client);
        setName("");
        setScopes(new Set());
        form.clear();
        announce("Client created. Its secret is shown once.");
        list.reload();
      } catch (error) {
        form.showApiError(error);
      }
    });
  };

  const revoke = (client: ApiClientRead) => {
    void action.run(async () => {
      try {
        await api.revokeApiClient(session.firm, client.client_id);
        setRevoking(null);
        result.show("success", `${client.name} was revoked: its secret and tokens no longer work.`);
        list.reload();
      } catch (error) {
        setRevoking(null);
        result.show("error", describeError(error));
      }
    });
  };

  const items = list.data?.items ?? [];

  return (
    <Page title="API clients" lead="The firm's own systems call the API as machine clients (OAuth 2.0 client credentials).">
      {created ? (
        <SecretOnce
          title={`Secret of ${created.name}`}
          secret={`client_id=${created.client_id}\nclient_secret=${created.client_secret}`}
          testId="client-secret"
          onDone={() => {
            setCreated(null);
          }}
        />
      ) : null}
      <OutcomeNotice outcome={result.outcome} testId="clients-outcome" />
      <LoadState loading={list.loading && !list.data} error={list.error} what="API clients" retry={list.reload} />
      {list.data && items.length === 0 ? <p>The firm has no API clients yet.</p> : null}
      {items.length > 0 ? (
        <TableRegion labelledBy="clients-caption">
          <table className="table" data-testid="clients-table">
            <caption id="clients-caption">{count(items.length, "client")}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Client id</th>
                <th scope="col">Scopes</th>
                <th scope="col">Status</th>
                <ActionsHeader />
              </tr>
            </thead>
            <tbody>
              {items.map((client) => (
                <tr key={client.client_id}>
                  <th scope="row">{client.name}</th>
                  <td>
                    <code className="wrap">{client.client_id}</code>
                  </td>
                  <td>{client.scopes.join(", ")}</td>
                  <td>
                    <span className={`badge badge-${client.status === "active" ? "active" : "disabled"}`}>
                      {client.status === "active" ? "active" : "revoked"}
                    </span>{" "}
                    <span className="muted">
                      {client.disabled_at ? <Timestamp value={client.disabled_at} /> : <Timestamp value={client.created_at} />}
                    </span>
                  </td>
                  <td>
                    {client.status === "active" ? (
                      <button
                        type="button"
                        className="button button-small button-danger"
                        onClick={() => {
                          setRevoking(client);
                        }}
                      >
                        Revoke<span className="visually-hidden"> {client.name}</span>
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      ) : null}

      <h2 id="new-client-title">Create a client</h2>
      <ErrorSummary form={form} />
      <form className="form" onSubmit={create} noValidate aria-labelledby="new-client-title">
        <TextField
          id={idFor("name")}
          label="Name"
          hint="Which system uses it, for example “core banking”."
          maxLength={100}
          autoComplete="off"
          value={name}
          error={form.errors.name}
          onChange={(event) => {
            setName(event.target.value);
            form.setFieldError("name", undefined);
          }}
        />
        <fieldset className={`fieldset field${form.errors.scopes ? " field-invalid" : ""}`} aria-describedby={form.errors.scopes ? `${idFor("scopes")}-error` : undefined}>
          <legend className="field-label">Scopes</legend>
          <p className="field-hint">Give a client only what its system needs.</p>
          {form.errors.scopes ? (
            <p id={`${idFor("scopes")}-error`} className="field-error">
              <span className="visually-hidden">Error: </span>
              {form.errors.scopes}
            </p>
          ) : null}
          <div className="checks">
            {scopeValues.map((scope, index) => (
              <label key={scope} className="check" htmlFor={index === 0 ? idFor("scopes") : `client-scope-${scope}`}>
                <input
                  id={index === 0 ? idFor("scopes") : `client-scope-${scope}`}
                  type="checkbox"
                  checked={scopes.has(scope)}
                  onChange={(event) => {
                    const next = new Set(scopes);
                    if (event.target.checked) {
                      next.add(scope);
                    } else {
                      next.delete(scope);
                    }
                    setScopes(next);
                    form.setFieldError("scopes", undefined);
                  }}
                />
                <code>{scope}</code>
                <span className="muted">{SCOPE_HINTS[scope]}</span>
              </label>
            ))}
          </div>
        </fieldset>
        <SubmitButton busy={busy} busyLabel="Creating the client…">
          Create client
        </SubmitButton>
      </form>

      <Dialog
        open={revoking !== null}
        titleId="revoke-client-title"
        title={revoking ? `Revoke ${revoking.name}?` : "Revoke?"}
        initialFocus="revoke-client-cancel"
        returnFocus={false}
        onClose={() => {
          setRevoking(null);
        }}
        testId="revoke-client-dialog"
      >
        <p>Its secret and every token it holds stop working at once. This cannot be undone.</p>
        <ConfirmActions
          confirm="Revoke client"
          busy={action.busy}
          busyLabel="Revoking…"
          cancelId="revoke-client-cancel"
          onConfirm={() => {
            if (revoking) {
              revoke(revoking);
            }
          }}
          onCancel={() => {
            setRevoking(null);
          }}
        />
      </Dialog>
    </Page>
  );
}
