"""One event to be sent to one endpoint, and where that stands.

``status`` moves ``pending`` -> ``delivering`` (claimed by a worker) -> ``succeeded``, or back to
``pending`` with a later ``due_at`` after a failed attempt, or to ``dead`` when the retry window
has passed. ``due_at`` is when a worker may take the row: the next attempt for a pending row, the
end of the claim for a delivering one (so a dead worker's rows come due again by themselves).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tessera.models.base import ID_LENGTH, Base, created_at_column, firm_column, id_column
from tessera.models.webhook_endpoint import LEASE_TOKEN_LENGTH


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERING = "delivering"
    SUCCEEDED = "succeeded"
    DEAD = "dead"


class DeliveryTrigger(StrEnum):
    EVENT = "event"  # the dispatcher's fan-out: at most one per (endpoint, event)
    REDELIVERY = "redelivery"  # POST /v1/events/{id}/redeliver


OPEN_STATUSES = (DeliveryStatus.PENDING.value, DeliveryStatus.DELIVERING.value)
_OPEN = "status IN ('pending', 'delivering')"


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"

    id: Mapped[str] = id_column()
    firm_id: Mapped[str] = firm_column()
    endpoint_id: Mapped[str] = mapped_column(
        sa.String(ID_LENGTH), sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    event_id: Mapped[str] = mapped_column(
        sa.String(ID_LENGTH), sa.ForeignKey("events.id", ondelete="RESTRICT"), index=True
    )
    event_type: Mapped[str] = mapped_column(sa.String(64))
    event_created_at: Mapped[datetime] = mapped_column()
    trigger: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(16))
    attempt_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    due_at: Mapped[datetime | None] = mapped_column()
    claim_token: Mapped[str | None] = mapped_column(sa.String(LEASE_TOKEN_LENGTH))
    last_attempt_at: Mapped[datetime | None] = mapped_column()
    last_status_code: Mapped[int | None] = mapped_column(sa.Integer)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    delivered_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()

    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('pending', 'delivering', 'succeeded', 'dead')", name="status"
        ),
        sa.CheckConstraint("trigger IN ('event', 'redelivery')", name="trigger"),
        # The fan-out creates each (endpoint, event) delivery exactly once, whatever the workers.
        sa.Index(
            "uq_webhook_deliveries_endpoint_event",
            "endpoint_id",
            "event_id",
            unique=True,
            sqlite_where=sa.text("trigger = 'event'"),
            postgresql_where=sa.text("trigger = 'event'"),
        ),
        sa.Index(
            "ix_webhook_deliveries_due",
            "due_at",
            sqlite_where=sa.text(_OPEN),
            postgresql_where=sa.text(_OPEN),
        ),
        sa.Index(
            "ix_webhook_deliveries_queue",
            "endpoint_id",
            "event_created_at",
            "id",
            sqlite_where=sa.text(_OPEN),
            postgresql_where=sa.text(_OPEN),
        ),
        sa.Index(
            "ix_webhook_deliveries_claim_token",
            "claim_token",
            sqlite_where=sa.text("claim_token IS NOT NULL"),
            postgresql_where=sa.text("claim_token IS NOT NULL"),
        ),
        sa.Index("ix_webhook_deliveries_endpoint_created", "endpoint_id", "created_at", "id"),
    )
