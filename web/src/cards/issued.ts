// Rules and words for cards issued on accounts, mirroring the service (src/tessera/cards):
// active <-> blocked, active or blocked -> closed (final); customers may block and close their
// own cards, but only the firm's staff may unblock one.

import type { Account, IssuedCard, IssuedCardDelivery, IssuedCardStatus, Role } from "../api/types";
import { eventName } from "../deliveries/events";
import { brandName } from "./validation";
import { count } from "../ui/plural";

export interface CardAction {
  status: IssuedCardStatus;
  /** The button's verb: "Block", "Unblock", "Close". */
  verb: string;
  /** Closing is final: ask first. */
  confirm: boolean;
}

const BLOCK: CardAction = { status: "blocked", verb: "Block", confirm: false };
const UNBLOCK: CardAction = { status: "active", verb: "Unblock", confirm: false };
const CLOSE: CardAction = { status: "closed", verb: "Close", confirm: true };

/** The status changes a person with ``role`` may make to a card, in the order to offer them. */
export function cardActions(status: IssuedCardStatus, role: Role): CardAction[] {
  switch (status) {
    case "active":
      return [BLOCK, CLOSE];
    case "blocked":
      return role === "customer" ? [CLOSE] : [UNBLOCK, CLOSE];
    case "closed":
      return [];
  }
}

/** "Visa physical card ending 4678" */
export function issuedCardName(card: { brand: string; type: IssuedCard["type"]; last4: string }): string {
  return `${brandName(card.brand)} ${card.type} card ending ${card.last4}`;
}

/** "11/2029" from the API's last day of the month (2029-11-30). */
export function expiryText(expiry: string): string {
  const match = /^([0-9]{4})-([0-9]{2})/.exec(expiry);
  return match ? `${match[2] ?? ""}/${match[1] ?? ""}` : expiry;
}

/** What the couriers last said about a card, in words ("Delivered", "Delivery exception, 2 failed attempts"). */
export function deliveryText(type: IssuedCard["type"], delivery: IssuedCardDelivery | null | undefined): string {
  if (type === "virtual") {
    return "Not delivered: a virtual card";
  }
  if (!delivery) {
    return "Not reported by the courier yet";
  }
  const attempts = delivery.delivery_attempts;
  const failed = attempts === 0 ? "" : `, ${count(attempts, "failed attempt")}`;
  return `${eventName(delivery.status)}${failed}`;
}

export interface AccountCards {
  accountId: string;
  account: Account | undefined;
  cards: IssuedCard[];
}

/**
 * Cards grouped by account: every account listed (in the order given, so one without cards
 * still shows, to issue its first), then accounts only the cards name (not loaded), in the
 * order their first card appears. Cards keep their order (newest first) inside a group.
 */
export function groupByAccount(accounts: readonly Account[], cards: readonly IssuedCard[]): AccountCards[] {
  const groups = new Map<string, AccountCards>();
  for (const account of accounts) {
    groups.set(account.id, { accountId: account.id, account, cards: [] });
  }
  for (const card of cards) {
    let group = groups.get(card.account_id);
    if (!group) {
      group = { accountId: card.account_id, account: undefined, cards: [] };
      groups.set(card.account_id, group);
    }
    group.cards.push(card);
  }
  return [...groups.values()];
}
