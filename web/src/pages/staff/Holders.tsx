import { useState } from "react";

import { Link } from "../../app/router";
import { useApi } from "../../app/services";
import { useLoad } from "../../ui/hooks";
import { LoadState } from "../../ui/LoadState";
import { Timestamp } from "../../ui/Money";
import { Page } from "../../ui/Page";
import { holderName } from "../../ui/people";
import { Pager } from "../../ui/Pager";
import { ActionsHeader, TableRegion } from "../../ui/TableRegion";
import { count } from "../../ui/plural";

const PAGE = 50;

export function HoldersPage() {
  const api = useApi();
  const [offset, setOffset] = useState(0);
  const holders = useLoad(`holders:${offset}`, () => api.listAccountHolders({ limit: PAGE, offset }));
  const items = holders.data?.items ?? [];
  return (
    <Page title="Account holders">
      <LoadState loading={holders.loading && !holders.data} error={holders.error} what="Account holders" retry={holders.reload} />
      {holders.data && items.length === 0 ? <p>The firm has no customers yet.</p> : null}
      {items.length ? (
        <TableRegion labelledBy="holders-caption">
          <table className="table">
            <caption id="holders-caption">{count(holders.data?.total ?? 0, "account holder")}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Date of birth</th>
                <th scope="col">Phone</th>
                <th scope="col">Customer since</th>
                <ActionsHeader />
              </tr>
            </thead>
            <tbody>
              {items.map((holder) => (
                <tr key={holder.id}>
                  <th scope="row">{holderName(holder)}</th>
                  <td>{holder.dob ?? "—"}</td>
                  <td>{holder.phone ?? "—"}</td>
                  <td>
                    <Timestamp value={holder.created_at} />
                  </td>
                  <td className="row-actions">
                    <Link to={`/accounts/new?holder=${encodeURIComponent(holder.id)}`}>
                      Open an account
                      <span className="visually-hidden">
                        {" "}
                        for {holderName(holder)}
                      </span>
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      ) : null}
      {holders.data ? <Pager label="Account holder pages" offset={offset} limit={PAGE} total={holders.data.total} onChange={setOffset} /> : null}
    </Page>
  );
}
