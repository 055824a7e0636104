"""One login: its refresh tokens form a family and its access tokens carry its id as ``sid``."""

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


class LoginSession(Base):
    """Revoking the row (logout, a reused refresh token, erasure) ends the login at once: every
    request looks it up by primary key with the user, in the one query that authenticates it."""

    __tablename__ = "login_sessions"

    # The same value as the family_id of the session's refresh tokens.
    id: Mapped[str] = id_column()
    firm_id: Mapped[str] = firm_column()
    user_id: Mapped[str] = mapped_column(
        sa.String(ID_LENGTH), sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = created_at_column()
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
