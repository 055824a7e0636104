"""Queries on the outbox."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tessera import rawsql
from tessera.models import Event
from tessera.visibility import Visibility

_INSERT_EVENT = rawsql.Statement.of(
    "INSERT INTO events (id, firm_id, type, data, created_at) VALUES (?, ?, ?, ?, ?)"
)


def insert(
    session: Session, *, event_id: str, firm_id: str, type: str, data: Any, created_at: datetime
) -> None:
    """Insert one event now, on the driver's cursor (the outbox is written on every change).

    Pending ORM changes are flushed first, so the event never precedes the rows it reports.
    """
    if session.new or session.dirty or session.deleted:
        session.flush()
    cursor = rawsql.cursor(session)
    cursor.execute(
        _INSERT_EVENT,
        (event_id, firm_id, type, cursor.json(data), cursor.stamp(created_at)),
    )


def get(session: Session, event_id: str, *, visibility: Visibility) -> Event | None:
    """One event, if its firm is in view."""
    return session.scalar(
        sa.select(Event).where(Event.id == event_id, *visibility.where(Event.firm_id))
    )


def list_by_type(session: Session, *, firm_id: str, type: str) -> list[Event]:
    """A firm's events of one type, oldest first."""
    return list(
        session.scalars(
            sa.select(Event)
            .where(Event.firm_id == firm_id, Event.type == type)
            .order_by(Event.created_at, Event.id)
        )
    )


_PG_COPY = "COPY events (id, firm_id, type, data, created_at) FROM STDIN"
_SQLITE_INSERT = "INSERT INTO events (id, firm_id, type, data, created_at) VALUES (?, ?, ?, ?, ?)"


def add_many(
    session: Session,
    *,
    firm_id: str,
    type: str,
    created_at: datetime,
    encoded: Sequence[tuple[str, str]],
) -> None:
    """Insert many events of one firm, type and instant: ``(id, data as JSON text)`` pairs.

    The rows go straight to the driver (``COPY`` on PostgreSQL; on SQLite stored as the column
    types store them: JSON text, naive UTC timestamps): SQLAlchemy's per-row parameter processing
    and PostgreSQL's statement per row cost more than the inserts themselves when an import
    writes a hundred thousand events.
    """
    if not encoded:
        return
    connection = session.connection()
    driver: Any = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        # COPY: one round trip for the lot (executemany sends a statement per row).
        with driver.cursor() as cursor, cursor.copy(_PG_COPY) as copy:
            for event_id, data in encoded:
                copy.write_row((event_id, firm_id, type, data, created_at))
        return
    if connection.dialect.name != "sqlite":
        connection.execute(
            sa.insert(cast(sa.Table, Event.__table__)),
            [
                {
                    "id": event_id,
                    "firm_id": firm_id,
                    "type": type,
                    "data": json.loads(data),
                    "created_at": created_at,
                }
                for event_id, data in encoded
            ],
        )
        return
    stored_at = created_at.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    driver.cursor().executemany(
        _SQLITE_INSERT,
        [(event_id, firm_id, type, data, stored_at) for event_id, data in encoded],
    )
