import { type SyntheticEvent, useCallback, useEffect, useRef, useState } from "react";

import { describeError } from "../../api/errors";
import type { CardRegistration, RegistrationStatus } from "../../api/types";
import { useApi } from "../../app/services";
import { brandName, formatCardNumber } from "../../cards/validation";
import { isAdmin, type SessionView } from "../../session/sessions";
import { announce } from "../../ui/announcer";
import { Dialog } from "../../ui/Dialog";
import { SelectField, SubmitButton, TextAreaField } from "../../ui/fields";
import { useLoad, useSubmitting } from "../../ui/hooks";
import { LoadState } from "../../ui/LoadState";
import { Timestamp } from "../../ui/Money";
import { Notice } from "../../ui/Notice";
import { OutcomeNotice, useOutcome } from "../../ui/Outcome";
import { Page } from "../../ui/Page";
import { Pager } from "../../ui/Pager";
import { ActionsHeader, TableRegion } from "../../ui/TableRegion";
import { count } from "../../ui/plural";

const PAGE = 25;
/** A revealed number stays on screen this long at most. */
const REVEAL_SECONDS = 60;
type Filter = RegistrationStatus | "all";

function cardLabel(registration: CardRegistration): string {
  return `${brandName(registration.card.brand)} ending ${registration.card.last4}`;
}

