import { describe, expect, it } from "vitest";

import { currencyExponent, formatMinor, formatMoney, parseAmount } from "./amount";

const minor = (text: string, currency: string): number => {
  const result = parseAmount(text, currency);
  if (!result.ok) {
    throw new Error(`expected ${text} ${currency} to parse: ${result.message}`);
  }
  return result.minor;
};

const refusal = (text: string, currency: string): string => {
  const result = parseAmount(text, currency);
  if (result.ok) {
    throw new Error(`expected ${text} ${currency} to be refused`);
  }
  return result.message;
};

describe("currencyExponent", () => {
  it("uses the ISO 4217 exponent of each currency", () => {
    expect(currencyExponent("USD")).toBe(2);
    expect(currencyExponent("JPY")).toBe(0);
    expect(currencyExponent("KWD")).toBe(3);
    expect(currencyExponent("usd")).toBe(2);
    expect(currencyExponent("XAU")).toBeUndefined(); // gold has no minor unit
    expect(currencyExponent("ZZZ")).toBeUndefined();
  });
});

describe("parseAmount", () => {
  it("reads decimal text into minor units with the currency's exponent", () => {
    expect(minor("100.00", "USD")).toBe(10_000);
    expect(minor("25", "USD")).toBe(2_500);
    expect(minor("0.1", "USD")).toBe(10);
    expect(minor(".5", "USD")).toBe(50);
    expect(minor("1.", "USD")).toBe(100);
    expect(minor("1,234.56", "USD")).toBe(123_456);
    expect(minor(" 7 ", "USD")).toBe(700);
    expect(minor("1500", "JPY")).toBe(1_500);
    expect(minor("1500.00", "JPY")).toBe(1_500);
    expect(minor("1.234", "KWD")).toBe(1_234);
    expect(minor("2.5", "KWD")).toBe(2_500);
  });

  it("never goes through floating point", () => {
    // 0.29 * 100 is 28.999999999999996 in floating point; 1.005 * 100 is 100.49999999999999.
    expect(minor("0.29", "USD")).toBe(29);
    expect(minor("1.005", "KWD")).toBe(1_005);
    expect(minor("4503599627370.49", "USD")).toBe(450_359_962_737_049);
    expect(minor("1000000000000.00", "USD")).toBe(100_000_000_000_000);
  });

  it("refuses more decimals than the currency has", () => {
    expect(refusal("1.234", "USD")).toBe("USD amounts have at most 2 decimal places.");
    expect(refusal("1.5", "JPY")).toBe("JPY has no minor unit: enter a whole number.");
    expect(refusal("1.2345", "KWD")).toBe("KWD amounts have at most 3 decimal places.");
    expect(minor("1.2300", "USD")).toBe(123); // trailing zeros are not precision
  });

  it("refuses what is not a positive amount", () => {
    expect(refusal("", "USD")).toBe("Enter an amount.");
    expect(refusal("0", "USD")).toBe("The amount must be more than zero.");
    expect(refusal("0.00", "USD")).toBe("The amount must be more than zero.");
    expect(refusal("-5", "USD")).toBe("The amount must be more than zero.");
    expect(refusal("ten", "USD")).toBe("Enter the amount as a number, for example 25.00.");
    expect(refusal("1e3", "USD")).toBe("Enter the amount as a number, for example 25.00.");
    expect(refusal("25,00", "USD")).toBe("Use a point for decimals, for example 25.00.");
    expect(refusal("1,23,456", "USD")).toBe("Enter the amount as a number, for example 25.00.");
    expect(refusal("10000000000000.01", "USD")).toBe("The amount is larger than the service accepts.");
    expect(refusal("5", "")).toBe("Choose an account first, so the currency is known.");
  });
});

describe("formatMinor", () => {
  it("shows minor units with the currency's exponent and thousands separators", () => {
    expect(formatMinor(7_500, "USD")).toBe("75.00");
    expect(formatMinor(5, "USD")).toBe("0.05");
    expect(formatMinor(0, "USD")).toBe("0.00");
    expect(formatMinor(123_456_789, "USD")).toBe("1,234,567.89");
    expect(formatMinor(1_500, "JPY")).toBe("1,500");
    expect(formatMinor(1_234, "KWD")).toBe("1.234");
    expect(formatMinor(-2_500, "USD")).toBe("-25.00");
    expect(formatMinor(10n ** 15n, "USD")).toBe("10,000,000,000,000.00");
  });

  it("round-trips with parseAmount", () => {
    for (const [amount, currency] of [
      [1, "USD"],
      [99_999, "KWD"],
      [123_456_789, "JPY"],
      [100, "BHD"],
    ] as const) {
      expect(minor(formatMinor(amount, currency), currency)).toBe(amount);
    }
  });

  it("names the currency", () => {
    expect(formatMoney(7_500, "usd")).toBe("75.00 USD");
  });
});
