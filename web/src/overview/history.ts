// The balance of an account day by day, from its statement for the period: the opening balance,
// then each day's closing balance (the balance after that day's last transaction, or the day
// before's when nothing moved). Days are UTC dates, as statements are.

import type { Statement } from "../api/types";

export interface DayBalance {
  /** YYYY-MM-DD (UTC). */
  date: string;
  /** Minor units at the end of the day. */
  balance: number;
}

export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** Every day from `from` to `to` inclusive (YYYY-MM-DD). */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  const cursor = new Date(`${from}T00:00:00Z`);
  const last = new Date(`${to}T00:00:00Z`);
  while (cursor <= last && days.length < 1000) {
    days.push(isoDay(cursor));
    cursor.setUTCDate(cursor.getUTCDate() + 1);
  }
  return days;
}

/** The period of the last `days` days that ends today (UTC), as statement dates. */
export function lastDays(days: number, today: Date): { from: string; to: string } {
  const start = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()));
  start.setUTCDate(start.getUTCDate() - (days - 1));
  return { from: isoDay(start), to: isoDay(today) };
}

export function dailyBalances(statement: Pick<Statement, "opening_balance" | "transactions">, from: string, to: string): DayBalance[] {
  const closing = new Map<string, number>();
  for (const line of statement.transactions) {
    // Oldest first: the last line of a day sets its closing balance.
    closing.set(line.created_at.slice(0, 10), line.balance_after);
  }
  let balance = statement.opening_balance;
  return daysBetween(from, to).map((date) => {
    balance = closing.get(date) ?? balance;
    return { date, balance };
  });
}
