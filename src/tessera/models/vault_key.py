"""A version of the vault's master key, itself wrapped by the deployment's root key.

Deployment-level, so it carries no firm: keys are infrastructure, not tenant data.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tessera.models.base import Base, created_at_column


class VaultKey(Base):
    __tablename__ = "vault_keys"

    version: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    wrapped_key: Mapped[bytes] = mapped_column(sa.LargeBinary)
    status: Mapped[str] = mapped_column(sa.String(16), default="active")
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (sa.CheckConstraint("status IN ('active', 'retired')", name="status"),)
