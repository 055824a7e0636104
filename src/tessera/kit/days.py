"""Periods of whole days (``from``/``to`` of statements and reports) as UTC instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta


def day_bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """From the start of ``start`` (inclusive) to the end of ``end``, as ``[low, high)``.

    ``end`` may be the last day there is (``9999-12-31``, as clients write "no end"): it then
    bounds nothing, rather than overflowing into a day that does not exist.
    """
    low = datetime.combine(start, time.min, tzinfo=UTC) if start is not None else None
    if end is None or end == date.max:
        return low, None
    return low, datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC)
