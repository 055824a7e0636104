import { type SyntheticEvent, useState } from "react";

import { describeError } from "../api/errors";
import type { Account, Statement, StatementLine } from "../api/types";
import { navigate, useLocation } from "../app/router";
import { useApi } from "../app/services";
import type { SessionView } from "../session/sessions";
import { accountName, accountShortName, isCredit, MOVEMENT_NAMES, shortId } from "../ui/accounts";
import { announce } from "../ui/announcer";
import { saveFile } from "../ui/download";
import { SelectField, SubmitButton, TextField } from "../ui/fields";
import { ErrorSummary, type FieldErrors, useFormErrors } from "../ui/form";
import { useLoad, useSubmitting } from "../ui/hooks";
import { LoadState } from "../ui/LoadState";
import { Money, Timestamp } from "../ui/Money";
import { Notice } from "../ui/Notice";
import { AccountOptions } from "../ui/moneyFields";
import { Page } from "../ui/Page";
import { TableRegion } from "../ui/TableRegion";

type Field = "account" | "from" | "to";
const FIELDS: readonly Field[] = ["account", "from", "to"];
const idFor = (field: Field) => `statement-${field}`;
const DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;

export function StatementPage({ session, accountId }: { session: SessionView; accountId: string | null }) {
  const api = useApi();
  const { search } = useLocation();
  const params = new URLSearchParams(search);
  const from = params.get("from") ?? "";
  const to = params.get("to") ?? "";
  const accounts = useLoad(`accounts:${session.userId}`, () => api.listAccounts({ limit: 200 }));
  const statement = useLoad(accountId ? `statement:${accountId}:${from}:${to}` : null, () =>
    api.statement(accountId ?? "", { from: from || undefined, to: to || undefined }),
  );
  const [selected, setSelected] = useState(accountId ?? "");
  const [fromText, setFromText] = useState(from);
  const [toText, setToText] = useState(to);
  const form = useFormErrors<Field>(FIELDS, idFor, { fields: { from: "from", to: "to", account_id: "account" } });
  const download = useSubmitting();
  const [downloadError, setDownloadError] = useState<string | null>(null);

  const items = accounts.data?.items ?? [];
  const account = items.find((a) => a.id === accountId);

  const show = (event: SyntheticEvent) => {
    event.preventDefault();
    const problems: FieldErrors<Field> = {};
    if (!selected) {
      problems.account = "Choose an account.";
    }
    if (fromText && !DATE.test(fromText)) {
      problems.from = "Enter the first day as a date.";
    }
    if (toText && !DATE.test(toText)) {
      problems.to = "Enter the last day as a date.";
    }
    if (!problems.from && !problems.to && fromText && toText && fromText > toText) {
      problems.to = "The last day must be on or after the first day.";
    }
    if (form.showClientErrors(problems)) {
      return;
    }
    const query = new URLSearchParams();
    if (fromText) {
      query.set("from", fromText);
    }
    if (toText) {
      query.set("to", toText);
    }
    const suffix = query.toString() ? `?${query.toString()}` : "";
    navigate(`/statements/${encodeURIComponent(selected)}${suffix}`);
  };

  const downloadCsv = () => {
    if (!accountId) {
      return;
    }
    setDownloadError(null);
    void download.run(async () => {
      try {
        const file = await api.statementCsv(accountId, { from: from || undefined, to: to || undefined });
        saveFile(file.blob, file.filename ?? `statement-${accountId}.csv`);
        announce("The statement was downloaded as CSV.");
      } catch (error) {
        setDownloadError(describeError(error));
      }
    });
  };

  return (
    <Page title="Statement" lead={account ? accountName(account) : undefined}>
      <LoadState loading={accounts.loading && !accounts.data} error={accounts.error} what="Accounts" retry={accounts.reload} />
      <ErrorSummary form={form} />
      <form className="form form-inline" onSubmit={show} noValidate aria-label="Choose the account and period">
        <SelectField
          id={idFor("account")}
          label="Account"
          value={selected}
          error={form.errors.account}
          onChange={(event) => {
            setSelected(event.target.value);
          }}
        >
          <AccountOptions accounts={items} />
        </SelectField>
        <TextField
          id={idFor("from")}
          label="From"
          type="date"
          optional
          value={fromText}
          error={form.errors.from}
          onChange={(event) => {
            setFromText(event.target.value);
          }}
        />
        <TextField
          id={idFor("to")}
          label="To"
          type="date"
          optional
          value={toText}
          error={form.errors.to}
          onChange={(event) => {
            setToText(event.target.value);
          }}
        />
        <SubmitButton busy={false}>Show statement</SubmitButton>
      </form>
      {accountId ? (
        <>
          <LoadState loading={statement.loading} error={statement.error} what="The statement" retry={statement.reload} />
          {statement.data && !statement.loading ? (
            <StatementView statement={statement.data} accounts={items} onDownload={downloadCsv} downloading={download.busy} />
          ) : null}
          {downloadError ? <Notice kind="error">{downloadError}</Notice> : null}
        </>
      ) : null}
    </Page>
  );
}

