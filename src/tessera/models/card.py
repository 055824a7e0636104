"""A card issued on an account; its number lives in the vault."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tessera.models.base import (
    ID_LENGTH,
    Base,
    UTCDateTime,
    created_at_column,
    firm_column,
    id_column,
    utcnow,
)


class Card(Base):
    __tablename__ = "cards"

    id: Mapped[str] = id_column()
    firm_id: Mapped[str] = firm_column()
    account_id: Mapped[str] = mapped_column(
        sa.String(ID_LENGTH), sa.ForeignKey("accounts.id", ondelete="RESTRICT"), index=True
    )
    holder_id: Mapped[str] = mapped_column(
        sa.String(ID_LENGTH), sa.ForeignKey("account_holders.id", ondelete="RESTRICT"), index=True
    )
    vault_card_id: Mapped[str] = mapped_column(
        sa.String(ID_LENGTH), sa.ForeignKey("vault_cards.id", ondelete="RESTRICT"), unique=True
    )
    type: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(16), default="active")
    # The id couriers put in their delivery files; physical cards only.
    reference: Mapped[str | None] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.CheckConstraint("type IN ('virtual', 'physical')", name="type"),
        sa.CheckConstraint("status IN ('active', 'blocked', 'closed')", name="status"),
        sa.CheckConstraint(
            "(type = 'physical' AND reference IS NOT NULL) "
            "OR (type = 'virtual' AND reference IS NULL)",
            name="reference",
        ),
        sa.UniqueConstraint("firm_id", "reference", name="uq_cards_firm_id_reference"),
        sa.Index("ix_cards_firm_id_created_at", "firm_id", "created_at", "id"),
    )
