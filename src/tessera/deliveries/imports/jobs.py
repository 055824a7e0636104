"""Import jobs: an import's record from creation to its end, one transaction at a time.

Every function here works inside the caller's transaction and only flushes; ``orchestrator``
decides when to commit. An import is ``queued`` (an upload waiting for the worker) or
``processing`` when created, and ends ``completed`` or ``failed`` (``domain.ImportStatus``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tessera.audit import service as audit
from tessera.deliveries.domain import ImportSource, ImportStatus
from tessera.deliveries.imports import queries
from tessera.deliveries.partners import ReadingRules
from tessera.events.service import record_event
from tessera.events.types import EventType
from tessera.kit.ids import new_id
from tessera.models import DeliveryImport
from tessera.principal import Principal


@dataclass(frozen=True, slots=True)
class NewImport:
    """What is known of a file before its rows are read."""

    firm_id: str
    kind: str
    source: ImportSource
    source_path: str | None
    file_name: str
    file_hash: str
    file_size: int
    rules: ReadingRules
    created_by: str | None


def create_import(
    session: Session,
    new: NewImport,
    *,
    status: ImportStatus,
    actor: audit.Actor | Principal,
    now: datetime,
) -> DeliveryImport:
    """Record an import (queued, or processing by the caller) and audit who started it."""
    processing = status == ImportStatus.PROCESSING
    job = queries.add_import(
        session,
        DeliveryImport(
            id=new_id("dim"),
            firm_id=new.firm_id,
            partner=new.rules.partner,
            kind=new.kind,
            source=new.source.value,
            source_path=new.source_path,
            file_name=new.file_name[:255],
            file_hash=new.file_hash,
            file_size=new.file_size,
            phone_region=new.rules.phone_region,
            timezone=new.rules.timezone,
            status=status.value,
            rows_total=0,
            rows_imported=0,
            rows_duplicate=0,
            rows_rejected=0,
            rows_warned=0,
            resume_line=1,
            created_by=new.created_by,
            created_at=now,
            started_at=now if processing else None,
            heartbeat_at=now if processing else None,
        ),
    )
    session.flush()
    audit.record(
        session,
        firm_id=job.firm_id,
        actor=actor,
        action="delivery_import.created",
        target_type="delivery_import",
        target_id=job.id,
        data={"kind": job.kind, "source": job.source, "file_hash": job.file_hash},
        now=now,
    )
    return job


def start_import(session: Session, job: DeliveryImport, *, now: datetime) -> None:
    """Mark a claimed import as being processed by the caller (a new lease)."""
    job.status = ImportStatus.PROCESSING.value
    job.started_at = job.started_at or now
    job.heartbeat_at = now
    session.flush()


def complete_import(session: Session, *, job: DeliveryImport, now: datetime) -> DeliveryImport:
    """Finish an import: completed, its stored upload dropped, ``delivery_import.completed``."""
    job.status = ImportStatus.COMPLETED.value
    job.completed_at = now
    job.heartbeat_at = now
    queries.delete_chunks(session, job.id)
    session.flush()
    record_event(
        session,
        firm_id=job.firm_id,
        type=EventType.DELIVERY_IMPORT_COMPLETED,
        data=import_event_data(job),
        now=now,
    )
    return job


def fail_import(session: Session, *, job: DeliveryImport, message: str, now: datetime) -> None:
    """Give up on an import whose file turned out unreadable; what it stored stays."""
    job.status = ImportStatus.FAILED.value
    job.failure = message[:500]
    job.completed_at = now
    job.heartbeat_at = now
    queries.delete_chunks(session, job.id)
    session.flush()


def mark_archived(session: Session, *, job: DeliveryImport, now: datetime) -> None:
    """Note that the watcher moved the import's file out of the watched folder."""
    job.archived_at = now
    session.flush()


def import_event_data(job: DeliveryImport) -> dict[str, Any]:
    """The public summary of an import, as events carry it (no rows, no errors)."""
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "partner": job.partner,
        "file_name": job.file_name,
        "rows_total": job.rows_total,
        "rows_imported": job.rows_imported,
        "rows_duplicate": job.rows_duplicate,
        "rows_rejected": job.rows_rejected,
        "created_at": job.created_at,
        "completed_at": job.completed_at,
    }
