import { type SyntheticEvent, useEffect, useRef, useState } from "react";

import { ApiError } from "../api/errors";
import type { CardDeliveryStatus, CardStatusQuery } from "../api/types";
import { Link, useLocation } from "../app/router";
import { useApi } from "../app/services";
import { eventName } from "../deliveries/events";
import { isStaff, type SessionView } from "../session/sessions";
import { announce } from "../ui/announcer";
import { RadioGroup, SubmitButton, TextField } from "../ui/fields";
import { ErrorSummary, useFormErrors } from "../ui/form";
import { useSubmitting } from "../ui/hooks";
import { Timestamp } from "../ui/Money";
import { Page } from "../ui/Page";
import { TableRegion } from "../ui/TableRegion";
import { count } from "../ui/plural";

type By = "card_id" | "phone";
type Field = "by" | "value";
const FIELDS: readonly Field[] = ["by", "value"];
const idFor = (field: Field) => (field === "by" ? "status-by-card_id" : "status-value");

/** The lookup a link asked for (`?card_id=ZYW8827` or `?phone=...`), if any. */
function queryFromSearch(search: string): { by: By; value: string } | null {
  const params = new URLSearchParams(search);
  const cardId = params.get("card_id");
  if (cardId) {
    return { by: "card_id", value: cardId };
  }
  const phone = params.get("phone");
  return phone ? { by: "phone", value: phone } : null;
}

export function CardStatusPage({ session }: { session: SessionView }) {
  const api = useApi();
  const { search } = useLocation();
  const [initial] = useState(() => queryFromSearch(search));
  const [by, setBy] = useState<By>(initial?.by ?? "card_id");
  const [value, setValue] = useState(initial?.value ?? "");
  const [results, setResults] = useState<CardDeliveryStatus[] | null>(null);
  const staff = isStaff(session.role);
  const looked = useRef(false);
  const form = useFormErrors<Field>(FIELDS, idFor, {
    fields: { card_id: "value", phone: "value" },
    codes: { validation_error: "value" },
  });
  const { busy, run } = useSubmitting();

  const lookUp = (kind: By, typed: string) => {
    void run(async () => {
      const text = typed.trim();
      if (form.showClientErrors(text ? {} : { value: kind === "card_id" ? "Enter the card id." : "Enter the phone number." })) {
        return;
      }
      const query: CardStatusQuery = kind === "card_id" ? { card_id: text } : { phone: text };
      try {
        const answer = await api.cardStatus(query);
        const found = "items" in answer ? answer.items : [answer];
        setResults(found);
        announce(found.length === 1 ? `Status: ${eventName(found[0]?.status ?? "")}.` : `${count(found.length, "card")} found.`);
      } catch (error) {
        setResults(null);
        if (error instanceof ApiError && error.status === 404) {
          form.showClientErrors({
            value: kind === "card_id" ? "No delivery is known for this card id." : "No delivery is known for this phone number.",
          });
        } else {
          form.showApiError(error);
        }
      }
    });
  };

  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    lookUp(by, value);
  };

  // A link to this page with a card id (from the cards page) looks it up at once.
  useEffect(() => {
    if (initial && !looked.current) {
      looked.current = true;
      lookUp(initial.by, initial.value);
    }
  });

  return (
    <Page title="Card delivery status" lead="Follow a card on its way to its holder, from the courier's reports.">
      <ErrorSummary form={form} />
      <form className="form" onSubmit={submit} noValidate aria-labelledby="page-title">
        <RadioGroup<By>
          id="status-by"
          legend="Look up by"
          name="status-by"
          value={by}
          inline
          onChange={(next) => {
            setBy(next);
            form.clear();
          }}
          options={[
            { value: "card_id", label: "Card id" },
            { value: "phone", label: "Phone number" },
          ]}
        />
        <TextField
          id="status-value"
          label={by === "card_id" ? "Card id" : "Phone number"}
          hint={by === "card_id" ? "As printed on the delivery notice, for example ZYW8827." : "Any common format, for example +971 58 594 9014 or 0585949014."}
          type={by === "phone" ? "tel" : "text"}
          spellCheck={false}
          autoComplete="off"
          value={value}
          error={form.errors.value}
          onChange={(event) => {
            setValue(event.target.value);
            form.setFieldError("value", undefined);
          }}
        />
        <SubmitButton busy={busy} busyLabel="Looking up…">
          Look up
        </SubmitButton>
      </form>
      {results && results.length > 1 ? (
        <p data-testid="delivery-count">{results.length} cards are sent to this phone number.</p>
      ) : null}
      {results?.map((status) => <DeliveryCard key={status.card_id} status={status} showSource={staff} />)}
    </Page>
  );
}

function DeliveryCard({ status, showSource }: { status: CardDeliveryStatus; showSource: boolean }) {
  const titleId = `delivery-${status.card_id}`;
  return (
    <section className="panel" aria-labelledby={titleId} data-testid="delivery-status">
      <h2 id={titleId}>Card {status.card_id}</h2>
      <dl className="summary">
        <div>
          <dt>Status</dt>
          <dd>
            <strong>{eventName(status.status)}</strong>
          </dd>
        </div>
        <div>
          <dt>Since</dt>
          <dd>
            <Timestamp value={status.status_at} seconds />
          </dd>
        </div>
        <div>
          <dt>Delivery attempts that failed</dt>
          <dd>{status.delivery_attempts}</dd>
        </div>
        {status.phone ? (
          <div>
            <dt>Phone</dt>
            <dd>{status.phone}</dd>
          </div>
        ) : null}
      </dl>
      {status.history.length ? (
        <TableRegion label={`History of card ${status.card_id}`}>
          <table className="table">
            <caption>History of card {status.card_id}, oldest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Event</th>
                <th scope="col">Courier's comment</th>
                {showSource ? <th scope="col">Reported by</th> : null}
              </tr>
            </thead>
            <tbody>
              {status.history.map((entry, index) => (
                <tr key={`${entry.at}-${entry.event}-${index}`}>
                  <td>
                    <Timestamp value={entry.at} seconds />
                  </td>
                  <th scope="row">{eventName(entry.event)}</th>
                  <td>{entry.comment ?? "—"}</td>
                  {showSource ? (
                    <td>
                      {entry.source ? (
                        <Link to={`/staff/deliveries?import=${encodeURIComponent(entry.source)}`}>
                          Import <span className="visually-hidden">report </span>
                          <code>{entry.source.slice(-6)}</code>
                        </Link>
                      ) : (
                        "—"
                      )}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      ) : null}
    </section>
  );
}
