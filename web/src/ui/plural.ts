// Counted words, with the plural rules of the page's language (Intl.PluralRules): "1 account",
// "2 accounts", "1 pending registration". Every count shown in a sentence goes through here.

const RULES = new Intl.PluralRules("en-GB");

export interface Forms {
  one: string;
  other: string;
}

/** "1 account", "3 accounts"; `forms` may be just the singular when the plural adds an "s". */
export function count(n: number, forms: Forms | string): string {
  const words = typeof forms === "string" ? { one: forms, other: `${forms}s` } : forms;
  const word = RULES.select(n) === "one" ? words.one : words.other;
  return `${n.toLocaleString("en-GB")} ${word}`;
}

/** A wait in words, rounded up to what a person would say: "45 seconds", "5 minutes", "1 hour". */
export function duration(seconds: number): string {
  const whole = Math.max(1, Math.ceil(seconds));
  if (whole < 60) {
    return count(whole, "second");
  }
  const minutes = Math.ceil(whole / 60);
  if (minutes < 60) {
    return count(minutes, "minute");
  }
  return count(Math.ceil(minutes / 60), "hour");
}
