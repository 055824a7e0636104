"""Whole-day periods at the ends of the calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tessera.kit.days import day_bounds


class TestDayBounds:
    def test_the_end_day_is_included_whole(self) -> None:
        assert day_bounds(date(2026, 1, 1), date(2026, 1, 31)) == (
            datetime(2026, 1, 1, tzinfo=UTC),
            datetime(2026, 2, 1, tzinfo=UTC),
        )

    def test_the_first_and_last_days_there_are(self) -> None:
        assert day_bounds(date.min, date.max) == (datetime(1, 1, 1, tzinfo=UTC), None)
        assert day_bounds(None, date(9999, 12, 30)) == (None, datetime(9999, 12, 31, tzinfo=UTC))
        assert day_bounds(None, None) == (None, None)
