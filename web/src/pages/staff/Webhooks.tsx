// Webhook endpoints (firm admins): create one with an event filter, see its signing secret once,
// rotate the secret, delete it; and one endpoint's delivery log, each delivery with its attempts,
// with a redelivery of any event.

import { type SyntheticEvent, useState } from "react";

import { describeError } from "../../api/errors";
import { eventTypeValues } from "../../api/schema";
import type { EventType, WebhookDelivery, WebhookEndpoint, WebhookEndpointWithSecret } from "../../api/types";
import { Link } from "../../app/router";
import { useApi } from "../../app/services";
import { announce } from "../../ui/announcer";
import { ConfirmActions, Dialog } from "../../ui/Dialog";
import { SelectField, SubmitButton, TextField } from "../../ui/fields";
import { ErrorSummary, type FieldErrors, useFormErrors } from "../../ui/form";
import { useLoad, useSubmitting } from "../../ui/hooks";
import { LoadState } from "../../ui/LoadState";
import { Timestamp } from "../../ui/Money";
import { OutcomeNotice, useOutcome } from "../../ui/Outcome";
import { Page } from "../../ui/Page";
import { Pager } from "../../ui/Pager";
import { count } from "../../ui/plural";
import { ActionsHeader, TableRegion } from "../../ui/TableRegion";

type Field = "url" | "description" | "events";
const FIELDS: readonly Field[] = ["url", "description", "events"];
const idFor = (field: Field) => `webhook-${field}`;

function eventsText(events: readonly string[]): string {
  return events.includes("*") ? "Every event" : events.join(", ");
}

/** The secret, shown once after it was made: copy it now, it cannot be shown again. */
export function SecretOnce({ title, secret, testId, onDone }: { title: string; secret: string; testId: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="secret-box" data-testid={testId} role="region" aria-labelledby={`${testId}-title`}>
      <h2 id={`${testId}-title`}>{title}</h2>
      <p>Store it now in your secret manager: it is shown this once and Tessera cannot show it again.</p>
      <code className="secret-value" data-testid={`${testId}-value`}>
        {secret}
      </code>
      <p className="actions">
        <button
          type="button"
          className="button button-secondary"
          onClick={() => {
            void navigator.clipboard.writeText(secret).then(
              () => {
                setCopied(true);
                announce("Copied to the clipboard.");
              },
              () => {
                announce("The browser did not allow copying; select the text and copy it.");
              },
            );
          }}
        >
          {copied ? "Copied" : "Copy"}
        </button>
        <button type="button" className="button" onClick={onDone}>
          I have stored it
        </button>
      </p>
    </div>
  );
}

