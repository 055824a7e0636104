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

const PARTS: Intl.DateTimeFormatOptions = {
  year: "numeric",
  month: "short",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
};

// The person's own time zone (the browser's), named after the time; UTC is on hover.
const LOCAL = new Intl.DateTimeFormat("en-GB", { ...PARTS, timeZoneName: "short" });
const LOCAL_SECONDS = new Intl.DateTimeFormat("en-GB", { ...PARTS, second: "2-digit", timeZoneName: "short" });
const UTC = new Intl.DateTimeFormat("en-GB", { ...PARTS, second: "2-digit", timeZone: "UTC" });

/** A timestamp from the API (RFC 3339, UTC), shown in the person's time zone with UTC on hover. */
export function Timestamp({ value, seconds = false }: { value: string; seconds?: boolean }) {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    return <span>{value}</span>;
  }
  return (
    <time dateTime={value} title={`${UTC.format(date)} UTC`}>
      {(seconds ? LOCAL_SECONDS : LOCAL).format(date)}
    </time>
  );
}
