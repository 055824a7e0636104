"""Request validation errors worded for people: one sentence and a stable rule per field.

Pydantic's own messages ("String should have at least 8 characters", "Input should be a valid
integer") are written for programmers and some quote the input. Each error type maps here to a
``rule`` (stable, for programs to branch on) and a sentence (for the person who filled the form),
built only from the schema's own limits, never from the value given. An error type not listed
gets the rule ``invalid`` and a generic sentence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tessera.errors import FieldError
from tessera.kit.text import CARD_NUMBER_IN_TEXT, CARD_NUMBER_MESSAGE, CONTROL_CHARACTER

_LOCATIONS = frozenset({"body", "query", "path", "header", "cookie", "form"})
GENERIC_MESSAGE = "Is not valid."

# error type -> (rule, sentence); the sentence may name the schema's limits from ``ctx``.
_WORDING: dict[str, tuple[str, str]] = {
    "missing": ("required", "This field is required."),
    "string_type": ("text", "Must be text."),
    "string_unicode": ("text", "Must be text."),
    "string_too_short": ("min_length", "Must be at least {min_length} characters."),
    "string_too_long": ("max_length", "Must be at most {max_length} characters."),
    "string_pattern_mismatch": ("format", "Is not in the expected format."),
    "int_type": ("whole_number", "Must be a whole number."),
    "int_parsing": ("whole_number", "Must be a whole number."),
    "int_from_float": ("whole_number", "Must be a whole number."),
    "int_parsing_size": ("maximum", "Is too large."),
    "float_type": ("number", "Must be a number."),
    "float_parsing": ("number", "Must be a number."),
    "finite_number": ("number", "Must be a number."),
    "bool_type": ("boolean", "Must be true or false."),
    "bool_parsing": ("boolean", "Must be true or false."),
    "greater_than": ("minimum", "Must be greater than {gt}."),
    "greater_than_equal": ("minimum", "Must be at least {ge}."),
    "less_than": ("maximum", "Must be less than {lt}."),
    "less_than_equal": ("maximum", "Must be at most {le}."),
    "multiple_of": ("multiple_of", "Must be a multiple of {multiple_of}."),
    "enum": ("choice", "Must be one of {expected}."),
    "literal_error": ("choice", "Must be one of {expected}."),
    "date_type": ("date", "Must be a date written as YYYY-MM-DD."),
    "date_parsing": ("date", "Must be a date written as YYYY-MM-DD."),
    "date_from_datetime_parsing": ("date", "Must be a date written as YYYY-MM-DD."),
    "date_from_datetime_inexact": ("date", "Must be a date written as YYYY-MM-DD."),
    "date_past": ("past_date", "Must be a date in the past."),
    "date_future": ("future_date", "Must be a date in the future."),
    "datetime_type": ("datetime", "Must be a date and time (RFC 3339)."),
    "datetime_parsing": ("datetime", "Must be a date and time (RFC 3339)."),
    "datetime_from_date_parsing": ("datetime", "Must be a date and time (RFC 3339)."),
    "timezone_aware": ("datetime", "Must be a date and time with a time zone."),
    "list_type": ("list", "Must be a list."),
    "tuple_type": ("list", "Must be a list."),
    "set_type": ("list", "Must be a list."),
    "too_short": ("min_items", "Must have at least {min_length} items."),
    "too_long": ("max_items", "Must have at most {max_length} items."),
    "dict_type": ("object", "Must be an object."),
    "model_type": ("object", "Must be an object."),
    "model_attributes_type": ("object", "Must be an object."),
    "extra_forbidden": ("unknown_field", "Is not a field this request accepts."),
    "url_type": ("url", "Must be a URL."),
    "url_parsing": ("url", "Must be a URL."),
    "url_syntax_violation": ("url", "Must be a URL."),
    "url_scheme": ("url", "Must be an http or https URL."),
    "url_too_long": ("max_length", "Is too long for a URL."),
    "uuid_type": ("uuid", "Must be a UUID."),
    "uuid_parsing": ("uuid", "Must be a UUID."),
    "ip_any_address": ("ip_address", "Must be an IP address."),
    CONTROL_CHARACTER: (CONTROL_CHARACTER, "Must not contain control characters."),
    CARD_NUMBER_IN_TEXT: (CARD_NUMBER_IN_TEXT, CARD_NUMBER_MESSAGE),
}


def field_name(loc: Sequence[Any]) -> str:
    """The dotted path of a field (``labels.env``, ``items.0.name``) without its location."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in _LOCATIONS:
        parts = parts[1:]
    return ".".join(parts) or "body"


def _limit(value: object) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    return str(value)


def word(error: Mapping[str, Any]) -> FieldError:
    """One Pydantic error as a ``{field, message, rule}`` entry that quotes no input."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    field = field_name(tuple(error.get("loc", ())))
    if kind == "value_error":
        return FieldError(field, _value_error_message(error), rule="invalid")
    rule, template = _WORDING.get(kind, ("invalid", GENERIC_MESSAGE))
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return FieldError(field, "Must not be empty.", rule="required")
    if kind == "too_short" and ctx.get("min_length") == 1:
        return FieldError(field, "Must have at least one item.", rule="min_items")
    try:
        message = template.format(**{k: _limit(v) for k, v in ctx.items()})
    except (KeyError, IndexError, ValueError):
        message = GENERIC_MESSAGE
    return FieldError(field, message, rule=rule)


def _value_error_message(error: Mapping[str, Any]) -> str:
    # Our validators raise ValueError with sentences that quote nothing; third-party ones (the
    # email validator's reasons name the domain) are replaced by a sentence of our own.
    if str(error.get("msg", "")).startswith("value is not a valid email address"):
        return "Must be an email address."
    cause = (error.get("ctx") or {}).get("error")
    text = str(cause) if isinstance(cause, ValueError) else ""
    return text if text.endswith(".") and "'" not in text and '"' not in text else GENERIC_MESSAGE


def worded(errors: Sequence[Mapping[str, Any]]) -> list[FieldError]:
    """Every error worded, one entry per field and rule (a union repeats its members' errors)."""
    seen: dict[tuple[str, str], FieldError] = {}
    for error in errors:
        entry = word(error)
        seen.setdefault((entry["field"], entry["rule"]), entry)
    return list(seen.values())
