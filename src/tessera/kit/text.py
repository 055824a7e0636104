"""Text that a request may carry: the annotated types every schema uses for its strings.

- ``PlainText``: one line, no control characters (ids, slugs, codes, URLs, emails).
- ``TextBlock``: like ``PlainText`` but tabs and line breaks are allowed (PEM, comments).
- ``FreeText`` / ``FreeTextBlock``: what people type (names, descriptions, labels, reasons);
  also refuses a card number, so that one typed into the wrong box is never stored or shown.

A control character (NUL above all) or a lone surrogate is refused with the rule
``control_character``: PostgreSQL cannot store NUL in text and would answer a 500, SQLite would
store it. A Luhn-valid run of 13 to 19 digits, spaces and dashes allowed between them, is refused
with ``card_number_in_text``. Neither message repeats the value.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

# The one card-number scanner, the same the log redaction uses.
from tessera.kit.card_numbers import find_card_numbers

CONTROL_CHARACTER = "control_character"
CARD_NUMBER_IN_TEXT = "card_number_in_text"

CONTROL_CHARACTER_MESSAGE = "Must not contain control characters."
CARD_NUMBER_MESSAGE = "Looks like a card number; card numbers cannot be written here."

# C0 controls, DEL and lone surrogates (which a JSON escape such as "\ud800" can smuggle in).
_ANY_CONTROL = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
_CONTROL_BUT_LINE_BREAKS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_MIN_CARD_DIGITS = 13
_DIGITS_DELETED = str.maketrans("", "", "0123456789")


def has_control_character(value: str, *, multi_line: bool = False) -> bool:
    """Whether a text holds a character no field stores (tab and line breaks if multi-line)."""
    pattern = _CONTROL_BUT_LINE_BREAKS if multi_line else _ANY_CONTROL
    return pattern.search(value) is not None


def has_card_number(value: str) -> bool:
    """Whether a text contains something that reads as a card number."""
    if len(value) - len(value.translate(_DIGITS_DELETED)) < _MIN_CARD_DIGITS:
        return False  # the common case, without running the scanner
    return bool(find_card_numbers(value))


def _plain(value: str) -> str:
    if has_control_character(value):
        raise PydanticCustomError(CONTROL_CHARACTER, CONTROL_CHARACTER_MESSAGE)
    return value


def _block(value: str) -> str:
    if has_control_character(value, multi_line=True):
        raise PydanticCustomError(CONTROL_CHARACTER, CONTROL_CHARACTER_MESSAGE)
    return value


def _no_card_number(value: str) -> str:
    if has_card_number(value):
        raise PydanticCustomError(CARD_NUMBER_IN_TEXT, CARD_NUMBER_MESSAGE)
    return value


PlainText = Annotated[str, AfterValidator(_plain)]
TextBlock = Annotated[str, AfterValidator(_block)]
FreeText = Annotated[str, AfterValidator(_plain), AfterValidator(_no_card_number)]
FreeTextBlock = Annotated[str, AfterValidator(_block), AfterValidator(_no_card_number)]
