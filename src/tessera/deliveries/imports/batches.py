"""A batch of parsed rows made ready to store, off the writing path.

Everything about a batch that does not need the database is done here, where the rows are
parsed (in a child process for large files, see ``reader_process``): dropping repeated lines,
shaping the insert parameters, and folding each card's events in the batch into a summary.
The writer then only inserts, learns which events were new, and merges the summaries into the
stored statuses (``apply.apply_batch``).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from tessera.deliveries.imports.parsing import ParsedRow, RowError
from tessera.deliveries.rules import StatusSummary, summarize
from tessera.kit.ids import new_id

MAX_COMMENT = 500
MAX_RECORD_ID = 64


class EventRow(NamedTuple):
    """One delivery event to insert, its fields in the columns' order (``bulk_writer``)."""

    firm_id: str
    card_id: str
    phone: str
    event: str
    occurred_at: datetime | str  # as SQLite stores it when the batch has ``sqlite_times``
    comment: str | None
    record_id: str | None
    import_id: str
    row: int  # the line of the file it was read from


class CardFold(NamedTuple):
    """One card's events in a batch, folded; ``rows`` are their line numbers (a tuple: cheap
    to send between processes). ``new_change`` is the ``card_delivery.status_changed`` event,
    as ``(id, JSON)``, for the case where the card has no stored status yet (the usual one)."""

    card_id: str
    summary: StatusSummary
    phone: str  # the phone of the newest event
    rows: tuple[int, ...]
    new_change: tuple[str, str]


@dataclass(frozen=True, slots=True)
class PreparedBatch:
    """What one batch stores.

    ``events`` are the insert parameters, one per distinct event, with ``occurred_at`` already
    as SQLite stores it when ``sqlite_times`` is set.
    """

    events: list[EventRow]
    cards: list[CardFold]
    rejected: list[tuple[int, str]]
    lines: int  # data lines read: parsed, repeated and rejected
    last_line: int
    sqlite_times: bool
    # Lines read (and stored, unless repeated) with a warning: (line, message).
    warnings: list[tuple[int, str]] = dataclasses.field(default_factory=list)


def sqlite_time_of_iso(iso: str) -> str:
    """A UTC instant as ``UTCDateTime`` stores it on SQLite (``bulk_writer.sqlite_datetime``),
    from its ``isoformat()``: slicing is cheaper than formatting again, and this runs for every
    row of an import."""
    # 2023-11-13T09:34:56+00:00 or 2023-11-13T09:34:56.123456+00:00
    if not iso.endswith("+00:00"):
        raise ValueError(f"not a UTC instant: {iso}")
    clock = iso[11:-6]
    return f"{iso[:10]} {clock}" if len(clock) > 8 else f"{iso[:10]} {clock}.000000"


def read_time(value: datetime | str) -> datetime:
    """The instant of an insert parameter, whichever form it was prepared in."""
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def prepare_batch(
    parsed: Sequence[ParsedRow],
    rejected: Sequence[RowError],
    *,
    last_line: int,
    firm_id: str,
    import_id: str,
    sqlite_times: bool,
) -> PreparedBatch:
    """Shape a batch of parsed rows for ``apply.apply_batch``."""
    distinct: dict[str, ParsedRow] = {}
    warnings: list[tuple[int, str]] = []
    for row in parsed:
        distinct.setdefault(row.natural_key, row)
        if row.warning is not None:
            warnings.append((row.row, row.warning[:500]))
    events: list[EventRow] = []
    by_card: dict[str, list[ParsedRow]] = {}
    for row in distinct.values():
        at = row.occurred_at
        events.append(
            EventRow(
                firm_id,
                row.card_id,
                row.phone,
                row.event,
                sqlite_time_of_iso(row.occurred_at_iso) if sqlite_times else at,
                row.comment[:MAX_COMMENT] if row.comment else None,
                row.record_id[:MAX_RECORD_ID] or None,
                import_id,
                row.row,
            )
        )
        card = by_card.get(row.card_id)
        if card is None:
            by_card[row.card_id] = [row]
        else:
            card.append(row)
    cards = [_fold(card_id, rows, import_id) for card_id, rows in by_card.items()]
    return PreparedBatch(
        events=events,
        cards=cards,
        rejected=[(e.row, e.message[:500]) for e in rejected],
        lines=len(parsed) + len(rejected),
        last_line=last_line,
        sqlite_times=sqlite_times,
        warnings=warnings,
    )


