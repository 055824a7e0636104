"""Queries on a firm's courier partners."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tessera.models import DeliveryPartner


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
