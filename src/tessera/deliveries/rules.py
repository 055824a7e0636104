"""A card's delivery status folded from its events, the same whatever order they arrived in.

The rules (docs/API.md, "Card delivery status"):

- The status is the latest event by its own timestamp, not by when its file was imported.
- ``delivered`` and ``returned`` are final: a later pickup or exception does not undo them. When a
  card has both, the earliest final event wins, because once a card is final nothing after it may
  change its status, a second final event included. The later one stays in the history, where a
  person can see the conflict.
- ``delivery_attempts`` counts the card's ``delivery_exception`` events, all of them.
- An event seen twice (same event, same instant; for example a file imported twice or under two
  import ids) counts once.
- The history is oldest first. Events at the same instant are ordered by the delivery lifecycle
  (pickup, exception, delivered, returned) and then by comment and source, so every arrival
  order gives the same history, and at equal instants the later lifecycle step is the status.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import NamedTuple

MAX_CARD_ID = 64

__all__ = [
    "FINAL_EVENTS",
    "CardStatus",
    "DeliveryEvent",
    "StatusEvent",
    "StatusSummary",
    "advance_status",
    "fold_status",
    "is_card_id",
    "merge_summaries",
    "summarize",
]


class DeliveryEvent(StrEnum):
    """What a courier reported about a card; also the name of the status it leads to."""

    PICKED_UP = "picked_up"
    DELIVERY_EXCEPTION = "delivery_exception"
    DELIVERED = "delivered"
    RETURNED = "returned"


FINAL_EVENTS: frozenset[str] = frozenset({DeliveryEvent.DELIVERED, DeliveryEvent.RETURNED})

_LIFECYCLE_RANK: dict[str, int] = {
    DeliveryEvent.PICKED_UP: 0,
    DeliveryEvent.DELIVERY_EXCEPTION: 1,
    DeliveryEvent.DELIVERED: 2,
    DeliveryEvent.RETURNED: 3,
}


@dataclass(frozen=True, slots=True)
class StatusEvent:
    """One event of a card's delivery: what happened, when, and which import reported it."""

    event: str
    occurred_at: datetime
    comment: str | None = None
    source: str = ""


@dataclass(frozen=True, slots=True)
class CardStatus:
    """A card's delivery status, the count of failed attempts and its history oldest first."""

    status: str
    status_at: datetime
    delivery_attempts: int
    history: list[StatusEvent]


def fold_status(events: Iterable[StatusEvent]) -> CardStatus:
    """Fold a card's events into its status; raises ``ValueError`` for no or malformed events."""
    unique: dict[tuple[str, datetime], StatusEvent] = {}
    for item in events:
        event = _in_utc(item)
        key = (event.event, event.occurred_at)
        kept = unique.get(key)
        # Of two copies of one event keep the one that sorts first, not the one seen first, so
        # the comment and source shown do not depend on import order.
        if kept is None or _order(event) < _order(kept):
            unique[key] = event
    if not unique:
        raise ValueError("A delivery status needs at least one event.")

    history = sorted(unique.values(), key=_order)
    current = next((e for e in history if e.event in FINAL_EVENTS), history[-1])
    attempts = sum(1 for e in history if e.event == DeliveryEvent.DELIVERY_EXCEPTION)
    return CardStatus(
        status=str(current.event),
        status_at=current.occurred_at,
        delivery_attempts=attempts,
        history=history,
    )


class StatusSummary(NamedTuple):
    """What must be kept of a card's events to fold in new ones without reading them again.

    ``status`` and ``status_at`` are what ``fold_status`` gives; ``latest_event`` and
    ``latest_at`` name the newest event by the same order, final or not. A named tuple: imports
    send thousands of them between processes, and a tuple pickles several times faster.
    """

    status: str
    status_at: datetime
    delivery_attempts: int
    latest_event: str
    latest_at: datetime


