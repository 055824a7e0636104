// Client-side card checks, mirroring the service's rules (src/tessera/kit/card_numbers.py and
// src/tessera/cards/rules.py) so that a person learns about a typing mistake as they type. The
// service checks everything again.
//
// Nothing here logs, stores or echoes a card number: messages never contain digits of the input.

export type Brand =
  | "visa"
  | "mastercard"
  | "amex"
  | "discover"
  | "jcb"
  | "diners"
  | "unionpay"
  | "maestro";

export const BRAND_NAMES: Readonly<Record<Brand, string>> = {
  visa: "Visa",
  mastercard: "Mastercard",
  amex: "American Express",
  discover: "Discover",
  jcb: "JCB",
  diners: "Diners Club",
  unionpay: "UnionPay",
  maestro: "Maestro",
};

const range = (from: number, to: number): readonly number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

export const BRAND_LENGTHS: Readonly<Record<Brand, readonly number[]>> = {
  visa: [13, 16, 19],
  mastercard: [16],
  amex: [15],
  discover: range(16, 19),
  jcb: range(16, 19),
  diners: range(14, 19),
  unionpay: range(16, 19),
  maestro: range(12, 19),
};

// IIN ranges (low, high, brand); the longest matching prefix wins, as in the service.
const IIN_TABLE: readonly (readonly [string, string, Brand])[] = [
  ["4", "4", "visa"],
  ["51", "55", "mastercard"],
  ["2221", "2720", "mastercard"],
  ["34", "34", "amex"],
  ["37", "37", "amex"],
  ["6011", "6011", "discover"],
  ["644", "649", "discover"],
  ["65", "65", "discover"],
  ["622126", "622925", "discover"],
  ["3528", "3589", "jcb"],
  ["300", "305", "diners"],
  ["36", "36", "diners"],
  ["38", "39", "diners"],
  ["62", "62", "unionpay"],
  ["50", "50", "maestro"],
  ["56", "58", "maestro"],
  ["6304", "6304", "maestro"],
  ["6759", "6759", "maestro"],
  ["6761", "6763", "maestro"],
  ["67", "67", "maestro"],
];
const IIN_RANGES = [...IIN_TABLE].sort((a, b) => b[0].length - a[0].length);

export const MIN_CARD_LENGTH = 12;
export const MAX_CARD_LENGTH = 19;

const DIGITS = /^[0-9]+$/;

/** The typed number without spaces and dashes (not checked). */
export function cardDigits(raw: string): string {
  return raw.replace(/[ -]/g, "").trim();
}

/** The brand's name for an API value ("amex" -> "American Express"); an unknown one as it is. */
export function brandName(brand: string): string {
  return (BRAND_NAMES as Partial<Record<string, string>>)[brand] ?? brand;
}

/**
 * Digits in the groups printed on the card, for reading aloud or copying: 4-6-5 for American
 * Express's fifteen digits, fours for everything else ("4012 8888 8888 1881").
 */
export function formatCardNumber(raw: string): string {
  const digits = cardDigits(raw);
  if (digits.length === 15 && detectBrand(digits) === "amex") {
    return `${digits.slice(0, 4)} ${digits.slice(4, 10)} ${digits.slice(10)}`;
  }
  return (digits.match(/.{1,4}/g) ?? []).join(" ");
}

/** Whether a string of ASCII digits passes the Luhn (mod 10) check. */
export function luhnValid(number: string): boolean {
  if (!DIGITS.test(number)) {
    return false;
  }
  let total = 0;
  for (let i = 0; i < number.length; i += 1) {
    let digit = number.charCodeAt(number.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) {
        digit -= 9;
      }
    }
    total += digit;
  }
  return total % 10 === 0;
}

/** The brand whose IIN range the digits start with, or null (prefix only). */
export function detectBrand(digits: string): Brand | null {
  if (!DIGITS.test(digits)) {
    return null;
  }
  for (const [low, high, brand] of IIN_RANGES) {
    const prefix = digits.slice(0, low.length);
    if (prefix.length === low.length && low <= prefix && prefix <= high) {
      return brand;
    }
  }
  return null;
}

export type CheckResult = { ok: true } | { ok: false; message: string };

/** The first rule a card number breaks, in the order the service checks them. */
export type CardNumberProblem = "empty" | "characters" | "length" | "brand" | "luhn";

export interface CardNumberCheck {
  /** The brand as far as the digits typed so far tell, for a live hint. */
  brand: Brand | null;
  result: CheckResult;
  /** null when the number passes. */
  problem: CardNumberProblem | null;
}

const failed = (brand: Brand | null, problem: CardNumberProblem, message: string): CardNumberCheck => ({
  brand,
  problem,
  result: { ok: false, message },
});

/**
 * Check a typed card number as the service does (tests/vectors/cards.json holds both to it):
 * characters, 12 to 19 digits, a known brand, a length that brand issues, Luhn.
 */
