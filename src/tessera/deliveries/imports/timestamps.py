"""Courier timestamps: day-first or ISO 8601, read as UTC; one without a zone is in the partner's.

Only the explicit formats below are read, never guessed (``parsing`` explains the choice).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

# The formats exclude each other (year-first, day-first 24 h, day-first with AM/PM),
# so the order they are tried in changes only speed, never the result. Regular expressions
# rather than strptime: strptime costs about 3.5 µs (a third of the per-row budget) and reads
# %p through the process locale.

_UNKNOWN_TIMESTAMP = (
    "The timestamp is not in a known format: DD-MM-YYYY HH:MM (24 h), DD-MM-YYYY H:MM AM/PM, "
    "either with seconds or with / between the date parts, or ISO 8601 (2023-11-13T09:34:56Z)."
)
_IMPOSSIBLE_TIMESTAMP = "The timestamp names a date or time that does not exist."


class _InvalidTimestamp(ValueError):
    pass


def _build_iso(match: re.Match[str], tz: ZoneInfo) -> datetime:
    moment = datetime.fromisoformat(match.string)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment.astimezone(UTC)


def _build_day_first(match: re.Match[str], tz: ZoneInfo) -> datetime:
    day, month, year, hour, minute, second = match.group(1, 3, 4, 5, 6, 7)
    return datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second or 0), tzinfo=tz
    ).astimezone(UTC)


def _build_day_first_12h(match: re.Match[str], tz: ZoneInfo) -> datetime:
    day, month, year, hour, minute, second, half = match.group(1, 3, 4, 5, 6, 7, 8)
    clock_hour = int(hour)
    if not 1 <= clock_hour <= 12:
        raise ValueError("hour out of range for a 12-hour clock")
    hour_24 = clock_hour % 12 + (12 if half in {"PM", "pm", "Pm", "pM"} else 0)
    return datetime(
        int(year), int(month), int(day), hour_24, int(minute), int(second or 0), tzinfo=tz
    ).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class _TimestampFormat:
    name: str
    pattern: re.Pattern[str]
    build: Callable[[re.Match[str], ZoneInfo], datetime]


_DAY_FIRST = r"(\d{1,2})([-/])(\d{1,2})\2(\d{4}) +(\d{1,2}):(\d{2})(?::(\d{2}))?"
_TIMESTAMP_FORMATS = (
    _TimestampFormat(
        "DD-MM-YYYY H:MM[:SS] AM/PM",
        re.compile(_DAY_FIRST + r" ?([AaPp][Mm])", re.ASCII),
        _build_day_first_12h,
    ),
    _TimestampFormat("DD-MM-YYYY HH:MM[:SS]", re.compile(_DAY_FIRST, re.ASCII), _build_day_first),
    _TimestampFormat(
        "ISO 8601",
        re.compile(
            r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?",
            re.ASCII,
        ),
        _build_iso,
    ),
)


class TimestampReader:
    """Reads timestamps, trying first the format that worked last (files mostly keep one)."""

    __slots__ = ("_last", "_tz")

    def __init__(self, tz: ZoneInfo) -> None:
        self._tz = tz
        self._last = _TIMESTAMP_FORMATS[0]

    def read(self, raw: str) -> datetime:
        """Return ``raw`` as a UTC datetime or raise ``ValueError`` saying why it cannot be read."""
        if not raw:
            raise _InvalidTimestamp("The timestamp is empty.")
        fmt = self._last
        match = fmt.pattern.fullmatch(raw)
        if match is None:
            for fmt in _TIMESTAMP_FORMATS:
                match = fmt.pattern.fullmatch(raw)
                if match is not None:
                    self._last = fmt
                    break
            else:
                raise _InvalidTimestamp(_UNKNOWN_TIMESTAMP)
        try:
            return fmt.build(match, self._tz)
        except (ValueError, OverflowError):
            # OverflowError: a time at the edge of year 1 or 9999 that leaves it in UTC.
            raise _InvalidTimestamp(_IMPOSSIBLE_TIMESTAMP) from None
