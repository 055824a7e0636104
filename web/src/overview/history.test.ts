import { describe, expect, it } from "vitest";

import { dailyBalances, daysBetween, lastDays } from "./history";

const line = (created_at: string, balance_after: number) => ({
  id: created_at,
  type: "deposit" as const,
  amount: 1,
  currency: "USD",
  balance_after,
  description: null,
  created_at,
});

describe("daily balances", () => {
  it("carries each day's closing balance forward over quiet days", () => {
    const statement = {
      opening_balance: 1_000,
      transactions: [line("2026-11-02T09:00:00Z", 1_500), line("2026-11-02T18:00:00Z", 1_200), line("2026-11-04T08:00:00Z", 2_000)],
    };
    expect(dailyBalances(statement, "2026-11-01", "2026-11-05")).toEqual([
      { date: "2026-11-01", balance: 1_000 },
      { date: "2026-11-02", balance: 1_200 },
      { date: "2026-11-03", balance: 1_200 },
      { date: "2026-11-04", balance: 2_000 },
      { date: "2026-11-05", balance: 2_000 },
    ]);
  });

  it("counts the days of a period, across a month end", () => {
    expect(daysBetween("2026-11-29", "2026-12-02")).toEqual(["2026-11-29", "2026-11-30", "2026-12-01", "2026-12-02"]);
    expect(lastDays(7, new Date("2026-12-03T20:00:00Z"))).toEqual({ from: "2026-11-27", to: "2026-12-03" });
  });
});
