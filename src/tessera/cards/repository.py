"""Queries on issued cards (always joined with their vault card)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tessera.models import Card, VaultCard
from tessera.visibility import Visibility


def add(session: Session, card: Card) -> Card:
    """Insert a card."""
    session.add(card)
    return card


def reference_exists(session: Session, *, firm_id: str, reference: str) -> bool:
    """Whether a card of the firm has this courier reference."""
    return bool(
        session.scalar(
            sa.select(sa.exists().where(Card.firm_id == firm_id, Card.reference == reference))
        )
    )


def holder_has_reference(session: Session, *, firm_id: str, holder_id: str, reference: str) -> bool:
    """Whether the holder owns an issued card of the firm with this courier reference."""
    return bool(
        session.scalar(
            sa.select(
                sa.exists().where(
                    Card.firm_id == firm_id,
                    Card.holder_id == holder_id,
                    Card.reference == reference,
                )
            )
        )
    )


def get(
    session: Session,
    card_id: str,
    *,
    visibility: Visibility,
    lock: bool = False,
) -> tuple[Card, VaultCard] | None:
    """One card and its vault card, if it is in view."""
    query = (
        sa.select(Card, VaultCard)
        .join(VaultCard, VaultCard.id == Card.vault_card_id)
        .where(Card.id == card_id, *visibility.where(Card.firm_id, Card.holder_id))
    )
    if lock:
        query = query.with_for_update(of=Card)
    row = session.execute(query).first()
    return None if row is None else (row[0], row[1])


def page(
    session: Session,
    *,
    visibility: Visibility,
    account_id: str | None,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[list[tuple[Card, VaultCard]], int]:
    """A page of the cards in view, newest first, with the total."""
    query = (
        sa.select(Card, VaultCard)
        .join(VaultCard, VaultCard.id == Card.vault_card_id)
        .where(*visibility.where(Card.firm_id, Card.holder_id))
    )
    if account_id is not None:
        query = query.where(Card.account_id == account_id)
    if status is not None:
        query = query.where(Card.status == status)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(Card.created_at.desc(), Card.id.desc()).limit(limit).offset(offset)
    )
    return [(r[0], r[1]) for r in rows], total
