import { describe, expect, it } from "vitest";

import type { DeliveryImport } from "../api/types";
import { eventName, kindName } from "./events";
import { checkCourierFile, fileSize, importSummary, isFinished, MAX_FILE_BYTES, unlistedRejections } from "./imports";

function report(overrides: Partial<DeliveryImport> = {}): DeliveryImport {
  return {
    id: "dim_1",
    kind: "pickup",
    status: "completed",
    partner: null,
    source: "api",
    file_name: "pickup.csv",
    file_hash: "0".repeat(64),
    file_size: 160,
    phone_region: "AE",
    timezone: "Asia/Dubai",
    rows_total: 3,
    rows_imported: 1,
    rows_duplicate: 0,
    rows_rejected: 2,
    rows_warned: 0,
    errors: [
      { row: 3, message: "bad card id" },
      { row: 4, message: "bad time" },
    ],
    warnings: [],
    failure: null,
    duplicate_of: null,
    created_at: "2026-11-23T08:00:00Z",
    completed_at: "2026-11-23T08:00:01Z",
    ...overrides,
  };
}

describe("checkCourierFile", () => {
  it("wants a non-empty CSV file of at most 50 MB", () => {
    expect(checkCourierFile(null)).toBe("Choose the courier's CSV file.");
    expect(checkCourierFile({ name: "report.xlsx", size: 10 })).toBe("The file must be a CSV file (its name ends in .csv).");
    expect(checkCourierFile({ name: "empty.csv", size: 0 })).toBe("The file is empty.");
    expect(checkCourierFile({ name: "huge.csv", size: MAX_FILE_BYTES + 1 })).toBe("The file is larger than 50 MB; split it into smaller files.");
    expect(checkCourierFile({ name: "Sample Card Status Info - Pickup.CSV", size: 160 })).toBeUndefined();
    expect(checkCourierFile({ name: "limit.csv", size: MAX_FILE_BYTES })).toBeUndefined();
  });
});

describe("importSummary", () => {
  it("counts the rows of a finished import", () => {
    expect(importSummary(report())).toBe("3 rows: 1 imported, 0 duplicates, 2 rejected.");
    expect(importSummary(report({ rows_total: 1, rows_imported: 0, rows_duplicate: 1, rows_rejected: 0 }))).toBe(
      "1 row: 0 imported, 1 duplicate, 0 rejected.",
    );
    expect(importSummary(report({ rows_total: 1_200_000, rows_imported: 1_200_000, rows_rejected: 0 }))).toBe(
      "1,200,000 rows: 1,200,000 imported, 0 duplicates, 0 rejected.",
    );
  });

  it("says where an unfinished import stands, and why one failed", () => {
    const queued = report({ status: "queued", rows_total: 0, rows_imported: 0, rows_rejected: 0 });
    expect(isFinished(queued)).toBe(false);
    expect(importSummary(queued)).toBe("The import is queued: 0 rows read so far (0 imported, 0 duplicates, 0 rejected).");
    const failed = report({ status: "failed", failure: "The uploaded file is no longer stored" });
    expect(isFinished(failed)).toBe(true);
    expect(importSummary(failed)).toBe("The import failed: The uploaded file is no longer stored.");
  });
});

describe("report details", () => {
  it("counts the rejected rows the report leaves out", () => {
    expect(unlistedRejections(report())).toBe(0);
    expect(unlistedRejections(report({ rows_rejected: 250 }))).toBe(248);
  });

  it("writes file sizes for people", () => {
    expect(fileSize(1)).toBe("1 byte");
    expect(fileSize(166)).toBe("166 bytes");
    expect(fileSize(2048)).toBe("2.0 KB");
    expect(fileSize(5 * 1_048_576)).toBe("5.0 MB");
  });

  it("names events and kinds, and shows unknown ones as they come", () => {
    expect(eventName("delivery_exception")).toBe("Delivery exception");
    expect(eventName("lost_at_sea")).toBe("lost_at_sea");
    expect(kindName("returned")).toBe("Returns");
    expect(kindName("other")).toBe("other");
  });
});
