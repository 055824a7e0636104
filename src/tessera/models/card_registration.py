"""A card a firm brought to be registered, pending a decision (or approved at once)."""

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

REGISTRATION_STATUSES = ("pending", "approved", "rejected")


class CardRegistration(Base):
    __tablename__ = "card_registrations"

    id: Mapped[str] = id_column()
    firm_id: Mapped[str] = firm_column()
    vault_card_id: Mapped[str] = mapped_column(
        sa.String(ID_LENGTH), sa.ForeignKey("vault_cards.id", ondelete="RESTRICT"), unique=True
    )
    # The vault card's fingerprint, repeated so that the database can refuse two live
    # registrations of one number in one firm (the partial unique index below).
    card_fingerprint: Mapped[str] = mapped_column(sa.String(64))
    holder_id: Mapped[str | None] = mapped_column(
        sa.String(ID_LENGTH), sa.ForeignKey("account_holders.id", ondelete="RESTRICT"), index=True
    )
    external_ref: Mapped[str | None] = mapped_column(sa.String(255))
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    created_by: Mapped[str | None] = mapped_column(sa.String(ID_LENGTH))
    decided_by: Mapped[str | None] = mapped_column(sa.String(ID_LENGTH))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in REGISTRATION_STATUSES) + ")",
            name="status",
        ),
        sa.CheckConstraint(
            "(status = 'pending' AND decided_at IS NULL) "
            "OR (status <> 'pending' AND decided_at IS NOT NULL)",
            name="decided_at",
        ),
        sa.Index("ix_card_registrations_firm_id_created_at", "firm_id", "created_at", "id"),
        sa.Index(
            "uq_card_registrations_live_fingerprint",
            "firm_id",
            "card_fingerprint",
            unique=True,
            sqlite_where=sa.text("status IN ('pending', 'approved')"),
            postgresql_where=sa.text("status IN ('pending', 'approved')"),
        ),
    )
