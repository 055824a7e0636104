"""Queries on card delivery statuses and the delivery events they are folded from."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from tessera.models import CardDeliveryEvent, CardDeliveryStatus
from tessera.visibility import Visibility

_STATUSES = cast(sa.Table, CardDeliveryStatus.__table__)
# Stay under SQLite's limit of 32,766 bound parameters per statement.
_IN_CHUNK = 10_000


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