export function WebhooksPage() {
  const api = useApi();
  const list = useLoad("webhooks", () => api.listWebhookEndpoints({ limit: 50 }));
  const form = useFormErrors<Field>(FIELDS, idFor, { fields: { url: "url", events: "events", description: "description" } });
  const { busy, run } = useSubmitting();
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [everything, setEverything] = useState(false);
  const [chosen, setChosen] = useState<ReadonlySet<EventType>>(new Set());
  const [created, setCreated] = useState<WebhookEndpointWithSecret | null>(null);
  const [rotated, setRotated] = useState<WebhookEndpointWithSecret | null>(null);
  const [rotating, setRotating] = useState<WebhookEndpoint | null>(null);
  const [deleting, setDeleting] = useState<WebhookEndpoint | null>(null);
  const action = useSubmitting();
  const result = useOutcome();

  const create = (event: SyntheticEvent) => {
    event.preventDefault();
    void run(async () => {
      const problems: FieldErrors<Field> = {};
      if (!/^https?:\/\/\S+$/i.test(url.trim())) {
        problems.url = "Enter the endpoint's address, starting with https://.";
      }
      if (!everything && chosen.size === 0) {
        problems.events = "Choose at least one event, or every event.";
      }
      if (form.showClientErrors(problems)) {
        return;
      }
      try {
        const endpoint = await api.createWebhookEndpoint({
          url: url.trim(),
          events: everything ? ["*"] : eventTypeValues.filter((type) => chosen.has(type)),
          description: description.trim() || null,
        });
        setCreated(endpoint);
        setUrl("");
        setDescription("");
        setChosen(new Set());
        setEverything(false);
        form.clear();
        announce("Endpoint created. Its signing secret is shown once.");
        list.reload();
      } catch (error) {
        form.showApiError(error);
      }
    });
  };

  const rotate = (endpoint: WebhookEndpoint) => {
    void action.run(async () => {
      try {
        const answer = await api.rotateWebhookSecret(endpoint.id, 86_400);
        setRotating(null);
        setRotated(answer);
        announce("Secret rotated. The new secret is shown once.");
        list.reload();
      } catch (error) {
        setRotating(null);
        result.show("error", describeError(error));
      }
    });
  };

  const remove = (endpoint: WebhookEndpoint) => {
    void action.run(async () => {
      try {
        await api.deleteWebhookEndpoint(endpoint.id);
        setDeleting(null);
        result.show("success", `The endpoint ${endpoint.url} was deleted.`);
        list.reload();
      } catch (error) {
        setDeleting(null);
        result.show("error", describeError(error));
      }
    });
  };

  const items = list.data?.items ?? [];

  return (
    <Page title="Webhooks" lead="Tessera tells your systems what happened by signed POST requests to these endpoints.">
      {created ? (
        <SecretOnce
          title={`Signing secret of ${created.url}`}
          secret={created.secret}
          testId="created-secret"
          onDone={() => {
            setCreated(null);
          }}
        />
      ) : null}
      {rotated ? (
        <SecretOnce
          title={`New signing secret of ${rotated.url}`}
          secret={rotated.secret}
          testId="rotated-secret"
          onDone={() => {
            setRotated(null);
          }}
        />
      ) : null}
      <OutcomeNotice outcome={result.outcome} testId="webhooks-outcome" />
      <LoadState loading={list.loading && !list.data} error={list.error} what="Webhook endpoints" retry={list.reload} />
      {list.data && items.length === 0 ? <p>The firm has no webhook endpoints yet.</p> : null}
      {items.length > 0 ? (
        <TableRegion labelledBy="webhooks-caption">
          <table className="table" data-testid="webhooks-table">
            <caption id="webhooks-caption">{count(items.length, "endpoint")}</caption>
            <thead>
              <tr>
                <th scope="col">Endpoint</th>
                <th scope="col">Events</th>
                <th scope="col">Secret</th>
                <ActionsHeader />
              </tr>
            </thead>
            <tbody>
              {items.map((endpoint) => (
                <tr key={endpoint.id}>
                  <th scope="row">
                    <code className="wrap">{endpoint.url}</code>
                    {endpoint.description ? <span className="muted"> — {endpoint.description}</span> : null}
                  </th>
                  <td>{eventsText(endpoint.events)}</td>
                  <td>
                    {endpoint.secret_rotated_at ? (
                      <>
                        Rotated <Timestamp value={endpoint.secret_rotated_at} />
                      </>
                    ) : (
                      <>
                        Set <Timestamp value={endpoint.created_at} />
                      </>
                    )}
                    {endpoint.previous_secret_expires_at ? (
                      <span className="muted">
                        {" "}
                        (the old one signs too until <Timestamp value={endpoint.previous_secret_expires_at} />)
                      </span>
                    ) : null}
                  </td>
                  <td>
                    <div className="row-actions">
                      <Link to={`/staff/webhooks/${encodeURIComponent(endpoint.id)}`}>
                        Delivery log<span className="visually-hidden"> of {endpoint.url}</span>
                      </Link>
                      <button
                        type="button"
                        className="button button-small button-secondary"
                        onClick={() => {
                          setRotating(endpoint);
                        }}
                      >
                        Rotate secret<span className="visually-hidden"> of {endpoint.url}</span>
                      </button>
                      <button
                        type="button"
                        className="button button-small button-danger"
                        onClick={() => {
                          setDeleting(endpoint);
                        }}
                      >
                        Delete<span className="visually-hidden"> {endpoint.url}</span>
                      </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      ) : null}

      <h2 id="new-webhook-title">Add an endpoint</h2>
      <ErrorSummary form={form} />
      <form className="form" onSubmit={create} noValidate aria-labelledby="new-webhook-title">
        <TextField
          id={idFor("url")}
          label="Endpoint URL"
          type="url"
          inputMode="url"
          autoComplete="off"
          spellCheck={false}
          hint="An https address of your systems that accepts POST requests."
          value={url}
          error={form.errors.url}
          onChange={(event) => {
            setUrl(event.target.value);
            form.setFieldError("url", undefined);
          }}
        />
        <TextField
          id={idFor("description")}
          label="Description"
          optional
          maxLength={200}
          value={description}
          error={form.errors.description}
          onChange={(event) => {
            setDescription(event.target.value);
          }}
        />
        <fieldset className={`fieldset field${form.errors.events ? " field-invalid" : ""}`} aria-describedby={form.errors.events ? `${idFor("events")}-error` : undefined}>
          <legend className="field-label">Events to send</legend>
          {form.errors.events ? (
            <p id={`${idFor("events")}-error`} className="field-error">
              <span className="visually-hidden">Error: </span>
              {form.errors.events}
            </p>
          ) : null}
          <label className="check" htmlFor={idFor("events")}>
            <input
              id={idFor("events")}
              type="checkbox"
              checked={everything}
              onChange={(event) => {
                setEverything(event.target.checked);
                form.setFieldError("events", undefined);
              }}
            />
            Every event, including types added later
          </label>
          {!everything ? (
            <div className="checks">
              {eventTypeValues.map((type) => (
                <label key={type} className="check" htmlFor={`webhook-event-${type}`}>
                  <input
                    id={`webhook-event-${type}`}
                    type="checkbox"
                    checked={chosen.has(type)}
                    onChange={(event) => {
                      const next = new Set(chosen);
                      if (event.target.checked) {
                        next.add(type);
                      } else {
                        next.delete(type);
                      }
                      setChosen(next);
                      form.setFieldError("events", undefined);
                    }}
                  />
                  <code>{type}</code>
                </label>
              ))}
            </div>
          ) : null}
        </fieldset>
        <SubmitButton busy={busy} busyLabel="Creating the endpoint…">
          Create endpoint
        </SubmitButton>
      </form>

      <Dialog
        open={rotating !== null}
        titleId="rotate-title"
        title="Rotate the signing secret?"
        initialFocus="rotate-cancel"
        onClose={() => {
          setRotating(null);
        }}
        testId="rotate-dialog"
      >
        <p>
          {rotating?.url} gets a new secret. For one day deliveries are signed with both the old and the new one, so your
          systems can switch over without losing a delivery.
        </p>
        <ConfirmActions
          confirm="Rotate secret"
          busy={action.busy}
          busyLabel="Rotating…"
          cancelId="rotate-cancel"
          onConfirm={() => {
            if (rotating) {
              rotate(rotating);
            }
          }}
          onCancel={() => {
            setRotating(null);
          }}
        />
      </Dialog>
      <Dialog
        open={deleting !== null}
        titleId="delete-webhook-title"
        title="Delete this endpoint?"
        initialFocus="delete-webhook-cancel"
        returnFocus={false}
        onClose={() => {
          setDeleting(null);
        }}
      >
        <p>Nothing more is sent to {deleting?.url}, and its delivery log is removed.</p>
        <ConfirmActions
          confirm="Delete endpoint"
          busy={action.busy}
          busyLabel="Deleting…"
          cancelId="delete-webhook-cancel"
          onConfirm={() => {
            if (deleting) {
              remove(deleting);
            }
          }}
          onCancel={() => {
            setDeleting(null);
          }}
        />
      </Dialog>
    </Page>
  );
}

const PAGE = 20;

export function WebhookDeliveriesPage({ endpointId }: { endpointId: string }) {
  const api = useApi();
  const [offset, setOffset] = useState(0);
  const [status, setStatus] = useState("");
  const endpoint = useLoad(`webhook:${endpointId}`, () => api.getWebhookEndpoint(endpointId));
  const deliveries = useLoad(`webhook-deliveries:${endpointId}:${status}:${offset}`, () =>
    api.listWebhookDeliveries(endpointId, {
      limit: PAGE,
      offset,
      ...(status ? { status: status as WebhookDelivery["status"] } : {}),
    }),
  );
  const result = useOutcome();
  const action = useSubmitting();
  const items = deliveries.data?.items ?? [];

  const redeliver = (delivery: WebhookDelivery) => {
    void action.run(async () => {
      try {
        await api.redeliver(delivery.event_id, endpointId);
        result.show("success", `The ${delivery.event_type} event is queued to be sent again.`);
        deliveries.reload();
      } catch (error) {
        result.show("error", describeError(error));
      }
    });
  };

  return (
    <Page title="Delivery log" lead={endpoint.data ? endpoint.data.url : undefined}>
      <p>
        <Link to="/staff/webhooks">All webhook endpoints</Link>
      </p>
      <LoadState loading={endpoint.loading && !endpoint.data} error={endpoint.error} what="The endpoint" retry={endpoint.reload} />
      <form
        className="form form-inline"
        aria-label="Filter deliveries"
        onSubmit={(event) => {
          event.preventDefault();
        }}
      >
        <SelectField
          id="deliveries-status"
          label="Status"
          value={status}
          onChange={(event) => {
            setOffset(0);
            setStatus(event.target.value);
          }}
        >
          <option value="">All</option>
          <option value="pending">Pending</option>
          <option value="delivering">Delivering</option>
          <option value="succeeded">Succeeded</option>
          <option value="dead">Dead (retries exhausted)</option>
        </SelectField>
        <button
          type="button"
          className="button button-secondary"
          onClick={() => {
            deliveries.reload();
          }}
        >
          Refresh
        </button>
      </form>
      <OutcomeNotice outcome={result.outcome} testId="deliveries-outcome" />
      <LoadState loading={deliveries.loading && !deliveries.data} error={deliveries.error} what="Deliveries" retry={deliveries.reload} />
      {deliveries.data && items.length === 0 ? <p>No deliveries yet.</p> : null}
      {items.length > 0 ? (
        <TableRegion labelledBy="deliveries-caption">
          <table className="table" data-testid="deliveries-table">
            <caption id="deliveries-caption">{count(deliveries.data?.total ?? 0, { one: "delivery", other: "deliveries" })}, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Created</th>
                <ActionsHeader />
              </tr>
            </thead>
            <tbody>
              {items.map((delivery) => (
                <tr key={delivery.id} data-event-id={delivery.event_id}>
                  <th scope="row">
                    <code>{delivery.event_type}</code>
                    {delivery.trigger === "redelivery" ? <span className="muted"> (sent again)</span> : null}
                  </th>
                  <td>
                    <span className={`badge badge-${delivery.status}`}>{delivery.status}</span>
                    {delivery.next_attempt_at ? (
                      <span className="muted">
                        {" "}
                        next try <Timestamp value={delivery.next_attempt_at} seconds />
                      </span>
                    ) : null}
                  </td>
                  <td>
                    {delivery.attempts.length === 0 ? (
                      "None yet"
                    ) : (
                      <ol className="attempts">
                        {delivery.attempts.map((attempt) => (
                          <li key={attempt.number}>
                            <Timestamp value={attempt.started_at} seconds />: {attempt.outcome}
                            {attempt.status_code ? `, HTTP ${attempt.status_code}` : ""}, {attempt.duration_ms} ms
                            {attempt.error ? `, ${attempt.error}` : ""}
                          </li>
                        ))}
                      </ol>
                    )}
                  </td>
                  <td>
                    <Timestamp value={delivery.created_at} seconds />
                  </td>
                  <td>
                    <button
                      type="button"
                      className="button button-small button-secondary"
                      onClick={() => {
                        redeliver(delivery);
                      }}
                    >
                      Redeliver<span className="visually-hidden"> {delivery.event_type} event</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      ) : null}
      {deliveries.data ? <Pager label="Delivery pages" offset={offset} limit={PAGE} total={deliveries.data.total} onChange={setOffset} /> : null}
    </Page>
  );
}