export function checkCardNumber(raw: string): CardNumberCheck {
  const digits = cardDigits(raw);
  if (digits === "") {
    return failed(null, "empty", "Enter the card number.");
  }
  if (!DIGITS.test(digits)) {
    return failed(null, "characters", "The card number may contain only digits, spaces and dashes.");
  }
  const brand = detectBrand(digits);
  if (digits.length < MIN_CARD_LENGTH || digits.length > MAX_CARD_LENGTH) {
    const message = brand
      ? `${BRAND_NAMES[brand]} card numbers have ${describeLengths(BRAND_LENGTHS[brand])} digits.`
      : `Card numbers have ${MIN_CARD_LENGTH} to ${MAX_CARD_LENGTH} digits.`;
    return failed(brand, "length", message);
  }
  if (brand === null) {
    return failed(null, "brand", "The card number does not belong to a card brand we accept.");
  }
  if (!BRAND_LENGTHS[brand].includes(digits.length)) {
    return failed(brand, "length", `${BRAND_NAMES[brand]} card numbers have ${describeLengths(BRAND_LENGTHS[brand])} digits.`);
  }
  if (!luhnValid(digits)) {
    return failed(brand, "luhn", "The card number is not valid; check it for typing mistakes.");
  }
  return { brand, problem: null, result: { ok: true } };
}

function describeLengths(lengths: readonly number[]): string {
  if (lengths.length === 1) {
    return String(lengths[0]);
  }
  const first = lengths[0] ?? 0;
  const last = lengths[lengths.length - 1] ?? 0;
  if (last - first + 1 === lengths.length) {
    return `${first} to ${last}`;
  }
  return `${lengths.slice(0, -1).join(", ")} or ${last}`;
}

export interface Expiry {
  year: number;
  month: number;
}

export type ExpiryResult = { ok: true; expiry: Expiry } | { ok: false; message: string };

const MONTH_YEAR = /^([0-9]{1,2}) *\/ *([0-9]{4}|[0-9]{2})$/;
const ISO_DATE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;
const FORMAT_MESSAGE = "Write the expiry date as MM/YY, for example 08/29.";

/** Read an expiry (MM/YY, MM/YYYY or YYYY-MM-DD) and refuse a month that has ended. */
export function checkExpiry(raw: string, today: Date): ExpiryResult {
  const text = raw.trim();
  if (text === "") {
    return { ok: false, message: "Enter the expiry date." };
  }
  let year: number;
  let month: number;
  const monthYear = MONTH_YEAR.exec(text);
  const iso = ISO_DATE.exec(text);
  if (monthYear) {
    const yearText = monthYear[2] ?? "";
    year = Number(yearText) + (yearText.length === 2 ? 2000 : 0);
    month = Number(monthYear[1]);
  } else if (iso) {
    year = Number(iso[1]);
    month = Number(iso[2]);
    const day = Number(iso[3]);
    const probe = new Date(Date.UTC(year, month - 1, day));
    if (probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) {
      return { ok: false, message: FORMAT_MESSAGE };
    }
  } else {
    return { ok: false, message: FORMAT_MESSAGE };
  }
  if (month < 1 || month > 12 || year < 1) {
    return { ok: false, message: "The month must be between 01 and 12." };
  }
  const currentYear = today.getFullYear();
  const currentMonth = today.getMonth() + 1;
  if (year < currentYear || (year === currentYear && month < currentMonth)) {
    return { ok: false, message: "The card has expired." };
  }
  return { ok: true, expiry: { year, month } };
}

/** Check a security code for the brand: 3 digits, 4 for American Express. */
export function checkCvv(cvv: string, brand: Brand | null, required: boolean): CheckResult {
  const text = cvv.trim();
  if (text === "") {
    return required ? { ok: false, message: "Enter the security code." } : { ok: true };
  }
  if (!DIGITS.test(text)) {
    return { ok: false, message: "The security code must contain only digits." };
  }
  if (brand === null) {
    return text.length === 3 || text.length === 4
      ? { ok: true }
      : { ok: false, message: "The security code has 3 or 4 digits." };
  }
  const expected = brand === "amex" ? 4 : 3;
  if (text.length !== expected) {
    const word = expected === 4 ? "four" : "three";
    return {
      ok: false,
      message: `${BRAND_NAMES[brand]} cards have a security code of exactly ${word} digits.`,
    };
  }
  return { ok: true };
}

export const HOLDER_NAME_MIN_LENGTH = 3;
export const HOLDER_NAME_MAX_LENGTH = 100;

/** The name as the service stores it: trimmed, with each run of spaces made one space. */
export function cleanHolderName(name: string): string {
  return name.split(/\s+/).filter(Boolean).join(" ");
}

// Control characters and lone surrogates cannot be printed on a card (as in the service).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Check a cardholder name: 3 to 100 printable characters once spaces are collapsed. */
export function checkHolderName(name: string): CheckResult {
  const cleaned = cleanHolderName(name);
  if (cleaned === "") {
    return { ok: false, message: "Enter the name as it is printed on the card." };
  }
  if (Array.from(cleaned).length < HOLDER_NAME_MIN_LENGTH) {
    return { ok: false, message: "The cardholder name must have at least three characters." };
  }
  if (Array.from(cleaned).length > HOLDER_NAME_MAX_LENGTH) {
    return { ok: false, message: "The cardholder name must have at most one hundred characters." };
  }
  if (UNPRINTABLE.test(cleaned)) {
    return { ok: false, message: "The cardholder name contains characters that cannot be printed." };
  }
  return { ok: true };
}
