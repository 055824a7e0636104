import { type SyntheticEvent, useState } from "react";

import type { AuditEvent } from "../../api/types";
import { useApi } from "../../app/services";
import { shortId } from "../../ui/accounts";
import { SubmitButton, TextField } from "../../ui/fields";
import { useLoad } from "../../ui/hooks";
import { LoadState } from "../../ui/LoadState";
import { Timestamp } from "../../ui/Money";
import { Page } from "../../ui/Page";
import { Pager } from "../../ui/Pager";
import { TableRegion } from "../../ui/TableRegion";
import { count } from "../../ui/plural";

const PAGE = 50;

const ACTOR_NAMES: Readonly<Record<AuditEvent["actor_type"], string>> = {
  user: "User",
  client: "API client",
  cli: "Command line",
  system: "Tessera",
};

export function AuditLogPage() {
  const api = useApi();
  const [actionText, setActionText] = useState("");
  const [action, setAction] = useState("");
  const [offset, setOffset] = useState(0);
  const log = useLoad(`audit:${action}:${offset}`, () =>
    api.listAuditEvents({ action: action || undefined, limit: PAGE, offset }),
  );
  const items = log.data?.items ?? [];

  const filter = (event: SyntheticEvent) => {
    event.preventDefault();
    setOffset(0);
    setAction(actionText.trim());
  };

  return (
    <Page title="Audit log" lead="Who did what and when, newest first. Entries are hash-chained and cannot be edited.">
      <form className="form form-inline" onSubmit={filter} aria-label="Filter the audit log">
        <TextField
          id="audit-action"
          label="Action"
          optional
          hint="For example auth.login."
          spellCheck={false}
          autoComplete="off"
          value={actionText}
          onChange={(event) => {
            setActionText(event.target.value);
          }}
        />
        <SubmitButton busy={false}>Filter</SubmitButton>
      </form>
      <LoadState loading={log.loading && !log.data} error={log.error} what="The audit log" retry={log.reload} />
      {log.data && items.length === 0 ? <p>No entries.</p> : null}
      {items.length ? (
        <TableRegion labelledBy="audit-caption">
          <table className="table" data-testid="audit-table">
            <caption id="audit-caption">{count(log.data?.total ?? 0, { one: "entry", other: "entries" })}</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Action</th>
                <th scope="col">Actor</th>
                <th scope="col">Target</th>
                <th scope="col">Request</th>
                <th scope="col">Address</th>
              </tr>
            </thead>
            <tbody>
              {items.map((entry) => (
                <tr key={entry.id}>
                  <td>
                    <Timestamp value={entry.created_at} />
                  </td>
                  <th scope="row">
                    <code>{entry.action}</code>
                  </th>
                  <td>
                    {entry.actor_email ? (
                      <span title={`User ${entry.actor_id ?? ""}`}>{entry.actor_email}</span>
                    ) : (
                      <>
                        {ACTOR_NAMES[entry.actor_type]}
                        {entry.actor_id ? <span className="muted"> {shortId(entry.actor_id)}</span> : null}
                      </>
                    )}
                  </td>
                  <td>
                    {entry.target_type ?? "—"}
                    {entry.target_id ? <span className="muted"> {shortId(entry.target_id)}</span> : null}
                  </td>
                  <td>{entry.request_id ? <code className="wrap">{entry.request_id}</code> : "—"}</td>
                  <td>{entry.ip_address ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      ) : null}
      {log.data ? <Pager label="Audit log pages" offset={offset} limit={PAGE} total={log.data.total} onChange={setOffset} /> : null}
    </Page>
  );
}
