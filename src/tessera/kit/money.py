"""Money in integer minor units, with ISO 4217 currencies and their real exponents."""

from __future__ import annotations

from functools import lru_cache

import iso4217

from tessera.errors import ValidationFailed

# Codes that ISO 4217 lists but that are not money an account can hold: precious metals, funds,
# testing and "no currency" codes have no minor unit (exponent None) and are refused.


@lru_cache(maxsize=512)
def currency_exponent(code: str) -> int | None:
    """The number of minor-unit digits of ``code`` (USD 2, JPY 0, KWD 3), None if unknown."""
    try:
        currency = iso4217.Currency(code)
    except (ValueError, KeyError):
        return None
    exponent = currency.exponent
    return int(exponent) if exponent is not None else None


def validate_currency(code: str, *, field: str = "currency") -> str:
    """The upper-cased code if it is an ISO 4217 currency with a minor unit; else 422."""
    normalised = code.strip().upper()
    if len(normalised) != 3 or currency_exponent(normalised) is None:
        raise ValidationFailed.single(field, "Must be an ISO 4217 currency code such as USD.")
    return normalised


def format_amount(amount: int, currency: str) -> str:
    """Minor units as a decimal string: ``format_amount(1050, "USD") == "10.50"``."""
    exponent = currency_exponent(currency) or 0
    sign = "-" if amount < 0 else ""
    digits = str(abs(amount)).rjust(exponent + 1, "0")
    if exponent == 0:
        return f"{sign}{digits}"
    return f"{sign}{digits[:-exponent]}.{digits[-exponent:]}"
