// How accounts are named on screen and in lists: the holder's own name for it when there is one,
// otherwise its type and its four-digit number ("Checking 4821"); ids are opaque and never shown
// as a name.

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

/** "Checking 4821": the type and the account's number. */
export function accountTitle(account: Pick<Account, "type" | "number">): string {
  return `${accountTypeName(account.type)} ${account.number}`;
}

/** The short name on screen: the holder's name for it ("Rent"), or "Checking 4821". */
export function accountShortName(account: Pick<Account, "type" | "number" | "name">): string {
  return account.name ?? accountTitle(account);
}

/** "Rent (checking 4821, USD)" or "Checking 4821, USD": for lists, links and screen readers. */
export function accountName(account: Pick<Account, "type" | "number" | "name" | "currency">): string {
  return account.name
    ? `${account.name} (${accountTitle(account).toLowerCase()}, ${account.currency})`
    : `${accountTitle(account)}, ${account.currency}`;
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
