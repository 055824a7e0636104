"""A money account of one holder, in one currency, with its running balance in minor units."""

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


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = id_column()
    firm_id: Mapped[str] = firm_column()
    holder_id: Mapped[str] = mapped_column(
        sa.String(ID_LENGTH), sa.ForeignKey("account_holders.id", ondelete="RESTRICT"), index=True
    )
    type: Mapped[str] = mapped_column(sa.String(16))
    currency: Mapped[str] = mapped_column(sa.String(3))
    balance: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    status: Mapped[str] = mapped_column(sa.String(16), default="active")
    # The holder's own name for the account ("Rent"); the screens fall back to type and number.
    name: Mapped[str | None] = mapped_column(sa.String(60))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.CheckConstraint("balance >= 0", name="balance_not_negative"),
        sa.CheckConstraint("type IN ('checking', 'savings')", name="type"),
        sa.CheckConstraint("status IN ('active', 'frozen', 'closed')", name="status"),
        sa.CheckConstraint("length(currency) = 3", name="currency"),
    )
