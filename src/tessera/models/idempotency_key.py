"""A stored answer to a POST made with an Idempotency-Key, replayed for 24 hours."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tessera.models.base import ID_LENGTH, Base, created_at_column, firm_column, id_column


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"

    id: Mapped[str] = id_column()
    firm_id: Mapped[str] = firm_column()
    # Keys are scoped to the caller: a user id or a machine client id.
    principal_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH))
    key: Mapped[str] = mapped_column(sa.String(255))
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    status_code: Mapped[int | None] = mapped_column(sa.Integer)
    response_body: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (
        sa.UniqueConstraint("principal_id", "key", name="uq_idempotency_keys_principal_key"),
        sa.Index("ix_idempotency_keys_created_at", "created_at"),
    )
