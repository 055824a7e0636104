// The web validator against the shared test vectors (tests/vectors/cards.json), which the
// service's suite runs against src/tessera/kit/card_numbers.py and src/tessera/cards/rules.py
// too: the two cannot drift apart.

import { readFileSync } from "node:fs";

import { describe, expect, it } from "vitest";

import { type Brand, checkCardNumber, checkCvv, checkExpiry, checkHolderName, cleanHolderName, detectBrand, cardDigits } from "./validation";

interface Vectors {
  card_numbers: { input: string; valid: boolean; brand: Brand | null; reason?: string }[];
  expiry: {
    today: string;
    cases: { input: string; valid: boolean; year?: number; month?: number; reason?: "expired" | "malformed" }[];
  };
  cvv: { cvv: string; brand: Brand; valid: boolean }[];
  holder_names: { name: string; valid: boolean; cleaned?: string }[];
}

const vectors = JSON.parse(
  readFileSync(new URL("../../../tests/vectors/cards.json", import.meta.url), "utf-8"),
) as Vectors;

describe("card numbers (shared vectors)", () => {
  it.each(vectors.card_numbers)("$input", (vector) => {
    const check = checkCardNumber(vector.input);
    expect(check.result.ok).toBe(vector.valid);
    expect(check.problem).toBe(vector.reason ?? null);
    expect(detectBrand(cardDigits(vector.input))).toBe(vector.brand);
  });
});

describe("expiry dates (shared vectors)", () => {
  const [year, month, day] = vectors.expiry.today.split("-").map(Number);
  const today = new Date(year ?? 0, (month ?? 1) - 1, day ?? 1);

  it.each(vectors.expiry.cases)("$input", (vector) => {
    const result = checkExpiry(vector.input, today);
    expect(result.ok).toBe(vector.valid);
    if (result.ok) {
      expect(result.expiry).toEqual({ year: vector.year, month: vector.month });
    } else {
      expect(result.message === "The card has expired." ? "expired" : "malformed").toBe(vector.reason);
    }
  });
});

describe("security codes (shared vectors)", () => {
  it.each(vectors.cvv)("$brand $cvv", (vector) => {
    expect(checkCvv(vector.cvv, vector.brand, true).ok).toBe(vector.valid);
  });
});

describe("cardholder names (shared vectors)", () => {
  it.each(vectors.holder_names)("$name", (vector) => {
    expect(checkHolderName(vector.name).ok).toBe(vector.valid);
    if (vector.valid) {
      expect(cleanHolderName(vector.name)).toBe(vector.cleaned);
    }
  });
});
