"""A master key rotation: moving every vault card to a new key version, batch by batch.

Deployment-level like ``vault_keys``. At most one rotation runs at a time (partial unique index);
a rotation interrupted half-way is resumed by the next ``tessera keys rotate`` or by a worker.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tessera.models.base import Base, UTCDateTime, created_at_column, id_column, utcnow


class VaultKeyRotation(Base):
    __tablename__ = "vault_key_rotations"

    id: Mapped[str] = id_column()
    target_version: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey("vault_keys.version", ondelete="RESTRICT")
    )
    # rewrap: new master key wraps the same data keys; reencrypt: fresh data key per record.
    mode: Mapped[str] = mapped_column(sa.String(16), default="rewrap")
    status: Mapped[str] = mapped_column(sa.String(16), default="running")
    rows_total: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    rows_done: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    started_by: Mapped[str] = mapped_column(sa.String(64))
    started_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.CheckConstraint("mode IN ('rewrap', 'reencrypt')", name="mode"),
        sa.CheckConstraint("status IN ('running', 'completed')", name="status"),
        sa.Index(
            "uq_vault_key_rotations_running",
            "status",
            unique=True,
            sqlite_where=sa.text("status = 'running'"),
            postgresql_where=sa.text("status = 'running'"),
        ),
    )
