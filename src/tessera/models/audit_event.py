"""The append-only, hash-chained audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tessera.models.base import ID_LENGTH, Base, JSONType, created_at_column, firm_column, id_column


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[str] = id_column()
    seq: Mapped[int] = mapped_column(sa.BigInteger, unique=True)
    firm_id: Mapped[str] = firm_column()
    actor_type: Mapped[str] = mapped_column(sa.String(16))
    actor_id: Mapped[str | None] = mapped_column(sa.String(ID_LENGTH))
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(sa.String(32))
    target_id: Mapped[str | None] = mapped_column(sa.String(ID_LENGTH))
    request_id: Mapped[str | None] = mapped_column(sa.String(128))
    ip_address: Mapped[str | None] = mapped_column(sa.String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = created_at_column()
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))


class AuditChain(Base):
    """The head of the chain: one row, updated under lock so that appends are serialised."""

    __tablename__ = "audit_chain"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(sa.BigInteger)
    last_hash: Mapped[str] = mapped_column(sa.String(64))
