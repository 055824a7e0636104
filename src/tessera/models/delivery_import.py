"""One import of a courier file: its job state, its counts and where it got to."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tessera.models.base import Base, UTCDateTime, created_at_column, firm_column, id_column

IMPORT_STATUSES = ("queued", "processing", "completed", "failed")
IMPORT_SOURCES = ("api", "cli", "watch")


class DeliveryImport(Base):
    __tablename__ = "delivery_imports"

    id: Mapped[str] = id_column()
    firm_id: Mapped[str] = firm_column()
    partner: Mapped[str | None] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(24))
    # Where the file came from; `source_path` is the file's path for the CLI and the watcher.
    source: Mapped[str] = mapped_column(sa.String(16))
    source_path: Mapped[str | None] = mapped_column(sa.String(1024))
    file_name: Mapped[str] = mapped_column(sa.String(255))
    file_hash: Mapped[str] = mapped_column(sa.String(64))
    file_size: Mapped[int] = mapped_column(sa.BigInteger)
    # The reading rules in force for this import (the partner's, or the firm's defaults).
    phone_region: Mapped[str] = mapped_column(sa.String(2))
    timezone: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16))
    rows_total: Mapped[int] = mapped_column(sa.Integer, default=0)
    rows_imported: Mapped[int] = mapped_column(sa.Integer, default=0)
    rows_duplicate: Mapped[int] = mapped_column(sa.Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(sa.Integer, default=0)
    # Lines imported with a warning (a phone that is not a valid number, kept as written).
    rows_warned: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    # The last physical line whose rows are committed: a resumed import starts after it.
    resume_line: Mapped[int] = mapped_column(sa.Integer, default=1)
    failure: Mapped[str | None] = mapped_column(sa.String(500))
    created_by: Mapped[str | None] = mapped_column(sa.String(40))
    created_at: Mapped[datetime] = created_at_column()
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Renewed with every committed batch; a processing import whose heartbeat is older than
    # the lease was abandoned by a process that died, and may be resumed.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The watcher sets this once the file has been moved to processed/ or failed/.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('queued', 'processing', 'completed', 'failed')", name="status"
        ),
        sa.CheckConstraint("source IN ('api', 'cli', 'watch')", name="source"),
        sa.Index("ix_delivery_imports_firm_id_created_at", "firm_id", "created_at", "id"),
        sa.Index("ix_delivery_imports_firm_id_file_hash", "firm_id", "file_hash"),
        sa.Index("ix_delivery_imports_status_heartbeat_at", "status", "heartbeat_at"),
    )
