"""A refresh token, kept only as a hash; tokens of one login form a family that rotates."""

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


class RefreshToken(Base):
    __tablename__ = "refresh_tokens"

    id: Mapped[str] = id_column()
    firm_id: Mapped[str] = firm_column()
    user_id: Mapped[str] = mapped_column(
        sa.String(ID_LENGTH), sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    family_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