def advance_status(
    summary: StatusSummary | None, new_events: Iterable[StatusEvent]
) -> StatusSummary:
    """Fold events into a summary; the result equals ``fold_status`` over all the events.

    ``new_events`` must be events the summary has not seen (the caller stores each event once
    and passes only those it stored): a repeated exception would count as a second attempt.
    Distinct events of one card differ in event or instant, so ``(instant, lifecycle rank)``
    orders them totally and no comment or source is needed to break ties.
    """
    current = summary
    for item in new_events:
        event = _in_utc(item)
        key = (event.occurred_at, _LIFECYCLE_RANK[event.event])
        attempts = 1 if event.event == DeliveryEvent.DELIVERY_EXCEPTION else 0
        if current is None:
            current = StatusSummary(
                status=event.event,
                status_at=event.occurred_at,
                delivery_attempts=attempts,
                latest_event=event.event,
                latest_at=event.occurred_at,
            )
            continue
        status_key = (current.status_at, _LIFECYCLE_RANK[current.status])
        if current.status in FINAL_EVENTS:
            # Only an earlier final event can take the place of the current final one.
            takes_over = event.event in FINAL_EVENTS and key < status_key
        else:
            # No final event yet: a final one always wins, otherwise the newest does.
            takes_over = event.event in FINAL_EVENTS or key > status_key
        newest = key > (current.latest_at, _LIFECYCLE_RANK[current.latest_event])
        current = StatusSummary(
            status=event.event if takes_over else current.status,
            status_at=event.occurred_at if takes_over else current.status_at,
            delivery_attempts=current.delivery_attempts + attempts,
            latest_event=event.event if newest else current.latest_event,
            latest_at=event.occurred_at if newest else current.latest_at,
        )
    if current is None:
        raise ValueError("A delivery status needs at least one event.")
    return current


def summarize(events: Iterable[tuple[str, datetime]]) -> StatusSummary:
    """``advance_status(None, ...)`` for distinct ``(event, UTC instant)`` pairs, faster.

    The hot loop of an import's batch preparation: no objects per event, one pass.
    """
    final: tuple[datetime, int, str] | None = None
    latest: tuple[datetime, int, str] | None = None
    attempts = 0
    for event, at in events:
        key = (at, _LIFECYCLE_RANK[event], event)
        if event == "delivery_exception":
            attempts += 1
        elif event in FINAL_EVENTS and (final is None or key < final):
            final = key
        if latest is None or key > latest:
            latest = key
    if latest is None:
        raise ValueError("A delivery status needs at least one event.")
    status = final or latest
    return StatusSummary(status[2], status[0], attempts, latest[2], latest[0])


def merge_summaries(earlier: StatusSummary | None, later: StatusSummary) -> StatusSummary:
    """Combine the summaries of two disjoint sets of one card's events.

    The result equals folding both sets together: an import folds each batch's new events on
    their own (off the writing path) and merges the result into the stored summary.
    """
    if earlier is None:
        return later
    first = (earlier.status_at, _LIFECYCLE_RANK[earlier.status])
    second = (later.status_at, _LIFECYCLE_RANK[later.status])
    first_final = earlier.status in FINAL_EVENTS
    second_final = later.status in FINAL_EVENTS
    if first_final and second_final:
        use_later = second < first  # the earliest final event stands
    elif first_final or second_final:
        use_later = second_final
    else:
        use_later = second > first  # the newest event stands
    newest_is_later = (later.latest_at, _LIFECYCLE_RANK[later.latest_event]) > (
        earlier.latest_at,
        _LIFECYCLE_RANK[earlier.latest_event],
    )
    status = later if use_later else earlier
    newest = later if newest_is_later else earlier
    return StatusSummary(
        status=status.status,
        status_at=status.status_at,
        delivery_attempts=earlier.delivery_attempts + later.delivery_attempts,
        latest_event=newest.latest_event,
        latest_at=newest.latest_at,
    )


def _in_utc(event: StatusEvent) -> StatusEvent:
    if event.event not in _LIFECYCLE_RANK:
        raise ValueError(f"Unknown delivery event {event.event!r}.")
    offset = event.occurred_at.utcoffset()
    if offset is None:
        raise ValueError("Delivery event times must carry a time zone.")
    # The same instant written in two zones is one event; showing it in UTC keeps the history
    # identical whichever copy arrived first.
    if event.occurred_at.tzinfo is UTC:
        return event
    return dataclasses.replace(event, occurred_at=event.occurred_at.astimezone(UTC))


def _order(event: StatusEvent) -> tuple[datetime, int, bool, str, str]:
    comment = event.comment
    return (
        event.occurred_at,
        _LIFECYCLE_RANK[event.event],
        comment is not None,
        comment or "",
        event.source,
    )


def is_card_id(value: str) -> bool:
    """Whether ``value`` (trimmed and upper-cased) is a courier card id: 1 to 64 printable
    characters, none of them whitespace (``ZYW8827``, ``TEST_ZYW1234``, ``A/12.3``).

    Every whitespace character but the space is unprintable, so ``isprintable`` and the space
    are the whole check (and cheap: it runs for every row of an import).
    """
    return 0 < len(value) <= MAX_CARD_ID and value.isprintable() and " " not in value
