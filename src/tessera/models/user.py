"""A person who logs in: a customer, a firm's staff member or a platform admin."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Final

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tessera.models.base import Base, UTCDateTime, created_at_column, firm_column, id_column


class Role(StrEnum):
    """A user's role; ``ROLE_HIERARCHY`` ranks them."""

    CUSTOMER = "customer"
    FIRM_OPERATOR = "firm_operator"
    FIRM_ADMIN = "firm_admin"
    PLATFORM_ADMIN = "platform_admin"

    @property
    def rank(self) -> int:
        """The role's place in ``ROLE_HIERARCHY``: a higher rank outranks a lower one."""
        return ROLE_HIERARCHY.index(self)

    def outranks(self, other: Role) -> bool:
        """Whether this role is strictly above ``other``."""
        return self.rank > other.rank


# Lowest first, written out rather than taken from the declaration order above, so that adding a
# role means deciding where it stands (a role missing here fails ``rank`` loudly).
ROLE_HIERARCHY: Final[tuple[Role, ...]] = (
    Role.CUSTOMER,
    Role.FIRM_OPERATOR,
    Role.FIRM_ADMIN,
    Role.PLATFORM_ADMIN,
)


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
