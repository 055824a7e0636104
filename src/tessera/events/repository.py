"""Queries on the outbox."""

from __future__ import annotations

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
