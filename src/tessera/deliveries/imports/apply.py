"""Storing one prepared batch of an import: its events, the cards' statuses, the counts.

How an import stays correct when it is cut short or repeated:

- Each delivery event is stored once per firm under its natural key (event, card id, UTC instant;
  ``parsing.natural_key``), with ``INSERT ... ON CONFLICT DO NOTHING``, so a file imported twice,
  or two files that overlap, add nothing the second time: those rows count as ``rows_duplicate``.
- A card's current status (``card_delivery_statuses``) is folded forward from only the events a
  batch really stored (``rules.advance_status``), in the same transaction as the events, and a
  ``card_delivery.status_changed`` event is written when the status or its instant moved. The
  fold is order-independent, so the final status does not depend on the order files arrive in.
- A batch commits its events, statuses, outbox events, rejected lines and the import's counts
  and resume line together. A crash loses at most the batch in flight; resuming starts after the
  resume line, and re-importing the file instead converges too (committed rows are duplicates).

Like ``jobs``, this works inside the caller's transaction (``orchestrator`` commits each batch).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tessera.deliveries.imports import bulk_writer, queries
from tessera.deliveries.imports.batches import (
    CardFold,
    PreparedBatch,
    fold_rows,
    read_time,
    status_change,
)
from tessera.deliveries.imports.bulk_writer import StatusRow
from tessera.deliveries.rules import StatusSummary, merge_summaries
from tessera.deliveries.status import queries as status_queries
from tessera.events.service import record_events
from tessera.events.types import EventType
from tessera.models import DeliveryImport


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """What one batch did."""

    total: int
    imported: int
    duplicate: int
    rejected: int
    status_changes: int


def apply_batch(
    session: Session, *, job: DeliveryImport, batch: PreparedBatch, now: datetime
) -> BatchOutcome:
    """Store a prepared batch of an import: events, statuses, outbox events, rejections, counts."""
    firm_id = job.firm_id
    bulk_writer.prepare_import_connection(session)
    bulk_writer.lock_firm_imports(session, firm_id)
    inserted = bulk_writer.insert_new_events(session, batch.events, sqlite_times=batch.sqlite_times)
    # Usually every event is new and the batch's own folds apply as they are.
    folds = batch.cards if len(inserted) == len(batch.events) else _refold(batch, inserted, job.id)
    changes = _merge_into_statuses(session, firm_id=firm_id, import_id=job.id, folds=folds, now=now)
    queries.add_rejections(
        session,
        [
            {"firm_id": firm_id, "import_id": job.id, "row": row, "message": message}
            for row, message in batch.rejected
        ],
    )
    queries.add_warnings(
        session,
        [
            {"firm_id": firm_id, "import_id": job.id, "row": row, "message": message}
            for row, message in batch.warnings
        ],
    )
    rejected = len(batch.rejected)
    outcome = BatchOutcome(
        total=batch.lines,
        imported=len(inserted),
        duplicate=batch.lines - rejected - len(inserted),
        rejected=rejected,
        status_changes=changes,
    )
    queries.add_progress(
        session,
        job.id,
        total=outcome.total,
        imported=outcome.imported,
        duplicate=outcome.duplicate,
        rejected=outcome.rejected,
        warned=len(batch.warnings),
        resume_line=batch.last_line,
        now=now,
    )
    return outcome


def _refold(batch: PreparedBatch, inserted: set[int], import_id: str) -> list[CardFold]:
    # Some events were known already: fold again only what was really stored.
    by_line = {event.row: event for event in batch.events}
    folds: list[CardFold] = []
    for fold in batch.cards:
        new = [line for line in fold.rows if line in inserted]
        if len(new) == len(fold.rows):
            folds.append(fold)
        elif new:
            stored = [by_line[line] for line in new]
            rows = [(e.event, read_time(e.occurred_at), e.phone, e.row) for e in stored]
            folds.append(fold_rows(fold.card_id, rows, import_id=import_id))
    return folds


def _merge_into_statuses(
    session: Session, *, firm_id: str, import_id: str, folds: list[CardFold], now: datetime
) -> int:
    # Merge each card's folded batch into its stored summary, write the summaries back and
    # report each card whose status (or its instant) moved.
    if not folds:
        return 0
    stored = status_queries.statuses_for(
        session, firm_id=firm_id, card_ids=[f.card_id for f in folds]
    )
    inserts: list[StatusRow] = []
    updates: list[StatusRow] = []
    changes: list[dict[str, Any]] = []
    new_cards: list[tuple[str, str]] = []  # prepared with the batch
    for fold in folds:
        card_id = fold.card_id
        old = stored.get(card_id)
        if old is None:
            before = None
            after = fold.summary
            phone = fold.phone
        else:
            before = StatusSummary(
                old.status, old.status_at, old.delivery_attempts, old.latest_event, old.latest_at
            )
            after = merge_summaries(before, fold.summary)
            newest_in_batch = (after.latest_event, after.latest_at) == (
                fold.summary.latest_event,
                fold.summary.latest_at,
            )
            phone = fold.phone if newest_in_batch else old.phone
        (inserts if old is None else updates).append(
            StatusRow(
                card_id,
                phone,
                after.status,
                after.status_at,
                after.delivery_attempts,
                after.latest_event,
                after.latest_at,
                now,
            )
        )
        if before is None:
            new_cards.append(fold.new_change)
        elif (after.status, after.status_at) != (before.status, before.status_at):
            changes.append(status_change(card_id, phone, after, before, import_id))
    bulk_writer.write_statuses(session, firm_id=firm_id, inserts=inserts, updates=updates)
    return record_events(
        session,
        firm_id=firm_id,
        type=EventType.CARD_DELIVERY_STATUS_CHANGED,
        items=changes,
        encoded=new_cards,
        now=now,
    )
