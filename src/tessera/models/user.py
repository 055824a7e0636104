"""A person who logs in: a customer, a firm's staff member or a platform admin."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tessera.models.base import Base, UTCDateTime, created_at_column, firm_column, id_column


class Role(StrEnum):
    CUSTOMER = "customer"
    FIRM_OPERATOR = "firm_operator"
    FIRM_ADMIN = "firm_admin"
    PLATFORM_ADMIN = "platform_admin"


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = id_column()
    firm_id: Mapped[str] = firm_column()
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(32), default=Role.CUSTOMER.value)
    status: Mapped[str] = mapped_column(sa.String(16), default="active")
    created_at: Mapped[datetime] = created_at_column()
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.CheckConstraint(
            "role IN ('customer', 'firm_operator', 'firm_admin', 'platform_admin')", name="role"
        ),
        sa.CheckConstraint("status IN ('active', 'deleted')", name="status"),
    )
