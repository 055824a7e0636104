"""Queries on delivery imports, delivery events and card delivery statuses.

Import batches are written with Core ``executemany`` statements, never row by row through the
ORM: a file of a million rows is a few hundred statements.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from tessera.deliveries.batches import read_time
from tessera.models import (
    CardDeliveryEvent,
    CardDeliveryStatus,
    DeliveryImport,
    DeliveryImportChunk,
    DeliveryImportRejection,
    DeliveryImportWarning,
    DeliveryPartner,
)
from tessera.visibility import Visibility

_EVENTS = cast(sa.Table, CardDeliveryEvent.__table__)
_STATUSES = cast(sa.Table, CardDeliveryStatus.__table__)
_REJECTIONS = cast(sa.Table, DeliveryImportRejection.__table__)
_WARNINGS = cast(sa.Table, DeliveryImportWarning.__table__)
_CHUNKS = cast(sa.Table, DeliveryImportChunk.__table__)
_IMPORTS = cast(sa.Table, DeliveryImport.__table__)
# Stay under SQLite's limit of 32,766 bound parameters per statement.
_IN_CHUNK = 10_000


# --- partners ---------------------------------------------------------------------------------


def get_partner(session: Session, *, firm_id: str, name: str) -> DeliveryPartner | None:
    """A firm's partner by name."""
    return session.scalar(
        sa.select(DeliveryPartner).where(
            DeliveryPartner.firm_id == firm_id, DeliveryPartner.name == name
        )
    )


def list_partners(session: Session, *, firm_id: str) -> list[DeliveryPartner]:
    """A firm's partners by name."""
    return list(
        session.scalars(
            sa.select(DeliveryPartner)
            .where(DeliveryPartner.firm_id == firm_id)
            .order_by(DeliveryPartner.name)
        )
    )


def add_partner(session: Session, partner: DeliveryPartner) -> DeliveryPartner:
    """Insert a partner."""
    session.add(partner)
    return partner


# --- imports ----------------------------------------------------------------------------------


def add_import(session: Session, job: DeliveryImport) -> DeliveryImport:
    """Insert an import."""
    session.add(job)
    return job


