"""A courier partner of a firm, with the phone region and time zone its files are read in."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tessera.models.base import Base, created_at_column, firm_column, id_column


class DeliveryPartner(Base):
    __tablename__ = "delivery_partners"

    id: Mapped[str] = id_column()
    firm_id: Mapped[str] = firm_column()
    # Lower case, as imports name it (`partner` form field, `--partner` option).
    name: Mapped[str] = mapped_column(sa.String(64))
    phone_region: Mapped[str] = mapped_column(sa.String(2))
    timezone: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()

    __table_args__ = (sa.UniqueConstraint("firm_id", "name"),)
