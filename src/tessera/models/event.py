"""The outbox: one row per thing that happened, written in the transaction that made it happen."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tessera.models.base import Base, JSONType, created_at_column, firm_column, id_column


class Event(Base):
    __tablename__ = "events"

    id: Mapped[str] = id_column()
    firm_id: Mapped[str] = firm_column()
    type: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = created_at_column()
    # When the webhook dispatcher turned the event into deliveries (NULL: not yet). The partial
    # index keeps the dispatcher's "what is new" query small however long the outbox grows.
    dispatched_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (
        sa.Index("ix_events_firm_id_created_at", "firm_id", "created_at", "id"),
        sa.Index(
            "ix_events_undispatched",
            "created_at",
            "id",
            sqlite_where=sa.text("dispatched_at IS NULL"),
            postgresql_where=sa.text("dispatched_at IS NULL"),
        ),
    )
