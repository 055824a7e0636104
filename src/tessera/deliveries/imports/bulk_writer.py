"""Writing an import batch's events and card statuses through the database driver.

Import batches are written with ``executemany`` (SQLite) or ``COPY`` (PostgreSQL) on the
driver's own cursor, never row by row through the ORM: a file of a million rows is a few
hundred statements. These are the only two databases Tessera runs on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tessera.deliveries.imports.batches import EventRow, read_time

IMPORT_CACHE_KIB = 65_536
IMPORT_CHECKPOINT_PAGES = 16_384


class StatusRow(NamedTuple):
    """A card's status to insert or overwrite, its fields in the columns' order."""

    card_id: str
    phone: str
    status: str
    status_at: datetime
    delivery_attempts: int
    latest_event: str
    latest_at: datetime
    updated_at: datetime


def prepare_import_connection(session: Session) -> None:
    """Give an importing SQLite connection a 64 MiB page cache (the default is 2 MiB), and let
    its commits leave up to 16,384 pages (64 MiB) in the WAL before checkpointing (default 1,000).

    The indexes of a table of millions of events no longer fit in 2 MiB; with every batch
    re-reading their pages the writer spent more time in SQLite's page cache than inserting.
    A batch dirties thousands of index pages, so with the default every commit ran a checkpoint
    (and its fsync); checkpointing less often copies a page rewritten by several batches once.
    Both settings stay on the pooled connection, which bounds the memory and WAL they can take.
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
        connection.exec_driver_sql(f"PRAGMA wal_autocheckpoint = {IMPORT_CHECKPOINT_PAGES}")


