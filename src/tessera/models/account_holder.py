"""The personal profile of a customer; erased (not deleted) when the user is deleted."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tessera.models.base import (
    ID_LENGTH,
    Base,
    UTCDateTime,
    created_at_column,
    firm_column,
    id_column,
)


class AccountHolder(Base):
    __tablename__ = "account_holders"

    id: Mapped[str] = id_column()
    firm_id: Mapped[str] = firm_column()
    user_id: Mapped[str | None] = mapped_column(
        sa.String(ID_LENGTH), sa.ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )
    first_name: Mapped[str | None] = mapped_column(sa.String(100))
    last_name: Mapped[str | None] = mapped_column(sa.String(100))
    dob: Mapped[date | None] = mapped_column(sa.Date)
    phone: Mapped[str | None] = mapped_column(sa.String(20), index=True)
    created_at: Mapped[datetime] = created_at_column()
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
