// Courier files: upload one (a CSV of pickups, delivery exceptions, deliveries or returns),
// read its import report (rows imported, duplicate and rejected, each rejected row with its line
// number), and the list of past imports. A large file is imported in the background: its
// report is polled until it is done.

import { type RefObject, type SyntheticEvent, useEffect, useRef, useState } from "react";

import { describeError } from "../../api/errors";
import type { DeliveryImport, DeliveryKind, ImportRowError } from "../../api/types";
import { useSearchParam } from "../../app/router";
import { useApi } from "../../app/services";
import { KIND_NAMES, kindName } from "../../deliveries/events";
import { checkCourierFile, fileSize, importSummary, isFinished, unlistedRejections } from "../../deliveries/imports";
import { shortId } from "../../ui/accounts";
import { announce } from "../../ui/announcer";
import { SelectField, SubmitButton, TextField } from "../../ui/fields";
import { ErrorSummary, useFormErrors } from "../../ui/form";
import { useLoad, useSubmitting } from "../../ui/hooks";
import { LoadState } from "../../ui/LoadState";
import { Timestamp } from "../../ui/Money";
import { Notice } from "../../ui/Notice";
import { Page } from "../../ui/Page";
import { Pager } from "../../ui/Pager";
import { ActionsHeader, TableRegion } from "../../ui/TableRegion";
import { count } from "../../ui/plural";

type Field = "file" | "kind" | "partner";
const FIELDS: readonly Field[] = ["file", "kind", "partner"];
const idFor = (field: Field) => `import-${field}`;
const MAPPING = {
  fields: { file: "file" as const, kind: "kind" as const, partner: "partner" as const },
  codes: {
    unrecognised_header: "file" as const,
    undetermined_kind: "kind" as const,
    empty_file: "file" as const,
    unreadable_file: "file" as const,
    payload_too_large: "file" as const,
  },
};
const PAGE = 20;
const ERRORS_PAGE = 200;
const POLL_MS = 1000;

