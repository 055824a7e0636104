"""Pure rules for payment cards: expiry dates, security codes and holder names.

Card numbers and brands are ``tessera.kit.card_numbers``. Nothing here does I/O. The
registration service, the issued-cards service and the database-constraint tests share these
rules, so they agree on what a valid card is.

Error messages never contain the input that caused them, nor any digit at all: a message that
echoed part of a card number or a CVV would be a leak (see ``tessera.errors``).
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import MINYEAR, date

from tessera.errors import RuleViolation, ValidationFailed
from tessera.kit.card_numbers import Brand

HOLDER_NAME_MIN_LENGTH = 3
HOLDER_NAME_MAX_LENGTH = 100
# Cards are issued for three to five years; twenty is far beyond any real card.
MAX_EXPIRY_YEARS_AHEAD = 20

# ``[0-9]`` rather than ``\d``: ``\d`` also matches Arabic-Indic, fullwidth and other digits,
# which ``int()`` would happily accept and no card network issues.
_DIGITS = re.compile(r"[0-9]+")


# --- Expiry dates, security codes, holder names ----------------------------------------------

# Accepted: MM/YY and MM/YYYY, with a one-digit month allowed ("1/27", as people type it) and
# spaces around the slash allowed ("12 / 27", as card readers and some forms produce it); and
# YYYY-MM-DD, whose day must make a real date but is otherwise ignored. Surrounding whitespace is
# trimmed. A two-digit year is 20YY: no card in use expires in the last century.
_EXPIRY_MONTH_YEAR = re.compile(r"(?P<month>[0-9]{1,2}) */ *(?P<year>[0-9]{4}|[0-9]{2})")
_EXPIRY_ISO_DATE = re.compile(r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})")


def _malformed_expiry() -> ValidationFailed:
    return ValidationFailed.single(
        "expiry_date", "The expiry date must be written as MM/YY, MM/YYYY or YYYY-MM-DD."
    )


def month_end(year: int, month: int) -> date:
    """The last day of a month."""
    return date(year, month, calendar.monthrange(year, month)[1])


def is_month_end(d: date) -> bool:
    """Whether a date is the last day of its month."""
    return d.day == calendar.monthrange(d.year, d.month)[1]


def parse_expiry(raw: str, *, today: date) -> date:
    """Read a card expiry as the last day of its month, refusing months that have ended."""
    text = raw.strip()
    if match := _EXPIRY_MONTH_YEAR.fullmatch(text):
        year_text = match["year"]
        year = int(year_text) + (2000 if len(year_text) == 2 else 0)
        month = int(match["month"])
    elif match := _EXPIRY_ISO_DATE.fullmatch(text):
        year, month = int(match["year"]), int(match["month"])
        try:
            date(year, month, int(match["day"]))
        except ValueError:
            raise _malformed_expiry() from None
    else:
        raise _malformed_expiry()
    if not 1 <= month <= 12 or year < MINYEAR:
        raise _malformed_expiry()
    if year > today.year + MAX_EXPIRY_YEARS_AHEAD:
        # No card is issued for that long; past year 9998 the database's month-end check
        # (a day later) would not even have a date to compute.
        raise ValidationFailed.single(
            "expiry_date", "The expiry date is too far in the future.", rule="too_far_ahead"
        )
    expiry = month_end(year, month)
    if expiry < today:
        raise RuleViolation("The card has expired.", code="card_expired")
    return expiry


_NUMBER_WORDS = {3: "three", 4: "four"}


def validate_cvv(cvv: str | None, brand: Brand) -> None:
    """Check a security code has exactly the brand's number of digits; None means not given."""
    if cvv is None:
        return
    if len(cvv) != brand.cvv_length or not _DIGITS.fullmatch(cvv):
        raise RuleViolation(
            f"{brand.display_name} cards need a security code of exactly"
            f" {_NUMBER_WORDS[brand.cvv_length]} digits.",
            code="invalid_cvv",
        )


# Control characters and lone surrogates (which JSON escapes can smuggle in) cannot be printed on
# a card or encoded for the database. Format characters (Cf) stay: ZWJ and ZWNJ spell real names.
_UNPRINTABLE_CATEGORIES = frozenset({"Cc", "Cs"})


def validate_holder_name(name: str) -> str:
    """Trim a cardholder name, collapse runs of whitespace and check it has 3 to 100 characters."""
    cleaned = " ".join(name.split())
    if len(cleaned) < HOLDER_NAME_MIN_LENGTH:
        raise ValidationFailed.single(
            "cardholder_name", "The cardholder name must have at least three characters."
        )
    if len(cleaned) > HOLDER_NAME_MAX_LENGTH:
        raise ValidationFailed.single(
            "cardholder_name", "The cardholder name must have at most one hundred characters."
        )
    if any(unicodedata.category(char) in _UNPRINTABLE_CATEGORIES for char in cleaned):
        raise ValidationFailed.single(
            "cardholder_name", "The cardholder name contains characters that cannot be printed."
        )
    return cleaned
