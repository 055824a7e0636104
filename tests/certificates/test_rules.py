"""The pure rules: the status machine and the expiry notice schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tessera.certificates import rules
from tessera.errors import InvalidStatusTransition
from tessera.models import CertificateStatus

ACTIVE, INACTIVE, REVOKED = (
    CertificateStatus.ACTIVE,
    CertificateStatus.INACTIVE,
    CertificateStatus.REVOKED,
)
END = datetime(2027, 6, 30, 12, 0, tzinfo=UTC)
DEFAULT = [30, 7, 1]


def days_before_end(days: float) -> datetime:
    return END - timedelta(days=days)


class TestStatusChanges:
    @pytest.mark.parametrize(
        ("current", "requested"),
        [(ACTIVE, INACTIVE), (INACTIVE, ACTIVE), (ACTIVE, REVOKED), (INACTIVE, REVOKED)],
    )
    def test_allowed_moves_change_something(
        self, current: CertificateStatus, requested: CertificateStatus
    ) -> None:
        assert rules.status_changes(current, requested)

    @pytest.mark.parametrize("status", [ACTIVE, INACTIVE, REVOKED])
    def test_staying_put_is_a_no_op(self, status: CertificateStatus) -> None:
        assert not rules.status_changes(status, status)

    @pytest.mark.parametrize("requested", [ACTIVE, INACTIVE])
    def test_revoked_is_final(self, requested: CertificateStatus) -> None:
        with pytest.raises(InvalidStatusTransition) as caught:
            rules.status_changes(REVOKED, requested)

        assert caught.value.status == 409
        assert caught.value.details == {"current": "revoked", "requested": requested.value}


class TestSchedule:
    def test_a_fresh_long_certificate_waits_for_its_largest_threshold(self) -> None:
        plan = rules.schedule(
            not_after=END, thresholds=DEFAULT, notified_days=None, now=days_before_end(365)
        )

        assert plan == rules.ExpirySchedule(None, days_before_end(30))

    def test_thresholds_already_behind_count_as_handled(self) -> None:
        plan = rules.schedule(
            not_after=END, thresholds=DEFAULT, notified_days=None, now=days_before_end(5)
        )

        assert plan == rules.ExpirySchedule(7, days_before_end(1))

    def test_adding_a_passed_threshold_later_does_not_fire_it(self) -> None:
        plan = rules.schedule(
            not_after=END, thresholds=[60, 14], notified_days=None, now=days_before_end(20)
        )

        assert plan == rules.ExpirySchedule(60, days_before_end(14))

    def test_nothing_left_after_the_smallest_threshold_or_expiry(self) -> None:
        assert rules.schedule(
            not_after=END, thresholds=DEFAULT, notified_days=1, now=days_before_end(0.5)
        ) == rules.ExpirySchedule(1, None)
        assert rules.schedule(
            not_after=END, thresholds=DEFAULT, notified_days=None, now=END + timedelta(days=1)
        ) == rules.ExpirySchedule(1, None)
        assert rules.schedule(
            not_after=END, thresholds=[], notified_days=None, now=days_before_end(100)
        ) == rules.ExpirySchedule(None, None)


class TestDueNotice:
    @pytest.mark.parametrize(
        ("days_left", "notified", "expected"),
        [
            (31, None, None),
            (30, None, 30),
            (29, None, 30),
            (29, 30, None),
            (6, 30, 7),
            (6, None, 7),  # 30 and 7 both crossed: only the most urgent
            (0.5, 7, 1),
            (0.5, 1, None),
            (-1, None, None),  # expired
        ],
    )
    def test_the_smallest_crossed_threshold_not_yet_announced(
        self, days_left: float, notified: int | None, expected: int | None
    ) -> None:
        due = rules.due_notice(
            not_after=END,
            thresholds=DEFAULT,
            notified_days=notified,
            now=days_before_end(days_left),
        )

        assert due == expected

    def test_whole_days_left(self) -> None:
        assert rules.whole_days_left(END, days_before_end(6.9)) == 6
        assert rules.whole_days_left(END, days_before_end(0.1)) == 0
        assert rules.whole_days_left(END, END + timedelta(days=2)) == 0

    def test_thresholds_are_unique_and_largest_first(self) -> None:
        assert rules.normalise_thresholds([1, 30, 7, 30]) == [30, 7, 1]
