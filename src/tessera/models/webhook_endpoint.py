"""A firm's webhook endpoint: where events go, which ones, and the secret that signs them.

The secret is stored sealed by the vault (never in the clear). During a rotation the previous
secret stays valid until ``previous_secret_expires_at`` and deliveries carry both signatures.
``lease_token`` and ``lease_expires_at`` belong to the worker delivering to this endpoint right
now: one worker at a time per endpoint, so each endpoint gets its events in order.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tessera.models.base import Base, JSONType, created_at_column, firm_column, id_column

LEASE_TOKEN_LENGTH = 120


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = id_column()
    firm_id: Mapped[str] = firm_column()
    url: Mapped[str] = mapped_column(sa.String(2048))
    description: Mapped[str | None] = mapped_column(sa.String(200))
    # Event types, or ["*"] for every type.
    events: Mapped[list[str]] = mapped_column(JSONType)
    secret_sealed: Mapped[bytes] = mapped_column(sa.LargeBinary)
    previous_secret_sealed: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column()
    secret_rotated_at: Mapped[datetime | None] = mapped_column()
    lease_token: Mapped[str | None] = mapped_column(sa.String(LEASE_TOKEN_LENGTH))
    lease_expires_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()
