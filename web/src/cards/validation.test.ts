import { describe, expect, it } from "vitest";

import {
  brandName,
  checkCardNumber,
  checkCvv,
  checkExpiry,
  checkHolderName,
  detectBrand,
  formatCardNumber,
  luhnValid,
} from "./validation";

// Published test numbers of each scheme (no real card).
const VISA = "4111111111111111";
const MASTERCARD = "5555555555554444";
const MASTERCARD_2_SERIES = "2223003122003222";
const AMEX = "378282246310005";
const DISCOVER = "6011111111111117";
const JCB = "3530111333300000";
const DINERS = "36227206271667";
const UNIONPAY = "6200000000000005";
const MAESTRO = "6759649826438453";

const message = (result: { ok: true } | { ok: false; message: string }): string | null =>
  result.ok ? null : result.message;

describe("luhnValid", () => {
  it("accepts numbers whose check digit is right", () => {
    for (const number of [VISA, MASTERCARD, AMEX, DISCOVER, JCB, DINERS, UNIONPAY, "0"]) {
      expect(luhnValid(number)).toBe(true);
    }
  });

  it("refuses a number with one wrong digit or two swapped digits", () => {
    expect(luhnValid("4111111111111112")).toBe(false);
    expect(luhnValid("4111111111111121")).toBe(false);
    expect(luhnValid("378228246310005")).toBe(false); // 378282246310005 with 8 and 2 swapped
  });

  it("refuses anything that is not ASCII digits", () => {
    expect(luhnValid("")).toBe(false);
    expect(luhnValid("4111 1111 1111 1111")).toBe(false);
    expect(luhnValid("٤١١١١١١١١١١١١١١١")).toBe(false); // Arabic-Indic digits
  });
});

describe("detectBrand", () => {
  it("recognises each scheme by its IIN range", () => {
    expect(detectBrand(VISA)).toBe("visa");
    expect(detectBrand(MASTERCARD)).toBe("mastercard");
    expect(detectBrand(MASTERCARD_2_SERIES)).toBe("mastercard");
    expect(detectBrand(AMEX)).toBe("amex");
    expect(detectBrand(DISCOVER)).toBe("discover");
    expect(detectBrand(JCB)).toBe("jcb");
    expect(detectBrand(DINERS)).toBe("diners");
    expect(detectBrand(UNIONPAY)).toBe("unionpay");
    expect(detectBrand(MAESTRO)).toBe("maestro");
  });

  it("prefers the longest prefix where ranges overlap", () => {
    expect(detectBrand("6221260000000000")).toBe("discover"); // co-branded, inside UnionPay's 62
    expect(detectBrand("6229260000000000")).toBe("unionpay");
  });

  it("knows no brand for other prefixes", () => {
    expect(detectBrand("1234567812345678")).toBeNull();
    expect(detectBrand("2220999999999999")).toBeNull(); // just below Mastercard's 2-series
  });
});

describe("checkCardNumber", () => {
  it("accepts valid numbers typed with spaces or dashes", () => {
    expect(checkCardNumber("4111 1111 1111 1111")).toEqual({ brand: "visa", problem: null, result: { ok: true } });
    expect(checkCardNumber("3782-822463-10005")).toEqual({ brand: "amex", problem: null, result: { ok: true } });
  });

  it("says what is wrong, without repeating the digits", () => {
    expect(message(checkCardNumber("").result)).toBe("Enter the card number.");
    expect(message(checkCardNumber("4111-1111-1111-111a").result)).toBe(
      "The card number may contain only digits, spaces and dashes.",
    );
    expect(message(checkCardNumber("1234567812345678").result)).toBe(
      "The card number does not belong to a card brand we accept.",
    );
    expect(message(checkCardNumber("411111111111").result)).toBe(
      "Visa card numbers have 13, 16 or 19 digits.",
    );
    expect(message(checkCardNumber("37828224631000").result)).toBe(
      "American Express card numbers have 15 digits.",
    );
    expect(message(checkCardNumber("3622720627166").result)).toBe(
      "Diners Club card numbers have 14 to 19 digits.",
    );
    expect(message(checkCardNumber("4111111111111112").result)).toBe(
      "The card number is not valid; check it for typing mistakes.",
    );
  });

  it("tells the brand while the number is still incomplete", () => {
    expect(checkCardNumber("3782").brand).toBe("amex");
    expect(checkCardNumber("3782").result.ok).toBe(false);
  });

  it("never puts a digit of the input into a message", () => {
    for (const typed of ["4111111111111112", "1234567812345678", "411111111111", "99"]) {
      const text = message(checkCardNumber(typed).result) ?? "";
      expect(text).not.toMatch(/[0-9]{4}/);
    }
  });
});

