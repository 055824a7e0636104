"""A firm's machine client: exchanges its id and secret for access tokens with its scopes."""

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
)


class ApiClient(Base):
    __tablename__ = "api_clients"

    id: Mapped[str] = id_column()
    firm_id: Mapped[str] = firm_column()
    name: Mapped[str] = mapped_column(sa.String(100))
    # SHA-256 of the secret; the secret itself is shown once and never stored.
    secret_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # Space-separated, as in OAuth's `scope` parameter.
    scopes: Mapped[str] = mapped_column(sa.String(500))
    status: Mapped[str] = mapped_column(sa.String(16), default="active")
    created_by: Mapped[str | None] = mapped_column(sa.String(ID_LENGTH))
    created_at: Mapped[datetime] = created_at_column()
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (sa.CheckConstraint("status IN ('active', 'disabled')", name="status"),)

    @property
    def scope_list(self) -> list[str]:
        """The scopes as a list."""
        return self.scopes.split()
