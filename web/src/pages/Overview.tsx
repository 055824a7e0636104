// The customer's overview: money per currency, each account (with a rename), recent activity,
// and the balance of one account over a chosen period as a chart with its text alternative.

import { lazy, type SyntheticEvent, Suspense, useState } from "react";

import { describeError } from "../api/errors";
import type { Account, Transaction } from "../api/types";
import { Link } from "../app/router";
import { useApi } from "../app/services";
import { formatMoney } from "../money/amount";
import { dailyBalances, lastDays } from "../overview/history";
import type { SessionView } from "../session/sessions";
import { accountName, accountShortName, accountTitle, isCredit, MOVEMENT_NAMES } from "../ui/accounts";
import { announce } from "../ui/announcer";
import { Dialog } from "../ui/Dialog";
import { SelectField, SubmitButton, TextField } from "../ui/fields";
import { useLoad, useSubmitting } from "../ui/hooks";
import { LoadState } from "../ui/LoadState";
import { Money, Timestamp } from "../ui/Money";
import { Page } from "../ui/Page";
import { count } from "../ui/plural";

const BalanceChart = lazy(() => import("../overview/BalanceChart"));

const PERIODS = [
  { days: 7, label: "Last 7 days" },
  { days: 30, label: "Last 30 days" },
  { days: 90, label: "Last 90 days" },
] as const;

interface Activity extends Transaction {
  account: Account;
}

function totalsByCurrency(accounts: readonly Account[]): [string, number][] {
  const totals = new Map<string, number>();
  for (const account of accounts) {
    if (account.status !== "closed") {
      totals.set(account.currency, (totals.get(account.currency) ?? 0) + account.balance);
    }
  }
  return [...totals.entries()].sort(([a], [b]) => a.localeCompare(b));
}

