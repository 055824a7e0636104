import { describe, expect, it } from "vitest";

import type { Account, IssuedCard } from "../api/types";
import { cardActions, deliveryText, expiryText, groupByAccount, issuedCardName } from "./issued";

function account(id: string): Account {
  return { id, holder_id: "ah_1", type: "checking", currency: "USD", balance: 0, status: "active", name: null, number: "4821", created_at: "2026-11-23T08:00:00Z" };
}

function card(id: string, accountId: string, overrides: Partial<IssuedCard> = {}): IssuedCard {
  return {
    id,
    account_id: accountId,
    holder_id: "ah_1",
    type: "virtual",
    brand: "visa",
    last4: "4678",
    expiry: "2029-11-30",
    status: "active",
    reference: null,
    cardholder_name: "Ada Lovelace",
    token: "tok_1",
    created_at: "2026-11-23T08:00:00Z",
    updated_at: "2026-11-23T08:00:00Z",
    delivery: null,
    ...overrides,
  };
}

const verbs = (status: IssuedCard["status"], role: Parameters<typeof cardActions>[1]) => cardActions(status, role).map((a) => a.verb);

describe("cardActions", () => {
  it("lets anyone block or close an active card", () => {
    expect(verbs("active", "customer")).toEqual(["Block", "Close"]);
    expect(verbs("active", "firm_operator")).toEqual(["Block", "Close"]);
  });

  it("lets only staff unblock a blocked card", () => {
    expect(verbs("blocked", "customer")).toEqual(["Close"]);
    expect(verbs("blocked", "firm_operator")).toEqual(["Unblock", "Close"]);
    expect(verbs("blocked", "firm_admin")).toEqual(["Unblock", "Close"]);
    expect(verbs("blocked", "platform_admin")).toEqual(["Unblock", "Close"]);
  });

  it("offers nothing for a closed card, and asks before closing", () => {
    expect(cardActions("closed", "firm_admin")).toEqual([]);
    expect(cardActions("active", "customer").find((a) => a.status === "closed")?.confirm).toBe(true);
    expect(cardActions("active", "customer").find((a) => a.status === "blocked")?.confirm).toBe(false);
  });
});

describe("card words", () => {
  it("names a card by brand, kind and last four digits", () => {
    expect(issuedCardName(card("c1", "a1", { type: "physical" }))).toBe("Visa physical card ending 4678");
    expect(issuedCardName({ brand: "newbrand", type: "virtual", last4: "0001" })).toBe("newbrand virtual card ending 0001");
  });

  it("shows the expiry as month and year", () => {
    expect(expiryText("2029-11-30")).toBe("11/2029");
    expect(expiryText("soon")).toBe("soon");
  });

  it("says what the couriers last reported", () => {
    expect(deliveryText("virtual", null)).toBe("Not delivered: a virtual card");
    expect(deliveryText("physical", null)).toBe("Not reported by the courier yet");
    expect(deliveryText("physical", { status: "delivered", status_at: "2023-11-13T09:34:56Z", delivery_attempts: 0 })).toBe("Delivered");
    expect(deliveryText("physical", { status: "returned", status_at: null, delivery_attempts: 1 })).toBe("Returned, 1 failed attempt");
    expect(deliveryText("physical", { status: "delivery_exception", status_at: null, delivery_attempts: 2 })).toBe(
      "Delivery exception, 2 failed attempts",
    );
  });
});

describe("groupByAccount", () => {
  it("lists every account, with its cards in the order given", () => {
    const groups = groupByAccount([account("a1"), account("a2")], [card("c3", "a2"), card("c2", "a1"), card("c1", "a2")]);
    expect(groups.map((g) => [g.accountId, g.cards.map((c) => c.id)])).toEqual([
      ["a1", ["c2"]],
      ["a2", ["c3", "c1"]],
    ]);
  });

  it("keeps an account without cards, and adds accounts only the cards name", () => {
    const groups = groupByAccount([account("a1")], [card("c1", "a9")]);
    expect(groups.map((g) => [g.accountId, g.account?.id ?? null, g.cards.length])).toEqual([
      ["a1", "a1", 0],
      ["a9", null, 1],
    ]);
  });
});
