import { formatMinor } from "../money/amount";
import { CURRENCIES } from "../money/currencies";

/** An amount in minor units shown with its currency's exponent: "1,234.50 USD". */
export function Money({ minor, currency }: { minor: number; currency: string }) {
  return (
    <span className="money">
      {formatMinor(minor, currency)} <abbr title={CURRENCIES[currency]?.name ?? currency}>{currency}</abbr>
    </span>
  );
}

const TIME = new Intl.DateTimeFormat("en-GB", {
  timeZone: "UTC",
  year: "numeric",
  month: "short",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
});

const TIME_SECONDS = new Intl.DateTimeFormat("en-GB", {
  timeZone: "UTC",
  year: "numeric",
  month: "short",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

/** A timestamp from the API (RFC 3339, UTC), shown in UTC (to the second where that matters). */
export function Timestamp({ value, seconds = false }: { value: string; seconds?: boolean }) {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    return <span>{value}</span>;
  }
  return <time dateTime={value}>{`${(seconds ? TIME_SECONDS : TIME).format(date)} UTC`}</time>;
}
