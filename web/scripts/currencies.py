"""Regenerate web/src/money/currencies.ts from the `iso4217` package the service uses.

Run from the repository root: `.venv/bin/python web/scripts/currencies.py`.
"""

from __future__ import annotations

from pathlib import Path

import iso4217

HEADER = """\
// ISO 4217 currencies that have a minor unit, with their exponents (USD 2, JPY 0, KWD 3).
// Generated from the `iso4217` package the service uses (tessera.kit.money), so the browser
// accepts exactly the codes the API accepts. Regenerate with web/scripts/currencies.py.

export interface CurrencyInfo {
  readonly name: string;
  readonly exponent: number;
}

export const CURRENCIES: Readonly<Record<string, CurrencyInfo>> = {
"""


def main() -> None:
    rows: dict[str, str] = {}
    for currency in sorted(iso4217.Currency, key=lambda c: c.code):
        if currency.exponent is None or currency.code in rows:
            continue
        name = currency.currency_name.replace('"', '\\"')
        rows[currency.code] = (
            f'  {currency.code}: {{ name: "{name}", exponent: {int(currency.exponent)} }},'
        )
    target = Path(__file__).resolve().parents[1] / "src" / "money" / "currencies.ts"
    target.write_text(HEADER + "\n".join(rows.values()) + "\n};\n", encoding="utf-8")


if __name__ == "__main__":
    main()
