import { useApi } from "../app/services";
import { Link } from "../app/router";
import type { SessionView } from "../session/sessions";
import { accountName, accountTypeName, shortId } from "../ui/accounts";
import { useLoad } from "../ui/hooks";
import { LoadState } from "../ui/LoadState";
import { Money } from "../ui/Money";
import { Page } from "../ui/Page";
import { ActionsHeader, TableRegion } from "../ui/TableRegion";
import { count } from "../ui/plural";

export function AccountsPage({ session }: { session: SessionView }) {
  const api = useApi();
  const accounts = useLoad(`accounts:${session.userId}`, () => api.listAccounts({ limit: 200 }));
  const staff = session.role !== "customer";
  const items = accounts.data?.items ?? [];

  return (
    <Page title={staff ? "Accounts of the firm" : "Your accounts"}>
      <p className="actions">
        <Link to="/accounts/new" className="button">
          Open an account
        </Link>
        <Link to="/money" className="button button-secondary">
          Deposit or withdraw
        </Link>
        <Link to="/transfer" className="button button-secondary">
          Transfer money
        </Link>
      </p>
      <LoadState loading={accounts.loading && !accounts.data} error={accounts.error} what="Accounts" retry={accounts.reload} />
      {accounts.data && items.length === 0 ? (
        <p>
          {staff ? "The firm has no accounts yet." : "You have no accounts yet."}{" "}
          <Link to="/accounts/new">Open your first account</Link>.
        </p>
      ) : null}
      {items.length > 0 ? (
        <TableRegion labelledBy="accounts-caption">
          <table className="table" data-testid="accounts-table">
            <caption id="accounts-caption">
              {count(items.length, "account")}
              {accounts.data && accounts.data.total > items.length ? ` of ${accounts.data.total}` : ""}
            </caption>
            <thead>
              <tr>
                <th scope="col">Account</th>
                {staff ? <th scope="col">Holder</th> : null}
                <th scope="col">Currency</th>
                <th scope="col" className="numeric">
                  Balance
                </th>
                <th scope="col">Status</th>
                <ActionsHeader />
              </tr>
            </thead>
            <tbody>
              {items.map((account) => (
                <tr key={account.id} data-account-id={account.id}>
                  <th scope="row">
                    {accountTypeName(account.type)} <span className="muted">ending {shortId(account.id)}</span>
                  </th>
                  {staff ? <td>{shortId(account.holder_id)}</td> : null}
                  <td>{account.currency}</td>
                  <td className="numeric" data-testid="balance">
                    <Money minor={account.balance} currency={account.currency} />
                  </td>
                  <td>
                    <span className={`badge badge-${account.status}`}>{account.status}</span>
                  </td>
                  <td className="row-actions">
                    <Link to={`/statements/${encodeURIComponent(account.id)}`}>
                      Statement<span className="visually-hidden"> of {accountName(account)}</span>
                    </Link>
                    <Link to={`/money?account=${encodeURIComponent(account.id)}`}>
                      Deposit or withdraw<span className="visually-hidden"> for {accountName(account)}</span>
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      ) : null}
    </Page>
  );
}