export function OverviewPage({ session }: { session: SessionView }) {
  const api = useApi();
  const accounts = useLoad(`accounts:${session.userId}`, () => api.listAccounts({ limit: 200 }));
  const items = accounts.data?.items ?? [];
  const activity = useLoad(accounts.data ? `activity:${items.map((a) => `${a.id}:${a.balance}`).join(",")}` : null, async () => {
    const pages = await Promise.all(items.slice(0, 10).map(async (account) => ({ account, page: await api.listTransactions(account.id, { limit: 8 }) })));
    const merged: Activity[] = pages.flatMap(({ account, page }) => page.items.map((t) => ({ ...t, account })));
    merged.sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0));
    return merged.slice(0, 8);
  });
  const [renaming, setRenaming] = useState<Account | null>(null);

  return (
    <Page title="Overview" lead={`Hello, ${session.displayName}.`}>
      <LoadState loading={accounts.loading && !accounts.data} error={accounts.error} what="Accounts" retry={accounts.reload} />
      {accounts.data && items.length === 0 ? (
        <p>
          You have no accounts yet. <Link to="/accounts/new">Open your first account</Link>.
        </p>
      ) : null}
      {items.length > 0 ? (
        <>
          <section aria-labelledby="totals-title">
            <h2 id="totals-title">Total balance</h2>
            <ul className="totals" data-testid="totals">
              {totalsByCurrency(items).map(([currency, total]) => (
                <li key={currency}>
                  <span className="total-label">In {currency}</span>
                  <span className="total-amount">
                    <Money minor={total} currency={currency} />
                  </span>
                </li>
              ))}
            </ul>
          </section>
          <div className="overview-grid">
            <section aria-labelledby="overview-accounts-title">
              <h2 id="overview-accounts-title">Your accounts</h2>
              <ul className="activity" data-testid="overview-accounts">
                {items.map((account) => (
                  <li key={account.id} data-account-id={account.id}>
                    <span className="activity-what">
                      <strong data-testid="account-name">{accountShortName(account)}</strong>
                      <br />
                      <span className="muted">
                        {account.name ? `${accountTitle(account)} · ` : ""}
                        {account.currency}
                        {account.status === "active" ? "" : ` · ${account.status}`}
                      </span>
                    </span>
                    <span className="numeric">
                      <Money minor={account.balance} currency={account.currency} />
                    </span>
                    <span className="row-actions">
                      <Link to={`/statements/${encodeURIComponent(account.id)}`}>
                        Statement<span className="visually-hidden"> of {accountName(account)}</span>
                      </Link>
                      <button
                        type="button"
                        className="link-button"
                        onClick={() => {
                          setRenaming(account);
                        }}
                      >
                        Rename<span className="visually-hidden"> {accountName(account)}</span>
                      </button>
                    </span>
                  </li>
                ))}
              </ul>
              <p className="actions">
                <Link to="/accounts/new" className="button button-secondary">
                  Open an account
                </Link>
                <Link to="/transfer" className="button button-secondary">
                  Transfer money
                </Link>
              </p>
            </section>
            <section aria-labelledby="activity-title">
              <h2 id="activity-title">Recent activity</h2>
              <LoadState loading={activity.loading && !activity.data} error={activity.error} what="Recent activity" retry={activity.reload} />
              {activity.data && activity.data.length === 0 ? <p>No money has moved yet.</p> : null}
              {activity.data && activity.data.length > 0 ? (
                <ul className="activity" data-testid="recent-activity">
                  {activity.data.map((entry) => (
                    <li key={entry.id}>
                      <span className="activity-what">
                        <strong>{MOVEMENT_NAMES[entry.type]}</strong> · {accountShortName(entry.account)}
                        {entry.description ? <span className="muted"> · {entry.description}</span> : null}
                        <br />
                        <span className="muted">
                          <Timestamp value={entry.created_at} />
                        </span>
                      </span>
                      <span className={`numeric ${isCredit(entry.type) ? "credit" : "debit"}`}>
                        <span className="visually-hidden">{isCredit(entry.type) ? "in " : "out "}</span>
                        <span aria-hidden="true">{isCredit(entry.type) ? "+" : "−"}</span>
                        <Money minor={entry.amount} currency={entry.currency} />
                      </span>
                    </li>
                  ))}
                </ul>
              ) : null}
            </section>
          </div>
          <BalanceHistory accounts={items} />
        </>
      ) : null}
      <RenameDialog
        account={renaming}
        onClose={() => {
          setRenaming(null);
        }}
        onRenamed={() => {
          setRenaming(null);
          accounts.reload();
        }}
      />
    </Page>
  );
}

