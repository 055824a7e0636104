import { type SyntheticEvent, useState } from "react";

import { ApiError } from "../api/errors";
import type { CardDeliveryStatus, CardStatusQuery } from "../api/types";
import { useApi } from "../app/services";
import { announce } from "../ui/announcer";
import { RadioGroup, SubmitButton, TextField } from "../ui/fields";
import { ErrorSummary, useFormErrors } from "../ui/form";
import { useSubmitting } from "../ui/hooks";
import { Timestamp } from "../ui/Money";
import { Page } from "../ui/Page";
import { TableRegion } from "../ui/TableRegion";

type By = "card_id" | "phone";
type Field = "by" | "value";
const FIELDS: readonly Field[] = ["by", "value"];
const idFor = (field: Field) => (field === "by" ? "status-by-card_id" : "status-value");

const EVENT_NAMES: Readonly<Record<string, string>> = {
  picked_up: "Picked up",
  delivery_exception: "Delivery exception",
  delivered: "Delivered",
  returned: "Returned",
};

const eventName = (event: string): string => EVENT_NAMES[event] ?? event;

export function CardStatusPage() {
  const api = useApi();
  const [by, setBy] = useState<By>("card_id");
  const [value, setValue] = useState("");
  const [results, setResults] = useState<CardDeliveryStatus[] | null>(null);
  const form = useFormErrors<Field>(FIELDS, idFor, {
    fields: { card_id: "value", phone: "value" },
    codes: { validation_error: "value" },
  });
  const { busy, run } = useSubmitting();

  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    void run(async () => {
      const text = value.trim();
      if (form.showClientErrors(text ? {} : { value: by === "card_id" ? "Enter the card id." : "Enter the phone number." })) {
        return;
      }
      const query: CardStatusQuery = by === "card_id" ? { card_id: text } : { phone: text };
      try {
        const answer = await api.cardStatus(query);
        const found = "items" in answer ? answer.items : [answer];
        setResults(found);
        announce(found.length === 1 ? `Status: ${eventName(found[0]?.status ?? "")}.` : `${found.length} cards found.`);
      } catch (error) {
        setResults(null);
        if (error instanceof ApiError && error.status === 404) {
          form.showClientErrors({
            value: by === "card_id" ? "No delivery is known for this card id." : "No delivery is known for this phone number.",
          });
        } else {
          form.showApiError(error);
        }
      }
    });
  };

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
      {results?.map((status) => <DeliveryCard key={status.card_id} status={status} />)}
    </Page>
  );
}

function DeliveryCard({ status }: { status: CardDeliveryStatus }) {
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
            <Timestamp value={status.status_at} />
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
            <caption>History, oldest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Event</th>
                <th scope="col">Comment</th>
                <th scope="col">Source</th>
              </tr>
            </thead>
            <tbody>
              {status.history.map((entry, index) => (
                <tr key={`${entry.at}-${entry.event}-${index}`}>
                  <td>
                    <Timestamp value={entry.at} />
                  </td>
                  <th scope="row">{eventName(entry.event)}</th>
                  <td>{entry.comment ?? "—"}</td>
                  <td>{entry.source ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      ) : null}
    </section>
  );
}