def get_import(
    session: Session, import_id: str, *, visibility: Visibility, lock: bool = False
) -> DeliveryImport | None:
    """One import, if its firm is in view."""
    query = sa.select(DeliveryImport).where(
        DeliveryImport.id == import_id, *visibility.where(DeliveryImport.firm_id)
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalar(query)


def page_imports(
    session: Session, *, visibility: Visibility, limit: int, offset: int
) -> tuple[list[DeliveryImport], int]:
    """A page of the imports whose firm is in view, newest first, with the total."""
    query = sa.select(DeliveryImport).where(*visibility.where(DeliveryImport.firm_id))
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(DeliveryImport.created_at.desc(), DeliveryImport.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


def find_resumable_import(
    session: Session,
    *,
    firm_id: str,
    source: str,
    file_hash: str,
    source_path: str | None,
    stale_before: datetime,
) -> DeliveryImport | None:
    """An import of this file that a dead process left half done, locked for the caller."""
    query = sa.select(DeliveryImport).where(
        DeliveryImport.firm_id == firm_id,
        DeliveryImport.source == source,
        DeliveryImport.file_hash == file_hash,
        DeliveryImport.status == "processing",
        DeliveryImport.heartbeat_at < stale_before,
    )
    if source_path is not None:
        query = query.where(DeliveryImport.source_path == source_path)
    return session.scalar(
        query.order_by(DeliveryImport.created_at)
        .limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )


def find_unarchived_watch_import(
    session: Session, *, firm_id: str, source_path: str, file_hash: str
) -> DeliveryImport | None:
    """The watcher's import of this very file that was not yet moved out of the folder."""
    return session.scalar(
        sa.select(DeliveryImport)
        .where(
            DeliveryImport.firm_id == firm_id,
            DeliveryImport.source == "watch",
            DeliveryImport.source_path == source_path,
            DeliveryImport.file_hash == file_hash,
            DeliveryImport.archived_at.is_(None),
        )
        .order_by(DeliveryImport.created_at.desc())
        .limit(1)
    )


def unarchived_watch_imports(
    session: Session, *, firm_id: str, folder_prefix: str
) -> list[DeliveryImport]:
    """The watcher's finished imports of files in a folder that are not marked as moved."""
    return list(
        session.scalars(
            sa.select(DeliveryImport).where(
                DeliveryImport.firm_id == firm_id,
                DeliveryImport.source == "watch",
                DeliveryImport.source_path.startswith(folder_prefix, autoescape=True),
                DeliveryImport.archived_at.is_(None),
                DeliveryImport.status.in_(("completed", "failed")),
            )
        )
    )


def first_completed_with_hash(
    session: Session, *, firm_id: str, file_hash: str, created_at: datetime, import_id: str
) -> str | None:
    """The id of the earliest completed import of the same bytes made before this one.

    "Before" is creation order (then id, for two made in the same instant), never id order
    alone: ids are random after their time prefix, and a file's first import must not be
    reported as a duplicate of its own re-import.
    """
    earlier = sa.or_(
        DeliveryImport.created_at < created_at,
        sa.and_(DeliveryImport.created_at == created_at, DeliveryImport.id < import_id),
    )
    return session.scalar(
        sa.select(DeliveryImport.id)
        .where(
            DeliveryImport.firm_id == firm_id,
            DeliveryImport.file_hash == file_hash,
            DeliveryImport.status == "completed",
            DeliveryImport.id != import_id,
            earlier,
        )
        .order_by(DeliveryImport.created_at, DeliveryImport.id)
        .limit(1)
    )


def claim_stored_import(session: Session, *, stale_before: datetime) -> DeliveryImport | None:
    """The oldest uploaded import waiting for a worker, or abandoned by a dead one; locked."""
    waiting = sa.or_(
        DeliveryImport.status == "queued",
        sa.and_(DeliveryImport.status == "processing", DeliveryImport.heartbeat_at < stale_before),
    )
    return session.scalar(
        sa.select(DeliveryImport)
        .where(DeliveryImport.source == "api", waiting)
        .order_by(DeliveryImport.created_at, DeliveryImport.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )


IMPORT_CACHE_KIB = 65_536
IMPORT_CHECKPOINT_PAGES = 16_384


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


def add_progress(
    session: Session,
    import_id: str,
    *,
    total: int,
    imported: int,
    duplicate: int,
    rejected: int,
    warned: int = 0,
    resume_line: int,
    now: datetime,
) -> None:
    """Add one batch's counts to an import and move its resume point."""
    table = _IMPORTS
    session.execute(
        sa.update(table)
        .where(table.c.id == import_id)
        .values(
            rows_total=table.c.rows_total + total,
            rows_imported=table.c.rows_imported + imported,
            rows_duplicate=table.c.rows_duplicate + duplicate,
            rows_rejected=table.c.rows_rejected + rejected,
            rows_warned=table.c.rows_warned + warned,
            resume_line=resume_line,
            heartbeat_at=now,
        )
    )


def add_rejections(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rejected lines (``firm_id``, ``import_id``, ``row``, ``message``)."""
    if rows:
        session.execute(sa.insert(_REJECTIONS), rows)


def add_warnings(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert the warnings of imported lines (``firm_id``, ``import_id``, ``row``, ``message``)."""
    if rows:
        session.execute(sa.insert(_WARNINGS), rows)


def first_rejections(session: Session, import_id: str, *, limit: int) -> list[tuple[int, str]]:
    """The first ``limit`` rejected lines of an import, by line number."""
    return page_rejections(session, import_id, limit=limit, offset=0)


def page_rejections(
    session: Session, import_id: str, *, limit: int, offset: int
) -> list[tuple[int, str]]:
    """A page of an import's rejected lines, by line number."""
    return _page_lines(session, _REJECTIONS, import_id, limit=limit, offset=offset)


def page_warnings(
    session: Session, import_id: str, *, limit: int, offset: int
) -> list[tuple[int, str]]:
    """A page of the warnings of an import's lines, by line number."""
    return _page_lines(session, _WARNINGS, import_id, limit=limit, offset=offset)


def _page_lines(
    session: Session, table: sa.Table, import_id: str, *, limit: int, offset: int
) -> list[tuple[int, str]]:
    return [
        (row, message)
        for row, message in session.execute(
            sa.select(table.c.row, table.c.message)
            .where(table.c.import_id == import_id)
            .order_by(table.c.row, table.c.id)
            .limit(limit)
            .offset(offset)
        )
    ]


# --- stored uploads ---------------------------------------------------------------------------


def add_chunk(session: Session, *, import_id: str, firm_id: str, seq: int, data: bytes) -> None:
    """Store one piece of an uploaded file."""
    session.execute(
        sa.insert(_CHUNKS), [{"import_id": import_id, "firm_id": firm_id, "seq": seq, "data": data}]
    )


def read_chunk(session: Session, *, import_id: str, seq: int) -> bytes | None:
    """One piece of an uploaded file, or None past the end."""
    data = session.scalar(
        sa.select(_CHUNKS.c.data).where(_CHUNKS.c.import_id == import_id, _CHUNKS.c.seq == seq)
    )
    return bytes(data) if data is not None else None


def has_chunks(session: Session, import_id: str) -> bool:
    """Whether the uploaded file of an import is still stored."""
    return (
        session.scalar(sa.select(_CHUNKS.c.seq).where(_CHUNKS.c.import_id == import_id).limit(1))
        is not None
    )


def delete_chunks(session: Session, import_id: str) -> None:
    """Forget the stored file of a finished import."""
    session.execute(sa.delete(_CHUNKS).where(_CHUNKS.c.import_id == import_id))


# --- events and statuses ----------------------------------------------------------------------


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
    session: Session, events: Sequence[tuple[Any, ...]], *, sqlite_times: bool
) -> set[int]:
    """Insert the events the firm does not have yet; return the line numbers of those inserted.

    ``events`` are parameters in ``EVENT_COLUMNS`` order with distinct natural keys (see
    ``batches.prepare_batch``), and the caller holds the firm's import lock. This is the hot
    path of an import, so it talks to the driver:

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
                    (*event[:4], read_time(event[4]), *event[5:]) if sqlite_times else event
                )
        cursor.execute(_PG_MOVE_EVENTS)
        inserted = {line for (line,) in cursor.fetchall()}
        cursor.execute("DELETE FROM delivery_events_batch")
        return inserted
    if not sqlite_times:
        events = [(*e[:4], sqlite_datetime(e[4]), *e[5:]) for e in events]
    (before,) = cursor.execute("SELECT coalesce(max(id), 0) FROM delivery_events").fetchone()
    cursor.executemany(_SQLITE_INSERT_EVENTS, events)
    return {
        line
        for (line,) in cursor.execute('SELECT "row" FROM delivery_events WHERE id > ?', (before,))
    }


EVENT_COLUMNS = (
    "firm_id",
    "card_id",
    "phone",
    "event",
    "occurred_at",
    "comment",
    "record_id",
    "import_id",
    "row",
)


def sqlite_datetime(moment: datetime) -> str:
    """A UTC instant as ``UTCDateTime`` stores it on SQLite (so the two always compare equal)."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat(" ", "microseconds")


def statuses_for(
    session: Session, *, firm_id: str, card_ids: Iterable[str]
) -> dict[str, sa.Row[Any]]:
    """The stored statuses of some cards of a firm, by card id, as plain rows."""
    found: dict[str, sa.Row[Any]] = {}
    columns = (
        _STATUSES.c.card_id,
        _STATUSES.c.phone,
        _STATUSES.c.status,
        _STATUSES.c.status_at,
        _STATUSES.c.delivery_attempts,
        _STATUSES.c.latest_event,
        _STATUSES.c.latest_at,
    )
    if session.get_bind().dialect.name == "postgresql":
        # One array parameter: with thousands of separate IN parameters PostgreSQL's planner
        # chose a sequential scan, and imports slowed down as the table grew.
        wanted = _STATUSES.c.card_id == sa.any_(
            sa.bindparam("card_ids", type_=postgresql.ARRAY(sa.String()))
        )
    else:
        wanted = _STATUSES.c.card_id.in_(sa.bindparam("card_ids", expanding=True))
    query = sa.select(*columns).where(_STATUSES.c.firm_id == firm_id, wanted)
    for chunk in _chunks(list(card_ids)):
        for row in session.execute(query, {"card_ids": chunk}):
            found[row.card_id] = row
    return found


_STATUS_VALUES = (
    "phone",
    "status",
    "status_at",
    "delivery_attempts",
    "latest_event",
    "latest_at",
    "updated_at",
)
_STATUS_TIMES = (2, 5, 6)  # positions of datetimes in _STATUS_VALUES
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
    inserts: Sequence[tuple[Any, ...]],
    updates: Sequence[tuple[Any, ...]],
) -> None:
    """Insert new cards' statuses and overwrite known ones.

    Each tuple is ``(card_id, *values)`` with values in ``_STATUS_VALUES`` order.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        _write_statuses_postgresql(connection, firm_id=firm_id, inserts=inserts, updates=updates)
        return
    if connection.dialect.name != "sqlite":
        names = ("card_id", *_STATUS_VALUES)
        if inserts:
            connection.execute(
                sa.insert(_STATUSES),
                [dict(zip(names, r, strict=True), firm_id=firm_id) for r in inserts],
            )
        if updates:
            statement = (
                sa.update(_STATUSES)
                .where(
                    _STATUSES.c.firm_id == firm_id, _STATUSES.c.card_id == sa.bindparam("b_card")
                )
                .values({name: sa.bindparam(name) for name in _STATUS_VALUES})
            )
            connection.execute(
                statement, [dict(zip(("b_card", *_STATUS_VALUES), r, strict=True)) for r in updates]
            )
        return
    # SQLite, through the driver: the hot path of an import (see insert_new_events).
    driver: Any = connection.connection.driver_connection
    cursor = driver.cursor()

    times: dict[datetime, str] = {}

    def stored(row: tuple[Any, ...]) -> list[Any]:
        values = list(row[1:])
        for position in _STATUS_TIMES:
            moment = values[position]
            text = times.get(moment)
            if text is None:
                text = times[moment] = sqlite_datetime(moment)
            values[position] = text
        return values

    if inserts:
        cursor.executemany(
            _SQLITE_INSERT_STATUS,
            [(firm_id, row[0], *stored(row)) for row in inserts],
        )
    if updates:
        cursor.executemany(
            _SQLITE_UPDATE_STATUS,
            [(*stored(row), firm_id, row[0]) for row in updates],
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
    inserts: Sequence[tuple[Any, ...]],
    updates: Sequence[tuple[Any, ...]],
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


def status_by_card(
    session: Session, *, visibility: Visibility, card_id: str
) -> list[CardDeliveryStatus]:
    """The status of one card id in each firm in view."""
    query = sa.select(CardDeliveryStatus).where(
        CardDeliveryStatus.card_id == card_id, *visibility.where(CardDeliveryStatus.firm_id)
    )
    return list(session.scalars(query.order_by(CardDeliveryStatus.firm_id)))


def statuses_by_phone(
    session: Session, *, visibility: Visibility, phone: str
) -> list[CardDeliveryStatus]:
    """The statuses of every card in view whose latest event carries this phone, by card id."""
    query = sa.select(CardDeliveryStatus).where(
        CardDeliveryStatus.phone == phone, *visibility.where(CardDeliveryStatus.firm_id)
    )
    return list(
        session.scalars(query.order_by(CardDeliveryStatus.card_id, CardDeliveryStatus.firm_id))
    )


def events_of_card(session: Session, *, firm_id: str, card_id: str) -> list[CardDeliveryEvent]:
    """Every stored event of one card."""
    return list(
        session.scalars(
            sa.select(CardDeliveryEvent)
            .where(CardDeliveryEvent.firm_id == firm_id, CardDeliveryEvent.card_id == card_id)
            .order_by(CardDeliveryEvent.occurred_at, CardDeliveryEvent.id)
        )
    )


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]
