// How accounts are named on screen and in lists: type, currency and the end of the id (ids are
// opaque; the end is enough to tell one's own accounts apart).

import type { Account, Transaction } from "../api/types";
import { formatMoney } from "../money/amount";

const TYPE_NAMES: Readonly<Record<Account["type"], string>> = {
  checking: "Checking",
  savings: "Savings",
};

export function accountTypeName(type: Account["type"]): string {
  return TYPE_NAMES[type];
}

export function shortId(id: string): string {
  return id.length > 6 ? id.slice(-6) : id;
}

/** "Checking account, USD, ending 3F9K2A" */
export function accountName(account: Account): string {
  return `${accountTypeName(account.type)} account, ${account.currency}, ending ${shortId(account.id)}`;
}

/** For a <select>: the name and the balance. */
export function accountOption(account: Account): string {
  const status = account.status === "active" ? "" : ` (${account.status})`;
  return `${accountName(account)} — ${formatMoney(account.balance, account.currency)}${status}`;
}

export const MOVEMENT_NAMES: Readonly<Record<Transaction["type"], string>> = {
  deposit: "Deposit",
  withdrawal: "Withdrawal",
  transfer_in: "Transfer in",
  transfer_out: "Transfer out",
};

export function isCredit(type: Transaction["type"]): boolean {
  return type === "deposit" || type === "transfer_in";
}
