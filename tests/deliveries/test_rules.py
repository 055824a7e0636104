"""Tests for folding delivery events into a card's status."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tessera.compat.card_status import compat_status_label
from tessera.deliveries.imports.parsing import ParsedRow, read_delivery_file
from tessera.deliveries.rules import (
    CardStatus,
    DeliveryEvent,
    StatusEvent,
    StatusSummary,
    advance_status,
    fold_status,
    merge_summaries,
    summarize,
)
from tests.support.deliveries import SAMPLES

SAMPLE_FILES = sorted(SAMPLES.glob("*.csv"))
assert len(SAMPLE_FILES) == 4, SAMPLE_FILES  # never an empty parametrisation

T0 = datetime(2023, 11, 12, 8, 0, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def create_event(
    event: str, hours: float, *, comment: str | None = None, source: str = "import-1"
) -> StatusEvent:
    return StatusEvent(event=event, occurred_at=at(hours), comment=comment, source=source)


def sample_events(path: Path) -> list[tuple[str, StatusEvent]]:
    with path.open("rb") as stream:
        rows = list(read_delivery_file(stream, filename=path.name, kind=None).rows())
    assert all(isinstance(row, ParsedRow) for row in rows)
    return [
        (row.card_id, StatusEvent(row.event, row.occurred_at, row.comment, path.name))
        for row in rows
        if isinstance(row, ParsedRow)
    ]


class TestFoldStatus:
    def test_the_latest_event_by_its_own_time_is_the_status(self) -> None:
        events = [
            create_event("delivery_exception", 5),
            create_event("picked_up", 1),
        ]
        status = fold_status(events)
        assert status.status == "delivery_exception"
        assert status.status_at == at(5)
        assert [e.event for e in status.history] == ["picked_up", "delivery_exception"]

    def test_a_later_pickup_or_exception_does_not_undo_delivered(self) -> None:
        status = fold_status(
            [
                create_event("picked_up", 0),
                create_event("delivered", 2),
                create_event("picked_up", 3),
                create_event("delivery_exception", 4),
            ]
        )
        assert status.status == "delivered"
        assert status.status_at == at(2)
        assert status.delivery_attempts == 1
        assert len(status.history) == 4

    def test_a_later_pickup_does_not_undo_returned(self) -> None:
        status = fold_status([create_event("returned", 2), create_event("picked_up", 9)])
        assert (status.status, status.status_at) == ("returned", at(2))

    @pytest.mark.parametrize(
        ("delivered_at", "returned_at", "expected"),
        [(1, 2, "delivered"), (2, 1, "returned")],
    )
    def test_of_two_final_events_the_earliest_wins(
        self, delivered_at: float, returned_at: float, expected: str
    ) -> None:
        status = fold_status(
            [create_event("returned", returned_at), create_event("delivered", delivered_at)]
        )
        assert status.status == expected
        assert status.status_at == at(min(delivered_at, returned_at))
        assert {e.event for e in status.history} == {"delivered", "returned"}

    def test_at_the_same_instant_the_later_lifecycle_step_is_the_status(self) -> None:
        status = fold_status([create_event("delivery_exception", 1), create_event("picked_up", 1)])
        assert status.status == "delivery_exception"
        assert [e.event for e in status.history] == ["picked_up", "delivery_exception"]

    def test_delivered_and_returned_at_the_same_instant_read_as_delivered(self) -> None:
        status = fold_status([create_event("returned", 1), create_event("delivered", 1)])
        assert status.status == "delivered"

    def test_attempts_count_each_exception(self) -> None:
        status = fold_status(
            [
                create_event("picked_up", 0),
                create_event("delivery_exception", 1),
                create_event("delivery_exception", 25),
                create_event("delivered", 49),
            ]
        )
        assert status.delivery_attempts == 2

    def test_a_duplicate_event_counts_once_whatever_its_source(self) -> None:
        first = create_event("delivery_exception", 1, comment="User not available", source="b")
        again = create_event("delivery_exception", 1, comment="User not available", source="a")
        for events in ([first, again], [again, first], [first, first, again]):
            status = fold_status(events)
            assert status.delivery_attempts == 1
            assert status.history == [again]

    def test_one_instant_written_in_two_zones_is_one_event_shown_in_utc(self) -> None:
        dubai = timezone(timedelta(hours=4))
        local = StatusEvent("picked_up", at(0).astimezone(dubai), None, "a")
        status = fold_status([local, create_event("picked_up", 0, source="a")])
        assert len(status.history) == 1
        assert status.history[0].occurred_at.utcoffset() == timedelta(0)
        assert status.status_at == at(0)

    def test_accepts_event_enum_members(self) -> None:
        status = fold_status([StatusEvent(DeliveryEvent.RETURNED, at(0))])
        assert status.status == "returned"
        assert type(status.status) is str

    def test_no_events_is_an_error(self) -> None:
        with pytest.raises(ValueError, match="at least one event"):
            fold_status([])

    def test_a_time_without_zone_is_an_error(self) -> None:
        with pytest.raises(ValueError, match="time zone"):
            fold_status([StatusEvent("picked_up", datetime(2023, 11, 12, 8, 0))])  # noqa: DTZ001

    def test_an_unknown_event_is_an_error(self) -> None:
        with pytest.raises(ValueError, match="Unknown delivery event"):
            fold_status([create_event("lost", 0)])

    @given(
        events=st.lists(
            st.builds(
                StatusEvent,
                event=st.sampled_from([str(e) for e in DeliveryEvent]),
                occurred_at=st.sampled_from([at(h) for h in (0, 1, 2, 3)]),
                comment=st.sampled_from([None, "", "User not available", "DELIVERED"]),
                source=st.sampled_from(["a.csv", "b.csv", "import-7"]),
            ),
            min_size=1,
            max_size=12,
        ),
        data=st.data(),
    )
    def test_any_arrival_order_gives_the_same_status(
        self, events: list[StatusEvent], data: st.DataObject
    ) -> None:
        shuffled = data.draw(st.permutations(events))
        assert fold_status(shuffled) == fold_status(events)


class TestFoldSampleFiles:
    def test_the_four_sample_files_in_any_order_give_the_same_statuses(self) -> None:
        per_file = [sample_events(path) for path in SAMPLE_FILES]
        assert len(per_file) == 4
        results: list[dict[str, CardStatus]] = []
        for order in itertools.permutations(per_file):
            by_card: dict[str, list[StatusEvent]] = {}
            for events in order:
                for card_id, event in events:
                    by_card.setdefault(card_id, []).append(event)
            results.append({card: fold_status(events) for card, events in by_card.items()})
        assert len(results) == 24
        assert all(result == results[0] for result in results)

        cards = results[0]
        assert cards.keys() == {"ZYW8827", "ZYW8890", "ZYW7631"}
        assert cards["ZYW8827"].status == "delivered"
        assert cards["ZYW8827"].status_at == datetime(2023, 11, 13, 9, 34, 56, tzinfo=UTC)
        assert cards["ZYW8827"].delivery_attempts == 0
        assert cards["ZYW8890"].status == "returned"
        assert cards["ZYW8890"].status_at == datetime(2023, 11, 14, 8, 0, tzinfo=UTC)
        assert cards["ZYW8890"].delivery_attempts == 1
        assert cards["ZYW7631"].status == "delivered"
        assert cards["ZYW7631"].status_at == datetime(2023, 11, 14, 12, 34, 56, tzinfo=UTC)
        assert cards["ZYW7631"].delivery_attempts == 1
        assert [(e.event, e.source) for e in cards["ZYW8890"].history] == [
            ("picked_up", "Sample Card Status Info - Pickup.csv"),
            ("delivery_exception", "Sample Card Status Info - Delivery exceptions.csv"),
            ("returned", "Sample Card Status Info - Returned.csv"),
        ]

    def test_importing_the_files_twice_changes_nothing(self) -> None:
        by_card: dict[str, list[StatusEvent]] = {}
        for path in SAMPLE_FILES:
            for card_id, event in sample_events(path):
                by_card.setdefault(card_id, []).append(event)
        for events in by_card.values():
            assert fold_status(events + events) == fold_status(events)


class TestCompatStatusLabel:
    @pytest.mark.parametrize(
        ("status", "label"),
        [
            ("picked_up", "Picked Up"),
            ("delivery_exception", "Delivery Exception"),
            ("delivered", "Delivered"),
            ("returned", "Returned"),
        ],
    )
    def test_each_status_has_its_legacy_label(self, status: str, label: str) -> None:
        assert compat_status_label(status) == label

    def test_an_unknown_status_is_an_error(self) -> None:
        with pytest.raises(ValueError, match="Unknown delivery status"):
            compat_status_label("lost")


_EVENTS = st.sampled_from([e.value for e in DeliveryEvent])
_DISTINCT_EVENTS = st.lists(
    st.tuples(_EVENTS, st.integers(min_value=0, max_value=40)),
    min_size=1,
    max_size=12,
    unique=True,
)


class TestAdvanceStatus:
    @given(events=_DISTINCT_EVENTS, cuts=st.lists(st.integers(min_value=0, max_value=12)))
    def test_folding_forward_in_any_batches_equals_folding_everything(
        self, events: list[tuple[str, int]], cuts: list[int]
    ) -> None:
        stream = [create_event(event, hours) for event, hours in events]
        expected = fold_status(stream)
        bounds = sorted({0, len(stream), *(c for c in cuts if c <= len(stream))})
        summary: StatusSummary | None = None
        for start, end in itertools.pairwise(bounds):
            summary = advance_status(summary, stream[start:end])
        assert summary is not None
        assert (summary.status, summary.status_at, summary.delivery_attempts) == (
            expected.status,
            expected.status_at,
            expected.delivery_attempts,
        )
        latest = expected.history[-1]
        assert (summary.latest_event, summary.latest_at) == (latest.event, latest.occurred_at)

    def test_an_earlier_final_event_replaces_a_later_one(self) -> None:
        summary = advance_status(None, [create_event("returned", 10)])
        summary = advance_status(summary, [create_event("delivered", 5)])
        assert (summary.status, summary.status_at) == ("delivered", at(5))

    def test_no_events_is_an_error(self) -> None:
        with pytest.raises(ValueError, match="at least one event"):
            advance_status(None, [])


class TestMergeSummaries:
    @given(events=_DISTINCT_EVENTS, cut=st.integers(min_value=0, max_value=12))
    def test_merging_two_folds_equals_folding_everything(
        self, events: list[tuple[str, int]], cut: int
    ) -> None:
        stream = [create_event(event, hours) for event, hours in events]
        earlier, later = stream[:cut], stream[cut:]
        if not later:
            earlier, later = [], stream
        merged = merge_summaries(
            advance_status(None, earlier) if earlier else None, advance_status(None, later)
        )
        expected = advance_status(None, stream)
        assert merged == expected


class TestSummarize:
    @given(events=_DISTINCT_EVENTS)
    def test_equals_folding_forward(self, events: list[tuple[str, int]]) -> None:
        stream = [create_event(event, hours) for event, hours in events]
        assert summarize((e.event, e.occurred_at) for e in stream) == advance_status(None, stream)

    def test_no_events_is_an_error(self) -> None:
        with pytest.raises(ValueError, match="at least one event"):
            summarize([])