export function DeliveryImportsPage() {
  const api = useApi();
  const linked = useSearchParam("import");
  const [offset, setOffset] = useState(0);
  const [listVersion, setListVersion] = useState(0);
  const list = useLoad(`imports:${offset}:${listVersion}`, () => api.listDeliveryImports({ limit: PAGE, offset }));
  const [report, setReport] = useState<DeliveryImport | null>(null);
  const [reportError, setReportError] = useState<string | null>(null);
  const [focusReport, setFocusReport] = useState(0);
  const [file, setFile] = useState<File | null>(null);
  const [fileKey, setFileKey] = useState(0);
  const [kind, setKind] = useState<DeliveryKind | "">("");
  const [partner, setPartner] = useState("");
  const form = useFormErrors<Field>(FIELDS, idFor, MAPPING);
  const { busy, run } = useSubmitting();
  const reportBox = useRef<HTMLElement>(null);

  const show = (next: DeliveryImport, focus: boolean) => {
    setReport(next);
    setReportError(null);
    if (focus) {
      setFocusReport((n) => n + 1);
    }
  };

  // An import linked from a card's delivery history (?import=dim_...).
  useEffect(() => {
    if (!linked) {
      return undefined;
    }
    let current = true;
    api.getDeliveryImport(linked).then(
      (found) => {
        if (current) {
          setReport(found);
          setReportError(null);
        }
      },
      (error: unknown) => {
        if (current) {
          setReportError(describeError(error));
        }
      },
    );
    return () => {
      current = false;
    };
  }, [api, linked]);

  // A queued or running import: read its report again until it is done.
  useEffect(() => {
    if (report === null || isFinished(report)) {
      return undefined;
    }
    const reportId = report.id;
    let current = true;
    const timer = setTimeout(() => {
      api.getDeliveryImport(reportId).then(
        (next) => {
          if (current) {
            setReport(next);
            if (isFinished(next)) {
              announce(`Import of ${next.file_name} finished. ${importSummary(next)}`);
              setListVersion((n) => n + 1);
            }
          }
        },
        (error: unknown) => {
          if (current) {
            setReportError(describeError(error));
          }
        },
      );
    }, POLL_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [api, report]);

  useEffect(() => {
    if (focusReport > 0) {
      reportBox.current?.focus();
    }
  }, [focusReport]);

  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    void run(async () => {
      const problem = checkCourierFile(file);
      if (form.showClientErrors(problem ? { file: problem } : {}) || !file) {
        return;
      }
      try {
        const created = await api.importDeliveries({
          file,
          kind: kind || undefined,
          partner: partner.trim() || undefined,
        });
        form.clear();
        setFile(null);
        setFileKey((n) => n + 1); // a fresh, empty file input
        show(created, true);
        setOffset(0);
        setListVersion((n) => n + 1);
      } catch (error) {
        form.showApiError(error);
      }
    });
  };

  const items = list.data?.items ?? [];

  return (
    <Page
      title="Courier files"
      lead="Upload the CSV files couriers send (pickups, delivery exceptions, deliveries, returns). Each row updates its card's delivery status; a row already imported counts as a duplicate."
    >
      <section aria-labelledby="upload-title">
        <h2 id="upload-title">Upload a file</h2>
        <ErrorSummary form={form} />
        <form className="form" onSubmit={submit} noValidate aria-labelledby="upload-title">
          <TextField
            key={fileKey}
            id={idFor("file")}
            label="Courier file (CSV)"
            type="file"
            accept=".csv,text/csv"
            hint="As the courier sent it, in UTF-8, with its header row. At most 50 MB."
            error={form.errors.file}
            onChange={(event) => {
              setFile(event.target.files?.[0] ?? null);
              form.setFieldError("file", undefined);
            }}
          />
          <SelectField
            id={idFor("kind")}
            label="What the file holds"
            optional
            hint="Tessera reads it from the file's header or name; choose only if that fails."
            value={kind}
            error={form.errors.kind}
            onChange={(event) => {
              setKind(event.target.value as DeliveryKind | "");
              form.setFieldError("kind", undefined);
            }}
          >
            <option value="">Find out from the file</option>
            {(Object.keys(KIND_NAMES) as DeliveryKind[]).map((value) => (
              <option key={value} value={value}>
                {KIND_NAMES[value]}
              </option>
            ))}
          </SelectField>
          <TextField
            id={idFor("partner")}
            label="Courier"
            optional
            hint="The courier's name, when the firm has set up its time zone and phone region."
            autoComplete="off"
            spellCheck={false}
            maxLength={64}
            value={partner}
            error={form.errors.partner}
            onChange={(event) => {
              setPartner(event.target.value);
              form.setFieldError("partner", undefined);
            }}
          />
          <SubmitButton busy={busy} busyLabel="Importing…">
            Upload and import
          </SubmitButton>
        </form>
      </section>

      {reportError ? <Notice kind="error">{reportError}</Notice> : null}
      {report ? <ImportReport key={report.id} report={report} headingRef={reportBox} /> : null}

      <section aria-labelledby="imports-title">
        <h2 id="imports-title">Past imports</h2>
        <LoadState loading={list.loading && !list.data} error={list.error} what="Past imports" retry={list.reload} />
        {list.data && items.length === 0 ? <p>No file has been imported yet.</p> : null}
        {items.length ? (
          <TableRegion labelledBy="imports-caption">
            <table className="table" data-testid="imports-table">
              <caption id="imports-caption">
                {count(list.data?.total ?? 0, "import")}, newest first
              </caption>
              <thead>
                <tr>
                  <th scope="col">File</th>
                  <th scope="col">Received</th>
                  <th scope="col">Holds</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="numeric">
                    Rows
                  </th>
                  <th scope="col" className="numeric">
                    Imported
                  </th>
                  <th scope="col" className="numeric">
                    Duplicates
                  </th>
                  <th scope="col" className="numeric">
                    Rejected
                  </th>
                  <ActionsHeader />
                </tr>
              </thead>
              <tbody>
                {items.map((entry) => (
                  <tr key={entry.id} data-import-id={entry.id}>
                    <th scope="row">{entry.file_name}</th>
                    <td>
                      <Timestamp value={entry.created_at} />
                    </td>
                    <td>{kindName(entry.kind)}</td>
                    <td>
                      <span className={`badge badge-${entry.status}`}>{entry.status}</span>
                    </td>
                    <td className="numeric">{entry.rows_total}</td>
                    <td className="numeric">{entry.rows_imported}</td>
                    <td className="numeric">{entry.rows_duplicate}</td>
                    <td className="numeric">{entry.rows_rejected}</td>
                    <td>
                      <button
                        type="button"
                        className="button button-small button-secondary"
                        onClick={() => {
                          setReportError(null);
                          api.getDeliveryImport(entry.id).then(
                            (found) => {
                              show(found, true);
                            },
                            (error: unknown) => {
                              setReportError(describeError(error));
                            },
                          );
                        }}
                      >
                        View report<span className="visually-hidden"> of {entry.file_name} (import ending {shortId(entry.id)})</span>
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableRegion>
        ) : null}
        {list.data ? <Pager label="Import pages" offset={offset} limit={PAGE} total={list.data.total} onChange={setOffset} /> : null}
      </section>
    </Page>
  );
}

function ImportReport({ report, headingRef }: { report: DeliveryImport; headingRef: RefObject<HTMLElement | null> }) {
  const api = useApi();
  const [allErrors, setAllErrors] = useState<ImportRowError[] | null>(null);
  const [errorsError, setErrorsError] = useState<string | null>(null);
  const more = useSubmitting();
  const rows = allErrors ?? report.errors;
  const unlisted = allErrors ? 0 : unlistedRejections(report);

  const loadAll = () => {
    setErrorsError(null);
    void more.run(async () => {
      try {
        const collected: ImportRowError[] = [];
        for (let offset = 0; ; offset += ERRORS_PAGE) {
          const page = await api.listDeliveryImportErrors(report.id, { limit: ERRORS_PAGE, offset });
          collected.push(...page.items);
          if (page.items.length === 0 || collected.length >= page.total) {
            break;
          }
        }
        setAllErrors(collected);
        announce(`All ${collected.length} rejected rows are listed.`);
        // The button has gone: focus moves to the table it filled.
        setTimeout(() => {
          document.getElementById("rejected-rows-region")?.focus();
        }, 0);
      } catch (error) {
        setErrorsError(describeError(error));
      }
    });
  };

  return (
    <section
      className="panel"
      aria-labelledby="report-title"
      data-testid="import-report"
      ref={headingRef}
      tabIndex={-1}
    >
      <h2 id="report-title">Import report: {report.file_name}</h2>
      <p data-testid="import-summary" role="status">
        {importSummary(report)}
      </p>
      {!isFinished(report) ? (
        <p className="muted">The file is being imported in the background; this report updates by itself.</p>
      ) : null}
      <dl className="summary">
        <div>
          <dt>Rows read</dt>
          <dd data-testid="rows-total">{report.rows_total}</dd>
        </div>
        <div>
          <dt>Imported</dt>
          <dd data-testid="rows-imported">{report.rows_imported}</dd>
        </div>
        <div>
          <dt>Duplicates</dt>
          <dd data-testid="rows-duplicate">{report.rows_duplicate}</dd>
        </div>
        <div>
          <dt>Rejected</dt>
          <dd data-testid="rows-rejected">{report.rows_rejected}</dd>
        </div>
      </dl>
      <p className="muted">
        {kindName(report.kind)} · {fileSize(report.file_size)} · received <Timestamp value={report.created_at} /> · times without a zone
        read in {report.timezone}, phone numbers in region {report.phone_region}
      </p>
      {report.duplicate_of ? (
        <Notice kind="info" live="none">
          <p>The same file was imported before, so rows already known are counted as duplicates and change nothing.</p>
        </Notice>
      ) : null}
      {rows.length ? (
        <TableRegion id="rejected-rows-region" labelledBy="rejected-caption">
          <table className="table" data-testid="rejected-rows">
            <caption id="rejected-caption">
              Rejected rows{unlisted ? ` (the first ${rows.length} of ${report.rows_rejected})` : ""}
            </caption>
            <thead>
              <tr>
                <th scope="col" className="numeric">
                  Line
                </th>
                <th scope="col">Why it was rejected</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.row}>
                  <th scope="row" className="numeric">
                    {row.row}
                  </th>
                  <td>{row.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      ) : null}
      {unlisted ? (
        <p>
          <button type="button" className="button button-secondary" onClick={loadAll} aria-disabled={more.busy ? true : undefined}>
            {more.busy ? "Loading…" : `List all ${report.rows_rejected} rejected rows`}
          </button>
        </p>
      ) : null}
      {errorsError ? <Notice kind="error">{errorsError}</Notice> : null}
    </section>
  );
}