export function RegistrationsPage({ session }: { session: SessionView }) {
  const api = useApi();
  const admin = isAdmin(session.role);
  const [filter, setFilter] = useState<Filter>("pending");
  const [shown, setShown] = useState<Filter>("pending");
  const [offset, setOffset] = useState(0);
  const list = useLoad(`registrations:${shown}:${offset}`, () =>
    api.listRegistrations({ status: shown === "all" ? undefined : shown, limit: PAGE, offset }),
  );
  const action = useSubmitting();
  const result = useOutcome();
  const [rejecting, setRejecting] = useState<CardRegistration | null>(null);
  const [rejected, setRejected] = useState(false);
  const [reason, setReason] = useState("");
  const [reasonError, setReasonError] = useState<string | undefined>(undefined);
  const [revealing, setRevealing] = useState<CardRegistration | null>(null);
  const closeReveal = useCallback(() => {
    setRevealing(null);
  }, []);

  const applyFilter = (event: SyntheticEvent) => {
    event.preventDefault();
    setOffset(0);
    setShown(filter);
  };

  const approve = (registration: CardRegistration) => {
    void action.run(async () => {
      try {
        await api.approveRegistration(registration.id);
        result.show("success", `Registration of the ${cardLabel(registration)} card approved.`);
        list.reload();
      } catch (error) {
        result.show("error", describeError(error));
      }
    });
  };

  const openReject = (registration: CardRegistration) => {
    setRejecting(registration);
    setRejected(false);
    setReason("");
    setReasonError(undefined);
  };

  const confirmReject = (event: SyntheticEvent) => {
    event.preventDefault();
    if (!rejecting) {
      return;
    }
    if (!reason.trim()) {
      setReasonError("Enter the reason; the customer and the firm's systems see it.");
      document.getElementById("reject-reason")?.focus();
      return;
    }
    const registration = rejecting;
    void action.run(async () => {
      try {
        await api.rejectRegistration(registration.id, reason.trim());
        // The Reject button goes with its row: focus moves to the message instead.
        setRejected(true);
        setRejecting(null);
        result.show("success", `Registration of the ${cardLabel(registration)} card rejected.`);
        list.reload();
      } catch (error) {
        setReasonError(describeError(error));
      }
    });
  };

  const items = list.data?.items ?? [];

  return (
    <Page title="Card registrations" lead="Cards registered by customers and staff, waiting for a decision.">
      <form className="form form-inline" onSubmit={applyFilter} aria-label="Filter registrations">
        <SelectField
          id="registrations-status"
          label="Status"
          value={filter}
          onChange={(event) => {
            setFilter(event.target.value as Filter);
          }}
        >
          <option value="pending">Pending</option>
          <option value="approved">Approved</option>
          <option value="rejected">Rejected</option>
          <option value="all">All</option>
        </SelectField>
        <SubmitButton busy={false}>Show</SubmitButton>
      </form>
      <OutcomeNotice outcome={result.outcome} testId="registrations-outcome" />
      <LoadState loading={list.loading && !list.data} error={list.error} what="Registrations" retry={list.reload} />
      {list.data && items.length === 0 ? <p>No registrations with this status.</p> : null}
      {items.length ? (
        <TableRegion labelledBy="registrations-caption">
          <table className="table" data-testid="registrations-table">
            <caption id="registrations-caption">
              {count(list.data?.total ?? 0, shown === "all" ? "registration" : `${shown} registration`)}
            </caption>
            <thead>
              <tr>
                <th scope="col">Card</th>
                <th scope="col">Name on card</th>
                <th scope="col">Expiry</th>
                <th scope="col">Received</th>
                <th scope="col">Status</th>
                <ActionsHeader />
              </tr>
            </thead>
            <tbody>
              {items.map((registration) => (
                <tr key={registration.id}>
                  <th scope="row">{cardLabel(registration)}</th>
                  <td>{registration.card.cardholder_name}</td>
                  <td>{registration.card.expiry.slice(0, 7)}</td>
                  <td>
                    <Timestamp value={registration.created_at} />
                  </td>
                  <td>
                    <span className={`badge badge-${registration.status}`}>{registration.status}</span>
                    {registration.reason ? <span className="muted"> — {registration.reason}</span> : null}
                  </td>
                  <td>
                    <div className="row-actions">
                      {registration.status === "pending" ? (
                        <>
                          <button
                            type="button"
                            className="button button-small"
                            onClick={() => {
                              approve(registration);
                            }}
                          >
                            Approve<span className="visually-hidden"> {cardLabel(registration)}</span>
                          </button>
                          <button
                            type="button"
                            className="button button-small button-danger"
                            onClick={() => {
                              openReject(registration);
                            }}
                          >
                            Reject<span className="visually-hidden"> {cardLabel(registration)}</span>
                          </button>
                        </>
                      ) : null}
                      {admin ? (
                        <button
                          type="button"
                          className="button button-small button-secondary"
                          onClick={() => {
                            setRevealing(registration);
                          }}
                        >
                          Reveal number<span className="visually-hidden"> of the {cardLabel(registration)} card</span>
                        </button>
                      ) : null}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      ) : null}
      {list.data ? <Pager label="Registration pages" offset={offset} limit={PAGE} total={list.data.total} onChange={setOffset} /> : null}

      <Dialog
        open={rejecting !== null}
        titleId="reject-title"
        title={`Reject the ${rejecting ? cardLabel(rejecting) : ""} card`}
        returnFocus={!rejected}
        onClose={() => {
          setRejecting(null);
        }}
      >
        <form onSubmit={confirmReject} noValidate>
          <TextAreaField
            id="reject-reason"
            label="Reason"
            rows={3}
            maxLength={500}
            value={reason}
            error={reasonError}
            onChange={(event) => {
              setReason(event.target.value);
              setReasonError(undefined);
            }}
          />
          <div className="actions">
            <SubmitButton busy={action.busy} className="button-danger" busyLabel="Rejecting…">
              Reject registration
            </SubmitButton>
            <button
              type="button"
              className="button button-secondary"
              onClick={() => {
                setRejecting(null);
              }}
            >
              Cancel
            </button>
          </div>
        </form>
      </Dialog>

      <Dialog
        open={revealing !== null}
        titleId="reveal-title"
        title={`Full number of the ${revealing ? cardLabel(revealing) : ""} card`}
        testId="reveal-dialog"
        onClose={closeReveal}
      >
        {revealing ? <RevealCard token={revealing.card.token} onDone={closeReveal} /> : null}
      </Dialog>
    </Page>
  );
}

/**
 * The audited reveal: asked for on purpose, shown for a minute at most, and gone from the page
 * (and from the app's memory) as soon as the dialog closes. It is never stored or logged.
 */
function RevealCard({ token, onDone }: { token: string; onDone: () => void }) {
  const api = useApi();
  const [number, setNumber] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { busy, run } = useSubmitting();
  const hide = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (number === null) {
      return undefined;
    }
    // The Reveal button has gone: focus moves to the one that hides the number again.
    hide.current?.focus();
    const timer = setTimeout(onDone, REVEAL_SECONDS * 1000);
    return () => {
      clearTimeout(timer);
    };
  }, [number, onDone]);

  const reveal = () => {
    setError(null);
    void run(async () => {
      try {
        const revealed = await api.revealCard(token);
        setNumber(revealed.card_number);
        announce("The full card number is shown.");
      } catch (caught) {
        setError(describeError(caught));
      }
    });
  };

  if (number === null) {
    return (
      <>
        <p>Each reveal is recorded in the audit log with your name. Reveal the number only when you need it.</p>
        {error ? <Notice kind="error">{error}</Notice> : null}
        <div className="actions">
          <button type="button" className="button" onClick={reveal} aria-disabled={busy ? true : undefined}>
            {busy ? "Revealing…" : "Reveal the number"}
          </button>
          <button type="button" className="button button-secondary" onClick={onDone}>
            Cancel
          </button>
        </div>
      </>
    );
  }
  return (
    <>
      <p className="revealed-number" data-testid="revealed-number">
        {formatCardNumber(number)}
      </p>
      <p className="field-hint">It is hidden again when you close this dialog, or after {REVEAL_SECONDS} seconds.</p>
      <div className="actions">
        <button type="button" className="button" onClick={onDone} ref={hide}>
          Hide the number
        </button>
      </div>
    </>
  );
}