function BalanceHistory({ accounts }: { accounts: readonly Account[] }) {
  const api = useApi();
  const [accountId, setAccountId] = useState(accounts[0]?.id ?? "");
  const [days, setDays] = useState<number>(30);
  const account = accounts.find((a) => a.id === accountId) ?? accounts[0];
  const period = lastDays(days, new Date());
  const statement = useLoad(account ? `history:${account.id}:${period.from}:${period.to}:${account.balance}` : null, () =>
    api.statement(account?.id ?? "", period),
  );
  if (!account) {
    return null;
  }
  const points = statement.data ? dailyBalances(statement.data, period.from, period.to) : [];
  const periodLabel = PERIODS.find((p) => p.days === days)?.label.toLowerCase() ?? `last ${days} days`;
  const caption = `Balance of ${accountShortName(account)} (${account.currency}) over the ${periodLabel}`;
  const balances = points.map((p) => p.balance);
  const first = balances[0];
  const last = balances[balances.length - 1];
  const summary =
    first !== undefined && last !== undefined
      ? `From ${formatMoney(first, account.currency)} on ${points[0]?.date ?? ""} to ${formatMoney(last, account.currency)} today; lowest ${formatMoney(Math.min(...balances), account.currency)}, highest ${formatMoney(Math.max(...balances), account.currency)}.`
      : "";

  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">Balance over time</h2>
      <form
        className="form form-inline"
        aria-label="Choose the account and period of the chart"
        onSubmit={(event) => {
          event.preventDefault();
        }}
      >
        <SelectField
          id="history-account"
          label="Account"
          value={account.id}
          onChange={(event) => {
            setAccountId(event.target.value);
          }}
        >
          {accounts.map((a) => (
            <option key={a.id} value={a.id}>
              {accountName(a)}
            </option>
          ))}
        </SelectField>
        <SelectField
          id="history-period"
          label="Period"
          value={String(days)}
          onChange={(event) => {
            setDays(Number(event.target.value));
          }}
        >
          {PERIODS.map((p) => (
            <option key={p.days} value={p.days}>
              {p.label}
            </option>
          ))}
        </SelectField>
      </form>
      <LoadState loading={statement.loading && !statement.data} error={statement.error} what="The balance history" retry={statement.reload} />
      {statement.data ? (
        <figure className="chart-figure" aria-labelledby="history-caption" data-testid="balance-history">
          <figcaption id="history-caption">{caption}</figcaption>
          <p className="muted" data-testid="history-summary">
            {summary}
          </p>
          <Suspense fallback={<p className="loading">Drawing the chart…</p>}>
            <BalanceChart points={points} currency={account.currency} />
          </Suspense>
          <details className="chart-data">
            <summary>Show the data as a table</summary>
            <table className="table" data-testid="history-table">
              <caption className="visually-hidden">{caption}, end-of-day balance (UTC days)</caption>
              <thead>
                <tr>
                  <th scope="col">Day</th>
                  <th scope="col" className="numeric">
                    Balance at the end of the day
                  </th>
                </tr>
              </thead>
              <tbody>
                {points.map((point) => (
                  <tr key={point.date}>
                    <th scope="row">{point.date}</th>
                    <td className="numeric">
                      <Money minor={point.balance} currency={account.currency} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
          <p className="muted">{count(statement.data.transactions.length, "transaction")} in this period.</p>
        </figure>
      ) : null}
    </section>
  );
}

function RenameDialog({ account, onClose, onRenamed }: { account: Account | null; onClose: () => void; onRenamed: () => void }) {
  const api = useApi();
  const [name, setName] = useState("");
  const [error, setError] = useState<string | undefined>(undefined);
  const [shownFor, setShownFor] = useState<string | null>(null);
  const { busy, run } = useSubmitting();
  if (account && shownFor !== account.id) {
    setShownFor(account.id);
    setName(account.name ?? "");
    setError(undefined);
  }

  const save = (event: SyntheticEvent) => {
    event.preventDefault();
    if (!account) {
      return;
    }
    const trimmed = name.trim();
    if (trimmed.length > 60) {
      setError("The name can have at most 60 characters.");
      document.getElementById("rename-name")?.focus();
      return;
    }
    void run(async () => {
      try {
        await api.renameAccount(account.id, trimmed || null);
        announce(trimmed ? `The account is now called ${trimmed}.` : `The account is called ${accountTitle(account)} again.`);
        setShownFor(null);
        onRenamed();
      } catch (caught) {
        setError(describeError(caught));
      }
    });
  };

  return (
    <Dialog
      open={account !== null}
      titleId="rename-title"
      title={account ? `Rename ${accountShortName(account)}` : "Rename"}
      onClose={() => {
        setShownFor(null);
        onClose();
      }}
      testId="rename-dialog"
    >
      <form onSubmit={save} noValidate>
        <TextField
          id="rename-name"
          label="Name"
          optional
          hint={account ? `Leave empty to call it ${accountTitle(account)}.` : undefined}
          maxLength={80}
          autoComplete="off"
          value={name}
          error={error}
          onChange={(event) => {
            setName(event.target.value);
            setError(undefined);
          }}
        />
        <div className="actions">
          <SubmitButton busy={busy} busyLabel="Saving…">
            Save name
          </SubmitButton>
          <button
            type="button"
            className="button button-secondary"
            onClick={() => {
              setShownFor(null);
              onClose();
            }}
          >
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