/** "to Savings 4821" / "from Rent": the other account of a transfer, by its name when it is one's own. */
function counterpartyText(line: StatementLine, accounts: readonly Account[]): string | null {
  const other = line.counterparty_account_id;
  if (!other) {
    return null;
  }
  const own = accounts.find((a) => a.id === other);
  const name = own ? accountShortName(own) : `account ${shortId(other)}`;
  return `${line.type === "transfer_in" ? "from" : "to"} ${name}`;
}

function StatementView({
  statement,
  accounts,
  onDownload,
  downloading,
}: {
  statement: Statement;
  accounts: readonly Account[];
  onDownload: () => void;
  downloading: boolean;
}) {
  const currency = statement.currency;
  const period =
    statement.from || statement.to ? `${statement.from ?? "the beginning"} to ${statement.to ?? "today"}` : "All transactions";
  return (
    <section aria-labelledby="statement-summary-title" className="statement">
      <h2 id="statement-summary-title">Summary</h2>
      <dl className="summary" data-testid="statement-summary">
        <div>
          <dt>Period</dt>
          <dd>{period}</dd>
        </div>
        <div>
          <dt>Opening balance</dt>
          <dd>
            <Money minor={statement.opening_balance} currency={currency} />
          </dd>
        </div>
        <div>
          <dt>Money in</dt>
          <dd>
            <Money minor={statement.total_credits} currency={currency} />
          </dd>
        </div>
        <div>
          <dt>Money out</dt>
          <dd>
            <Money minor={statement.total_debits} currency={currency} />
          </dd>
        </div>
        <div>
          <dt>Closing balance</dt>
          <dd data-testid="closing-balance">
            <Money minor={statement.closing_balance} currency={currency} />
          </dd>
        </div>
        <div>
          <dt>Current balance</dt>
          <dd data-testid="current-balance">
            <Money minor={statement.balance} currency={currency} />
          </dd>
        </div>
      </dl>
      <p>
        <button type="button" className="button button-secondary" onClick={onDownload} aria-disabled={downloading ? true : undefined}>
          {downloading ? "Preparing the CSV file…" : "Download CSV"}
        </button>
      </p>
      <h2 id="statement-transactions-title">Transactions</h2>
      {statement.transactions.length === 0 ? (
        <p>No transactions in this period.</p>
      ) : (
        <TableRegion labelledBy="statement-transactions-title">
          <table className="table" data-testid="statement-table">
            <caption className="visually-hidden">Transactions, oldest first</caption>
            <thead>
              <tr>
                <th scope="col">Date</th>
                <th scope="col">Type</th>
                <th scope="col">Description</th>
                <th scope="col" className="numeric">
                  Amount
                </th>
                <th scope="col" className="numeric">
                  Balance after
                </th>
              </tr>
            </thead>
            <tbody>
              {statement.transactions.map((line) => (
                <tr key={line.id}>
                  <td>
                    <Timestamp value={line.created_at} />
                  </td>
                  <th scope="row">
                    {MOVEMENT_NAMES[line.type]}
                    {counterpartyText(line, accounts) ? <span className="muted"> {counterpartyText(line, accounts)}</span> : null}
                  </th>
                  <td>{line.description ?? <span className="muted">—</span>}</td>
                  <td className={`numeric ${isCredit(line.type) ? "credit" : "debit"}`}>
                    <span className="visually-hidden">{isCredit(line.type) ? "in " : "out "}</span>
                    <span aria-hidden="true">{isCredit(line.type) ? "+" : "−"}</span>
                    <Money minor={line.amount} currency={line.currency} />
                  </td>
                  <td className="numeric">
                    <Money minor={line.balance_after} currency={line.currency} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
    </section>
  );
}