def lock_firm_imports(session: Session, firm_id: str) -> None:
    """Serialise import batches of one firm (PostgreSQL; SQLite has one writer anyway).

    Two imports of overlapping files must not both decide that an event is new, nor both
    create a card's status row.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"tessera.deliveries:{firm_id}".encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    session.execute(sa.select(sa.func.pg_advisory_xact_lock(key)))


_PG_BATCH_TABLE = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS delivery_events_batch ("
    "firm_id varchar(40), card_id varchar(64), phone varchar(64), event varchar(24), "
    "occurred_at timestamptz, comment varchar(500), record_id varchar(64), "
    'import_id varchar(40), "row" integer) ON COMMIT DELETE ROWS'
)
_PG_COPY_EVENTS = (
    "COPY delivery_events_batch (firm_id, card_id, phone, event, occurred_at, comment, "
    'record_id, import_id, "row") FROM STDIN'
)
_PG_MOVE_EVENTS = (
    "INSERT INTO delivery_events (firm_id, card_id, phone, event, occurred_at, comment, "
    'record_id, import_id, "row") SELECT firm_id, card_id, phone, event, occurred_at, comment, '
    'record_id, import_id, "row" FROM delivery_events_batch '
    "ON CONFLICT (firm_id, card_id, occurred_at, event) DO NOTHING "
    'RETURNING "row"'
)
_SQLITE_INSERT_EVENTS = (
    "INSERT INTO delivery_events (firm_id, card_id, phone, event, occurred_at, comment, "
    'record_id, import_id, "row") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) '
    "ON CONFLICT (firm_id, card_id, occurred_at, event) DO NOTHING"
)


def insert_new_events(
    session: Session, events: Sequence[EventRow], *, sqlite_times: bool
) -> set[int]:
    """Insert the events the firm does not have yet; return the line numbers of those inserted.

    ``events`` have distinct natural keys (see ``batches.prepare_batch``), and the caller holds
    the firm's import lock. This is the hot path of an import, so it talks to the driver:

    - SQLite: ``executemany`` of ``INSERT ... ON CONFLICT DO NOTHING``, then the rows whose id is
      above the largest id before the insert (ids grow by one, and the transaction holds the only
      write lock, so those are exactly this statement's rows).
    - PostgreSQL: ``COPY`` into a temporary table, then one ``INSERT ... SELECT ... ON CONFLICT DO
      NOTHING RETURNING row``.
    """
    if not events:
        return set()
    connection = session.connection()
    driver: Any = connection.connection.driver_connection
    cursor = driver.cursor()
    if connection.dialect.name == "postgresql":
        cursor.execute(_PG_BATCH_TABLE)
        with cursor.copy(_PG_COPY_EVENTS) as copy:
            for event in events:
                copy.write_row(
                    event._replace(occurred_at=read_time(event.occurred_at))
                    if sqlite_times
                    else event
                )
        cursor.execute(_PG_MOVE_EVENTS)
        inserted = {line for (line,) in cursor.fetchall()}
        cursor.execute("DELETE FROM delivery_events_batch")
        return inserted
    if not sqlite_times:
        events = [e._replace(occurred_at=sqlite_datetime(read_time(e.occurred_at))) for e in events]
    (before,) = cursor.execute("SELECT coalesce(max(id), 0) FROM delivery_events").fetchone()
    cursor.executemany(_SQLITE_INSERT_EVENTS, events)
    return {
        line
        for (line,) in cursor.execute('SELECT "row" FROM delivery_events WHERE id > ?', (before,))
    }


def sqlite_datetime(moment: datetime) -> str:
    """A UTC instant as ``UTCDateTime`` stores it on SQLite (so the two always compare equal)."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat(" ", "microseconds")


_SQLITE_INSERT_STATUS = (
    "INSERT INTO card_delivery_statuses (firm_id, card_id, phone, status, status_at, "
    "delivery_attempts, latest_event, latest_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_SQLITE_UPDATE_STATUS = (
    "UPDATE card_delivery_statuses SET phone = ?, status = ?, status_at = ?, "
    "delivery_attempts = ?, latest_event = ?, latest_at = ?, updated_at = ? "
    "WHERE firm_id = ? AND card_id = ?"
)


def write_statuses(
    session: Session,
    *,
    firm_id: str,
    inserts: Sequence[StatusRow],
    updates: Sequence[StatusRow],
) -> None:
    """Insert new cards' statuses and overwrite known ones."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        _write_statuses_postgresql(connection, firm_id=firm_id, inserts=inserts, updates=updates)
        return
    # SQLite, through the driver: the hot path of an import (see insert_new_events).
    driver: Any = connection.connection.driver_connection
    cursor = driver.cursor()

    times: dict[datetime, str] = {}

    def text(moment: datetime) -> str:
        stored = times.get(moment)
        if stored is None:
            stored = times[moment] = sqlite_datetime(moment)
        return stored

    def values(row: StatusRow) -> tuple[Any, ...]:
        return (
            row.phone,
            row.status,
            text(row.status_at),
            row.delivery_attempts,
            row.latest_event,
            text(row.latest_at),
            text(row.updated_at),
        )

    if inserts:
        cursor.executemany(
            _SQLITE_INSERT_STATUS,
            [(firm_id, row.card_id, *values(row)) for row in inserts],
        )
    if updates:
        cursor.executemany(
            _SQLITE_UPDATE_STATUS,
            [(*values(row), firm_id, row.card_id) for row in updates],
        )


_PG_STATUS_BATCH = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS card_delivery_statuses_batch ("
    "card_id varchar(64), phone varchar(64), status varchar(24), status_at timestamptz, "
    "delivery_attempts integer, latest_event varchar(24), latest_at timestamptz, "
    "updated_at timestamptz, is_new boolean) ON COMMIT DELETE ROWS"
)
_PG_COPY_STATUSES = (
    "COPY card_delivery_statuses_batch (card_id, phone, status, status_at, delivery_attempts, "
    "latest_event, latest_at, updated_at, is_new) FROM STDIN"
)
_PG_INSERT_STATUSES = (
    "INSERT INTO card_delivery_statuses (firm_id, card_id, phone, status, status_at, "
    "delivery_attempts, latest_event, latest_at, updated_at) SELECT %s, card_id, phone, status, "
    "status_at, delivery_attempts, latest_event, latest_at, updated_at "
    "FROM card_delivery_statuses_batch WHERE is_new"
)
_PG_UPDATE_STATUSES = (
    "UPDATE card_delivery_statuses AS s SET phone = b.phone, status = b.status, "
    "status_at = b.status_at, delivery_attempts = b.delivery_attempts, "
    "latest_event = b.latest_event, latest_at = b.latest_at, updated_at = b.updated_at "
    "FROM card_delivery_statuses_batch AS b "
    "WHERE NOT b.is_new AND s.firm_id = %s AND s.card_id = b.card_id"
)


def _write_statuses_postgresql(
    connection: sa.Connection,
    *,
    firm_id: str,
    inserts: Sequence[StatusRow],
    updates: Sequence[StatusRow],
) -> None:
    # COPY into a temporary table, then one INSERT and one UPDATE: three round trips, not one
    # per card.
    if not inserts and not updates:
        return
    driver: Any = connection.connection.driver_connection
    with driver.cursor() as cursor:
        cursor.execute(_PG_STATUS_BATCH)
        with cursor.copy(_PG_COPY_STATUSES) as copy:
            for row in inserts:
                copy.write_row((*row, True))
            for row in updates:
                copy.write_row((*row, False))
        if inserts:
            cursor.execute(_PG_INSERT_STATUSES, (firm_id,))
        if updates:
            cursor.execute(_PG_UPDATE_STATUSES, (firm_id,))
        cursor.execute("DELETE FROM card_delivery_statuses_batch")