def prepared_batches(
    rows: Iterator[ParsedRow | RowError],
    *,
    skip_until: int,
    size: int,
    firm_id: str,
    import_id: str,
    sqlite_times: bool,
) -> Iterator[PreparedBatch]:
    """Group a file's rows into prepared batches of ``size`` lines, after the resume line."""
    parsed: list[ParsedRow] = []
    rejected: list[RowError] = []
    last_line = skip_until
    for item in rows:
        if item.row <= skip_until:
            continue  # committed by an earlier run of this import
        if isinstance(item, ParsedRow):
            parsed.append(item)
        else:
            rejected.append(item)
        last_line = item.row
        if len(parsed) + len(rejected) >= size:
            yield prepare_batch(
                parsed,
                rejected,
                last_line=last_line,
                firm_id=firm_id,
                import_id=import_id,
                sqlite_times=sqlite_times,
            )
            parsed, rejected = [], []
    if parsed or rejected:
        yield prepare_batch(
            parsed,
            rejected,
            last_line=last_line,
            firm_id=firm_id,
            import_id=import_id,
            sqlite_times=sqlite_times,
        )


def status_change(
    card_id: str,
    phone: str,
    after: StatusSummary,
    before: StatusSummary | None,
    import_id: str,
) -> dict[str, Any]:
    """The data of a ``card_delivery.status_changed`` event."""
    return {
        "card_id": card_id,
        "phone": phone,
        "status": after.status,
        "status_at": rfc3339(after.status_at),
        "delivery_attempts": after.delivery_attempts,
        "previous_status": before.status if before else None,
        "previous_status_at": rfc3339(before.status_at) if before else None,
        "import_id": import_id,
    }


def rfc3339(moment: datetime) -> str:
    """``2023-11-13T09:34:56Z``: UTC, with microseconds only when there are some."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.isoformat().replace("+00:00", "Z")


def fold_rows(
    card_id: str, rows: Sequence[tuple[str, datetime, str, int]], *, import_id: str
) -> CardFold:
    """Fold ``(event, instant, phone, line)`` rows of one card (distinct events)."""
    summary = summarize((event, at) for event, at, _, _ in rows)
    phone = next(
        phone
        for event, at, phone, _ in rows
        if event == summary.latest_event and at == summary.latest_at
    )
    return _card_fold(card_id, summary, phone, tuple(line for _, _, _, line in rows), import_id)


def first_status_json(card_id: str, phone: str, summary: StatusSummary, import_id: str) -> str:
    """``json.dumps(status_change(card_id, phone, summary, None, import_id))``, faster.

    Built by hand because it runs for every new card of an import (half a million times for a
    file of a million rows). Card ids and phones of only ``[A-Za-z0-9_+.:-]`` need no JSON
    escaping (most are: ``ZYW8827``, E.164), and statuses and import ids are ours; anything else
    (a card id with a quote, a phone kept as written) falls back to ``json.dumps``.
    """
    if not (_SAFE.fullmatch(card_id) and _SAFE.fullmatch(phone) and _SAFE.fullmatch(import_id)):
        return json.dumps(status_change(card_id, phone, summary, None, import_id))
    return (
        f'{{"card_id": "{card_id}", "phone": "{phone}", "status": "{summary.status}", '
        f'"status_at": "{rfc3339(summary.status_at)}", '
        f'"delivery_attempts": {int(summary.delivery_attempts)}, "previous_status": null, '
        f'"previous_status_at": null, "import_id": "{import_id}"}}'
    )


_SAFE = re.compile(r"[A-Za-z0-9_+.:-]*")


def _card_fold(
    card_id: str, summary: StatusSummary, phone: str, rows: tuple[int, ...], import_id: str
) -> CardFold:
    change = first_status_json(card_id, phone, summary, import_id)
    return CardFold(card_id, summary, phone, rows, (new_id("evt"), change))


def _fold(card_id: str, rows: list[ParsedRow], import_id: str) -> CardFold:
    if len(rows) == 1:
        (only,) = rows
        at = only.occurred_at
        attempts = 1 if only.event == "delivery_exception" else 0
        summary = StatusSummary(only.event, at, attempts, only.event, at)
        return _card_fold(card_id, summary, only.phone, (only.row,), import_id)
    return fold_rows(
        card_id, [(r.event, r.occurred_at, r.phone, r.row) for r in rows], import_id=import_id
    )
