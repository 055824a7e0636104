"""Phone numbers as people and spreadsheets write them, turned into E.164 or refused.

How a value is read, in order:

1. Surrounding whitespace and stray quotes are dropped (a CSV cell written with tripled quotes
   holds ``"0534534534"``), then the value must look like a written phone number:
   digits, spaces, dashes, parentheses and one leading ``+``. A spreadsheet float such as
   ``9.71535E+11`` has lost its last digits and is refused, never completed.
2. A value with ``+`` is read as international.
3. Otherwise it is first read as a number of the default region (``585949014``, ``0585949014``,
   and, because ``phonenumbers`` strips the region's own country code, ``971585949014``).
   National comes first because partner files are regional and most values are bare subscriber
   numbers; read with a ``+`` first, some of them would turn into valid foreign numbers.
4. Only when the national reading is not a valid number is the value read as international:
   ``0044...`` always (``00`` is the international prefix almost everywhere), and a country code
   written without its ``+`` (``447911123456``) when the value has at least
   ``_MIN_DIGITS_FOR_BARE_COUNTRY_CODE`` digits and no leading ``0``. Below that length a regional
   mobile that lost or gained a digit would become a valid number in the Falklands, Panama or
   Cuba in up to one case in twenty, which is a guess, not a reading. Shorter foreign numbers
   must be written with ``+`` or ``00``.

``phonenumbers`` costs 15-20 µs a number, too slow for imports of millions of rows with a new
phone on nearly every row, so the default region's mobile numbers are read by a fast path built
from the library's own metadata and checked against the library by the tests. Results are also
kept in a bounded cache for values that repeat.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneMetadata, PhoneNumberFormat

__all__ = ["InvalidPhone", "normalize_phone"]


class InvalidPhone(ValueError):
    """A value that is not a phone number, or not one that can be read without guessing."""


# 9.71535E+11, or 9,71535E+11 where the decimal mark is a comma.
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:[.,]\d*)?[eE][+-]?\d+", re.ASCII)
# "(+971) 58 ..." is common, so parentheses may open before the +.
_WRITTEN_PHONE = re.compile(r"\(?\+?[\d\s\-()]+", re.ASCII)
# "+44 (0)20 ...": the (0) is the trunk prefix dialled only inside the country.
_TRUNK_IN_INTERNATIONAL = re.compile(r"\(\s*0\s*\)")
_NON_DIGIT = re.compile(r"\D", re.ASCII)
_STRAY_QUOTES = "\"'"
# E.164 allows 15 digits; a 00 international prefix adds two.
_MAX_DIGITS = 17
_MIN_DIGITS_FOR_BARE_COUNTRY_CODE = 11
_CACHE_SIZE = 65_536


@dataclass(frozen=True, slots=True)
class _Rejected:
    reason: str


@dataclass(frozen=True, slots=True)
class _RegionRules:
    country_code: str
    national_prefix: str | None
    international_prefix: str | None
    general: re.Pattern[str]
    # None when the region's parsing rules are too involved to mirror (Argentina's mobile 9,
    # Mexico's 1...): every number of such a region goes through phonenumbers.
    mobile: re.Pattern[str] | None


def normalize_phone(raw: str, *, region: str = "AE") -> str:
    """Return ``raw`` in E.164, reading a number without country code as one of ``region``."""
    result = _normalize(raw, region.upper())
    if isinstance(result, _Rejected):
        raise InvalidPhone(result.reason)
    return result


@lru_cache(maxsize=_CACHE_SIZE)
def _normalize(raw: str, region: str) -> str | _Rejected:
    rules = _rules_for(region)
    written = _digits_of(raw)
    if isinstance(written, _Rejected):
        return written
    digits, international = written

    fast = _fast_mobile(digits, rules, international=international)
    if fast is not None:
        return fast
    if international:
        e164 = _parse_valid("+" + digits, None)
    else:
        e164 = _parse_valid(digits, region)
        if e164 is None and digits.startswith("00"):
            e164 = _parse_valid("+" + digits[2:], None)
        elif (
            e164 is None
            and not digits.startswith("0")
            and len(digits) >= _MIN_DIGITS_FOR_BARE_COUNTRY_CODE
        ):
            e164 = _parse_valid("+" + digits, None)
    if e164 is None:
        return _Rejected(
            f"The phone number is not a valid number, neither in region {region} "
            "nor with a country code."
        )
    return e164


def _digits_of(raw: str) -> tuple[str, bool] | _Rejected:
    # The digits of a value written like a phone number, and whether it was written with a +.
    value = raw.strip().strip(_STRAY_QUOTES).strip()
    international = False
    # Plain digits are the common case in partner files and need none of the checks below.
    if not (value.isascii() and value.isdigit()):
        problem = _writing_problem(value)
        if problem is not None:
            return _Rejected(problem)
        international = "+" in value
        if international:
            value = _TRUNK_IN_INTERNATIONAL.sub("", value)
        value = _NON_DIGIT.sub("", value)
        if not value:
            return _Rejected("The phone number has no digits.")
    if len(value) > _MAX_DIGITS:
        return _Rejected("The phone number has more digits than any phone number can have.")
    return value, international


def _writing_problem(value: str) -> str | None:
    if not value:
        return "The phone number is empty."
    if _SCIENTIFIC.fullmatch(value):
        return (
            "The phone number was turned into scientific notation (like 9.7E+11) by a "
            "spreadsheet and has lost digits; export the column as text."
        )
    if not _WRITTEN_PHONE.fullmatch(value):
        return "The phone number may only hold digits, spaces, dashes, parentheses and a leading +."
    return None


def _fast_mobile(digits: str, rules: _RegionRules, *, international: bool) -> str | None:
    # Claims a number only when phonenumbers would read it the same way: a mobile number of the
    # default region, written nationally, with the trunk prefix, or with the country code.
    if rules.mobile is None:
        return None
    cc = rules.country_code
    if international:
        if not digits.startswith(cc):
            return None
        national = digits[len(cc) :]
    elif rules.international_prefix and digits.startswith(rules.international_prefix + cc):
        national = digits[len(rules.international_prefix) + len(cc) :]
    elif digits.startswith(cc) and not rules.general.fullmatch(digits):
        # phonenumbers keeps a number that starts like the country code but is a valid
        # national number as it is; only strip the code when the whole is not one.
        national = digits[len(cc) :]
    elif rules.national_prefix and digits.startswith(rules.national_prefix):
        national = digits[len(rules.national_prefix) :]
    else:
        national = digits
    if rules.mobile.fullmatch(national) and rules.general.fullmatch(national):
        return f"+{cc}{national}"
    return None


def _parse_valid(text: str, region: str | None) -> str | None:
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    e164: str = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    return e164


@cache
def _rules_for(region: str) -> _RegionRules:
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        # A programming error (the region comes from settings), not a bad phone number.
        raise ValueError(f"Unknown phone region {region!r}.")
    national_prefix: str | None = metadata.national_prefix
    international_prefix: str | None = metadata.international_prefix
    if international_prefix is not None and not international_prefix.isdigit():
        # Some regions accept several prefixes, written as a pattern; leave those to phonenumbers.
        international_prefix = None
    simple_parsing = (
        metadata.national_prefix_transform_rule is None
        and metadata.national_prefix_for_parsing in (None, national_prefix)
    )
    general = metadata.general_desc.national_number_pattern if metadata.general_desc else None
    mobile = metadata.mobile.national_number_pattern if metadata.mobile else None
    return _RegionRules(
        country_code=str(metadata.country_code),
        national_prefix=national_prefix,
        international_prefix=international_prefix,
        # A pattern that matches nothing when the metadata has none: the fast path then declines.
        general=re.compile(general or "(?!)"),
        mobile=re.compile(mobile) if simple_parsing and mobile else None,
    )
