"""Queries on the outbox."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tessera.models import Event


def add(session: Session, event: Event) -> Event:
    """Insert one event."""
    session.add(event)
    return event


def get(session: Session, event_id: str, *, firm_id: str | None) -> Event | None:
    """One event, if it belongs to ``firm_id`` (None: any firm)."""
    query = sa.select(Event).where(Event.id == event_id)
    if firm_id is not None:
        query = query.where(Event.firm_id == firm_id)
    return session.scalar(query)


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


def add_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert many events in one ``executemany`` statement.

    The rows go straight to the driver (``COPY`` on PostgreSQL; on SQLite stored as the column
    types store them: JSON text, naive UTC timestamps): SQLAlchemy's per-row parameter processing
    and PostgreSQL's statement per row cost more than the inserts themselves when an import
    writes a hundred thousand events.
    """
    if not rows:
        return
    connection = session.connection()
    driver: Any = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        # COPY: one round trip for the lot (executemany sends a statement per row).
        dumps = json.dumps
        with driver.cursor() as cursor, cursor.copy(_PG_COPY) as copy:
            for row in rows:
                copy.write_row(
                    (row["id"], row["firm_id"], row["type"], dumps(row["data"]), row["created_at"])
                )
        return
    if connection.dialect.name != "sqlite":
        connection.execute(sa.insert(cast(sa.Table, Event.__table__)), rows)
        return
    times: dict[datetime, str] = {}  # the rows of one call nearly always share one instant

    def stored_time(moment: datetime) -> str:
        text = times.get(moment)
        if text is None:
            text = moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
            times[moment] = text
        return text

    dumps = json.dumps
    driver.cursor().executemany(
        _SQLITE_INSERT,
        [
            (
                row["id"],
                row["firm_id"],
                row["type"],
                dumps(row["data"]),
                stored_time(row["created_at"]),
            )
            for row in rows
        ],
    )
