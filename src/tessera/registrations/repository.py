"""Queries on card registrations (always joined with their vault card)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tessera import rawsql
from tessera.models import CardRegistration, VaultCard
from tessera.visibility import Visibility

LIVE_STATUSES = ("pending", "approved")


def add(session: Session, registration: CardRegistration) -> CardRegistration:
    """Insert a registration."""
    session.add(registration)
    return registration


_LIVE_ID = rawsql.Statement.of(
    "SELECT id FROM card_registrations WHERE firm_id = ? AND card_fingerprint = ?"
    " AND status IN ('pending', 'approved')"
)
_INSERT_LIVE = rawsql.Statement.of(
    "INSERT INTO card_registrations (id, firm_id, vault_card_id, card_fingerprint, holder_id,"
    " external_ref, status, reason, created_by, decided_by, decided_at, created_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?)"
    " ON CONFLICT (firm_id, card_fingerprint) WHERE status IN ('pending', 'approved')"
    " DO NOTHING"
)


def live_id_by_fingerprint(session: Session, *, firm_id: str, fingerprint: str) -> str | None:
    """The id of the firm's pending or approved registration of this card, if any."""
    row = rawsql.cursor(session).one(_LIVE_ID, (firm_id, fingerprint))
    return None if row is None else str(row[0])


def insert_live(session: Session, registration: CardRegistration) -> bool:
    """Insert a pending or approved registration; False when the firm already has one live.

    The partial unique index decides (``ON CONFLICT DO NOTHING``): two requests racing with one
    number, in two processes, cannot both get in, and the loser's transaction stays usable.
    ``registration`` is a transient object carrying the values, not added to the session.
    """
    cursor = rawsql.cursor(session)
    decided_at = registration.decided_at
    cursor.execute(
        _INSERT_LIVE,
        (
            registration.id,
            registration.firm_id,
            registration.vault_card_id,
            registration.card_fingerprint,
            registration.holder_id,
            registration.external_ref,
            registration.status,
            registration.created_by,
            registration.decided_by,
            cursor.stamp(decided_at) if decided_at is not None else None,
            cursor.stamp(registration.created_at),
            cursor.stamp(registration.updated_at),
        ),
    )
    return cursor.rowcount == 1


def find_live_by_fingerprint(
    session: Session, *, firm_id: str, fingerprint: str
) -> CardRegistration | None:
    """The firm's pending or approved registration of the card with this fingerprint."""
    return session.scalar(
        sa.select(CardRegistration).where(
            CardRegistration.firm_id == firm_id,
            CardRegistration.card_fingerprint == fingerprint,
            CardRegistration.status.in_(LIVE_STATUSES),
        )
    )


def find_latest_by_fingerprint(
    session: Session, *, visibility: Visibility, fingerprint: str
) -> tuple[CardRegistration, VaultCard] | None:
    """The newest visible registration (live first) of the card with this fingerprint."""
    query = (
        sa.select(CardRegistration, VaultCard)
        .join(VaultCard, VaultCard.id == CardRegistration.vault_card_id)
        .where(
            CardRegistration.card_fingerprint == fingerprint,
            *visibility.where(CardRegistration.firm_id, CardRegistration.holder_id),
        )
    )
    live_first = sa.case((CardRegistration.status.in_(LIVE_STATUSES), 0), else_=1)
    row = session.execute(
        query.order_by(live_first, CardRegistration.created_at.desc()).limit(1)
    ).first()
    return None if row is None else (row[0], row[1])


def get(
    session: Session,
    registration_id: str,
    *,
    visibility: Visibility,
    lock: bool = False,
) -> tuple[CardRegistration, VaultCard] | None:
    """One registration and its vault card, if it is in view."""
    query = (
        sa.select(CardRegistration, VaultCard)
        .join(VaultCard, VaultCard.id == CardRegistration.vault_card_id)
        .where(
            CardRegistration.id == registration_id,
            *visibility.where(CardRegistration.firm_id, CardRegistration.holder_id),
        )
    )
    if lock:
        query = query.with_for_update(of=CardRegistration)
    row = session.execute(query).first()
    return None if row is None else (row[0], row[1])


def _filtered(
    *,
    visibility: Visibility,
    status: str | None,
    created_from: datetime | None,
    created_before: datetime | None,
) -> sa.Select[tuple[CardRegistration, VaultCard]]:
    query = (
        sa.select(CardRegistration, VaultCard)
        .join(VaultCard, VaultCard.id == CardRegistration.vault_card_id)
        .where(*visibility.where(CardRegistration.firm_id, CardRegistration.holder_id))
    )
    if status is not None:
        query = query.where(CardRegistration.status == status)
    if created_from is not None:
        query = query.where(CardRegistration.created_at >= created_from)
    if created_before is not None:
        query = query.where(CardRegistration.created_at < created_before)
    return query


def page(
    session: Session,
    *,
    visibility: Visibility,
    status: str | None,
    created_from: datetime | None,
    created_before: datetime | None,
    limit: int,
    offset: int,
) -> tuple[list[tuple[CardRegistration, VaultCard]], int]:
    """A page of registrations, newest first, with the total."""
    query = _filtered(
        visibility=visibility,
        status=status,
        created_from=created_from,
        created_before=created_before,
    )
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(CardRegistration.created_at.desc(), CardRegistration.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [(r[0], r[1]) for r in rows], total


def all_matching(
    session: Session,
    *,
    visibility: Visibility,
    status: str | None,
    created_from: datetime | None,
    created_before: datetime | None,
    batch: int = 1000,
) -> list[tuple[CardRegistration, VaultCard]]:
    """Every matching registration, oldest first, read in keyset batches (for CSV reports)."""
    query = _filtered(
        visibility=visibility,
        status=status,
        created_from=created_from,
        created_before=created_before,
    ).order_by(CardRegistration.created_at, CardRegistration.id)
    found: list[tuple[CardRegistration, VaultCard]] = []
    last: tuple[datetime, str] | None = None
    while True:
        step = query
        if last is not None:
            after_at, after_id = last
            step = step.where(
                sa.or_(
                    CardRegistration.created_at > after_at,
                    sa.and_(
                        CardRegistration.created_at == after_at, CardRegistration.id > after_id
                    ),
                )
            )
        rows = [(r[0], r[1]) for r in session.execute(step.limit(batch))]
        found.extend(rows)
        if len(rows) < batch:
            return found
        last = (rows[-1][0].created_at, rows[-1][0].id)
