import { type SyntheticEvent, useRef, useState } from "react";

import { describeError } from "../../api/errors";
import type { CardRegistration, RegistrationStatus } from "../../api/types";
import { useApi } from "../../app/services";
import { BRAND_NAMES, type Brand } from "../../cards/validation";
import { announce } from "../../ui/announcer";
import { SelectField, SubmitButton, TextAreaField } from "../../ui/fields";
import { useLoad, useSubmitting } from "../../ui/hooks";
import { LoadState } from "../../ui/LoadState";
import { Timestamp } from "../../ui/Money";
import { Notice } from "../../ui/Notice";
import { Page } from "../../ui/Page";
import { Pager } from "../../ui/Pager";
import { TableRegion } from "../../ui/TableRegion";

const PAGE = 25;
type Filter = RegistrationStatus | "all";

function brandName(brand: string): string {
  return (BRAND_NAMES as Partial<Record<string, string>>)[brand as Brand] ?? brand;
}

function cardLabel(registration: CardRegistration): string {
  return `${brandName(registration.card.brand)} ending ${registration.card.last4}`;
}

export function RegistrationsPage() {
  const api = useApi();
  const [filter, setFilter] = useState<Filter>("pending");
  const [shown, setShown] = useState<Filter>("pending");
  const [offset, setOffset] = useState(0);
  const list = useLoad(`registrations:${shown}:${offset}`, () =>
    api.listRegistrations({ status: shown === "all" ? undefined : shown, limit: PAGE, offset }),
  );
  const action = useSubmitting();
  const [actionError, setActionError] = useState<string | null>(null);
  const [rejecting, setRejecting] = useState<CardRegistration | null>(null);
  const [reason, setReason] = useState("");
  const [reasonError, setReasonError] = useState<string | undefined>(undefined);
  const dialog = useRef<HTMLDialogElement>(null);
  const returnFocus = useRef<HTMLElement | null>(null);

  const applyFilter = (event: SyntheticEvent) => {
    event.preventDefault();
    setOffset(0);
    setShown(filter);
  };

  const approve = (registration: CardRegistration) => {
    setActionError(null);
    void action.run(async () => {
      try {
        await api.approveRegistration(registration.id);
        announce(`Registration of the ${cardLabel(registration)} card approved.`);
        list.reload();
      } catch (error) {
        setActionError(describeError(error));
      }
    });
  };

  const openReject = (registration: CardRegistration, opener: HTMLElement) => {
    returnFocus.current = opener;
    setRejecting(registration);
    setReason("");
    setReasonError(undefined);
    dialog.current?.showModal();
  };

  const closeReject = () => {
    dialog.current?.close();
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
        closeReject();
        announce(`Registration of the ${cardLabel(registration)} card rejected.`);
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
      <LoadState loading={list.loading && !list.data} error={list.error} what="Registrations" retry={list.reload} />
      {actionError ? <Notice kind="error">{actionError}</Notice> : null}
      {list.data && items.length === 0 ? <p>No registrations with this status.</p> : null}
      {items.length ? (
        <TableRegion labelledBy="registrations-caption">
          <table className="table" data-testid="registrations-table">
            <caption id="registrations-caption">
              {list.data?.total ?? 0} {shown === "all" ? "" : shown} registrations
            </caption>
            <thead>
              <tr>
                <th scope="col">Card</th>
                <th scope="col">Name on card</th>
                <th scope="col">Expiry</th>
                <th scope="col">Received</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="visually-hidden">Decision</span>
                </th>
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
                  <td className="row-actions">
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
                          onClick={(event) => {
                            openReject(registration, event.currentTarget);
                          }}
                        >
                          Reject<span className="visually-hidden"> {cardLabel(registration)}</span>
                        </button>
                      </>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      ) : null}
      {list.data ? <Pager label="Registration pages" offset={offset} limit={PAGE} total={list.data.total} onChange={setOffset} /> : null}

      <dialog
        ref={dialog}
        className="dialog"
        aria-labelledby="reject-title"
        onClose={() => {
          setRejecting(null);
          returnFocus.current?.focus();
        }}
      >
        <form onSubmit={confirmReject} noValidate>
          <h2 id="reject-title">Reject the {rejecting ? cardLabel(rejecting) : ""} card</h2>
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
            <button type="button" className="button button-secondary" onClick={closeReject}>
              Cancel
            </button>
          </div>
        </form>
      </dialog>
    </Page>
  );
}
