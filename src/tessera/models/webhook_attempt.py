"""One HTTP attempt at a webhook delivery: what came back, how long it took, what went wrong."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tessera.models.base import ID_LENGTH, Base, firm_column, id_column


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempts"

    id: Mapped[str] = id_column()
    firm_id: Mapped[str] = firm_column()
    delivery_id: Mapped[str] = mapped_column(
        sa.String(ID_LENGTH), sa.ForeignKey("webhook_deliveries.id", ondelete="CASCADE")
    )
    number: Mapped[int] = mapped_column(sa.Integer)
    outcome: Mapped[str] = mapped_column(sa.String(16))
    status_code: Mapped[int | None] = mapped_column(sa.Integer)
    duration_ms: Mapped[int] = mapped_column(sa.Integer)
    error: Mapped[str | None] = mapped_column(sa.String(500))
    started_at: Mapped[datetime] = mapped_column()
    next_retry_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (
        sa.CheckConstraint("outcome IN ('succeeded', 'failed')", name="outcome"),
        sa.UniqueConstraint("delivery_id", "number", name="uq_webhook_attempts_delivery_number"),
    )
