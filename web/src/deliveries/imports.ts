// Courier file uploads: what the browser checks before sending a file, and how an import's
// report is put in words.

import type { DeliveryImport } from "../api/types";
import { count as plural } from "../ui/plural";

/** The service's default MAX_UPLOAD_BYTES; a larger file would be refused with 413. */
export const MAX_FILE_BYTES = 50 * 1_048_576;

export interface ChosenFile {
  name: string;
  size: number;
}

/** A message when the chosen file cannot be a courier CSV file, else undefined. */
export function checkCourierFile(file: ChosenFile | null | undefined): string | undefined {
  if (!file) {
    return "Choose the courier's CSV file.";
  }
  if (!/\.csv$/i.test(file.name)) {
    return "The file must be a CSV file (its name ends in .csv).";
  }
  if (file.size === 0) {
    return "The file is empty.";
  }
  if (file.size > MAX_FILE_BYTES) {
    return "The file is larger than 50 MB; split it into smaller files.";
  }
  return undefined;
}

function count(n: number, one: string, many: string): string {
  return plural(n, { one, other: many });
}

/** Whether the import is over (its counts are final). */
export function isFinished(report: Pick<DeliveryImport, "status">): boolean {
  return report.status === "completed" || report.status === "failed";
}

/** "3 rows: 1 imported, 0 duplicates, 2 rejected." (or where an unfinished import stands). */
export function importSummary(report: DeliveryImport): string {
  if (report.status === "failed") {
    return `The import failed: ${report.failure ?? "no reason was given"}.`;
  }
  const counts = `${count(report.rows_imported, "imported", "imported")}, ${count(report.rows_duplicate, "duplicate", "duplicates")}, ${count(report.rows_rejected, "rejected", "rejected")}`;
  if (!isFinished(report)) {
    return `The import is ${report.status}: ${count(report.rows_total, "row", "rows")} read so far (${counts}).`;
  }
  return `${count(report.rows_total, "row", "rows")}: ${counts}.`;
}

/** The rejected rows the report does not list (it carries the first 100). */
export function unlistedRejections(report: DeliveryImport): number {
  return Math.max(0, report.rows_rejected - report.errors.length);
}

/** "1.2 MB", "166 bytes" */
export function fileSize(bytes: number): string {
  if (bytes < 1024) {
    return count(bytes, "byte", "bytes");
  }
  if (bytes < 1_048_576) {
    return `${(bytes / 1024).toFixed(1)} KB`;
  }
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}