describe("checkExpiry", () => {
  const today = new Date(2026, 10, 23); // 23 November 2026, local time

  it("reads MM/YY, MM/YYYY and YYYY-MM-DD", () => {
    expect(checkExpiry("08/29", today)).toEqual({ ok: true, expiry: { year: 2029, month: 8 } });
    expect(checkExpiry("8/2029", today)).toEqual({ ok: true, expiry: { year: 2029, month: 8 } });
    expect(checkExpiry("12 / 27", today)).toEqual({ ok: true, expiry: { year: 2027, month: 12 } });
    expect(checkExpiry("2029-08-31", today)).toEqual({ ok: true, expiry: { year: 2029, month: 8 } });
  });

  it("accepts the current month, which has not ended yet", () => {
    expect(checkExpiry("11/26", today).ok).toBe(true);
  });

  it("refuses a month that has ended", () => {
    expect(checkExpiry("10/26", today)).toEqual({ ok: false, message: "The card has expired." });
    expect(checkExpiry("01/2020", today)).toEqual({ ok: false, message: "The card has expired." });
  });

  it("refuses malformed dates", () => {
    expect(checkExpiry("", today)).toEqual({ ok: false, message: "Enter the expiry date." });
    expect(checkExpiry("13/29", today)).toEqual({
      ok: false,
      message: "The month must be between 01 and 12.",
    });
    expect(checkExpiry("00/29", today).ok).toBe(false);
    expect(checkExpiry("2029-02-30", today).ok).toBe(false);
    expect(checkExpiry("0829", today).ok).toBe(false);
    expect(checkExpiry("August 2029", today).ok).toBe(false);
  });
});

describe("checkCvv", () => {
  it("wants three digits, four for American Express", () => {
    expect(checkCvv("123", "visa", true)).toEqual({ ok: true });
    expect(checkCvv("1234", "amex", true)).toEqual({ ok: true });
    expect(message(checkCvv("1234", "visa", true))).toBe(
      "Visa cards have a security code of exactly three digits.",
    );
    expect(message(checkCvv("123", "amex", true))).toBe(
      "American Express cards have a security code of exactly four digits.",
    );
    expect(message(checkCvv("12a", "visa", true))).toBe("The security code must contain only digits.");
  });

  it("allows an empty code only when it is optional", () => {
    expect(message(checkCvv("", "visa", true))).toBe("Enter the security code.");
    expect(checkCvv("", "visa", false)).toEqual({ ok: true });
  });

  it("accepts three or four digits before the brand is known", () => {
    expect(checkCvv("123", null, true).ok).toBe(true);
    expect(checkCvv("1234", null, true).ok).toBe(true);
    expect(checkCvv("12", null, true).ok).toBe(false);
  });
});

describe("checkHolderName", () => {
  it("wants three to one hundred characters once spaces are collapsed", () => {
    expect(checkHolderName("Ada Lovelace")).toEqual({ ok: true });
    expect(checkHolderName("  Al  ").ok).toBe(false);
    expect(checkHolderName("A  B").ok).toBe(true);
    expect(checkHolderName("x".repeat(101)).ok).toBe(false);
    expect(message(checkHolderName("   "))).toBe("Enter the name as it is printed on the card.");
  });
});

describe("brandName", () => {
  it("names a scheme as people write it, and an unknown one as it comes", () => {
    expect(brandName("amex")).toBe("American Express");
    expect(brandName("mastercard")).toBe("Mastercard");
    expect(brandName("newscheme")).toBe("newscheme");
  });
});

describe("formatCardNumber", () => {
  it("groups the digits as the card prints them", () => {
    expect(formatCardNumber("4012888888881881")).toBe("4012 8888 8888 1881");
    expect(formatCardNumber("4012-8888 8888-1881")).toBe("4012 8888 8888 1881");
    expect(formatCardNumber("378282246310005")).toBe("3782 822463 10005");
    expect(formatCardNumber("6304000000000000018")).toBe("6304 0000 0000 0000 018");
  });
});
