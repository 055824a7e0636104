// Money in integer minor units, as the API carries it. Amounts typed by a person are read as
// decimal text and turned into minor units with string arithmetic only: no float ever touches
// an amount ("0.1 + 0.2" problems cannot happen), and each currency's real exponent is used.

import { CURRENCIES } from "./currencies";

/** The API's ceiling for one amount, in minor units (tessera.ledger.schemas.MAX_AMOUNT). */
export const MAX_AMOUNT = 10n ** 15n;

/** The number of minor-unit digits of a currency (USD 2, JPY 0, KWD 3), or undefined. */
export function currencyExponent(code: string): number | undefined {
  return CURRENCIES[code.toUpperCase()]?.exponent;
}

export function isKnownCurrency(code: string): boolean {
  return currencyExponent(code) !== undefined;
}

export type AmountResult = { ok: true; minor: number } | { ok: false; message: string };

const GROUPED = /^[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?$/;
const PLAIN = /^[0-9]+(\.[0-9]*)?$|^\.[0-9]+$/;

/**
 * Read a positive amount typed as decimal text ("100", "100.5", "1,234.50") in a currency and
 * return it in minor units. Messages name the rule, never repeat the input.
 */
export function parseAmount(text: string, currency: string): AmountResult {
  const exponent = currencyExponent(currency);
  if (exponent === undefined) {
    return { ok: false, message: "Choose an account first, so the currency is known." };
  }
  const trimmed = text.trim().replace(/\s+/g, "");
  if (trimmed === "") {
    return { ok: false, message: "Enter an amount." };
  }
  if (trimmed.startsWith("-")) {
    return { ok: false, message: "The amount must be more than zero." };
  }
  let normalised: string;
  if (GROUPED.test(trimmed)) {
    normalised = trimmed.replace(/,/g, "");
  } else if (PLAIN.test(trimmed)) {
    normalised = trimmed;
  } else if (/^[0-9]+,[0-9]{1,2}$/.test(trimmed)) {
    return { ok: false, message: "Use a point for decimals, for example 25.00." };
  } else {
    return { ok: false, message: "Enter the amount as a number, for example 25.00." };
  }
  const [whole = "", fraction = ""] = normalised.split(".");
  const hasPoint = normalised.includes(".");
  if (exponent === 0 && hasPoint && fraction.replace(/0/g, "") !== "") {
    return { ok: false, message: `${currency.toUpperCase()} has no minor unit: enter a whole number.` };
  }
  const significantFraction = fraction.replace(/0+$/, "");
  if (significantFraction.length > exponent) {
    const places = exponent === 1 ? "1 decimal place" : `${exponent} decimal places`;
    return { ok: false, message: `${currency.toUpperCase()} amounts have at most ${places}.` };
  }
  const digits = (whole || "0") + significantFraction.padEnd(exponent, "0");
  const minor = BigInt(digits);
  if (minor <= 0n) {
    return { ok: false, message: "The amount must be more than zero." };
  }
  if (minor > MAX_AMOUNT) {
    return { ok: false, message: "The amount is larger than the service accepts." };
  }
  return { ok: true, minor: Number(minor) };
}

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=([0-9]{3})+(?![0-9]))/g, ",");
}

/** Minor units as decimal text with the currency's exponent: (7500, "USD") -> "75.00". */
export function formatMinor(minor: number | bigint, currency: string): string {
  const exponent = currencyExponent(currency) ?? 0;
  const value = BigInt(minor);
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(exponent + 1, "0");
  const whole = groupThousands(digits.slice(0, digits.length - exponent));
  const fraction = exponent > 0 ? `.${digits.slice(digits.length - exponent)}` : "";
  return `${negative ? "-" : ""}${whole}${fraction}`;
}

/** An amount with its currency code, as every screen shows money: "1,234.50 USD". */
export function formatMoney(minor: number | bigint, currency: string): string {
  return `${formatMinor(minor, currency)} ${currency.toUpperCase()}`;
}

/** Minor units back into text the amount field accepts (for prefilling), without grouping. */
export function minorToInput(minor: number, currency: string): string {
  return formatMinor(minor, currency).replace(/,/g, "");
}
