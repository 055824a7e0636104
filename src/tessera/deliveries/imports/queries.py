"""Queries on delivery imports: the jobs, their rejected and warned lines, stored uploads.

An import batch's events and statuses are written by ``bulk_writer``, through the driver.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tessera.deliveries.domain import FINISHED, ImportSource, ImportStatus
from tessera.models import (
    DeliveryImport,
    DeliveryImportChunk,
    DeliveryImportRejection,
    DeliveryImportWarning,
)
from tessera.visibility import Visibility

_REJECTIONS = cast(sa.Table, DeliveryImportRejection.__table__)
_WARNINGS = cast(sa.Table, DeliveryImportWarning.__table__)
_CHUNKS = cast(sa.Table, DeliveryImportChunk.__table__)
_IMPORTS = cast(sa.Table, DeliveryImport.__table__)


class LineNote(NamedTuple):
    """A line of an import's file that was rejected or imported with a warning, and why."""

    row: int  # its number in the file (the header is line 1)
    message: str


# --- imports ----------------------------------------------------------------------------------


def add_import(session: Session, job: DeliveryImport) -> DeliveryImport:
    """Insert an import."""
    session.add(job)
    return job


def get_import(
    session: Session, import_id: str, *, visibility: Visibility, lock: bool = False
) -> DeliveryImport | None:
    """One import, if its firm is in view."""
    query = sa.select(DeliveryImport).where(
        DeliveryImport.id == import_id, *visibility.where(DeliveryImport.firm_id)
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalar(query)


def page_imports(
    session: Session, *, visibility: Visibility, limit: int, offset: int
) -> tuple[list[DeliveryImport], int]:
    """A page of the imports whose firm is in view, newest first, with the total."""
    query = sa.select(DeliveryImport).where(*visibility.where(DeliveryImport.firm_id))
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(DeliveryImport.created_at.desc(), DeliveryImport.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


def find_resumable_import(
    session: Session,
    *,
    firm_id: str,
    source: ImportSource,
    file_hash: str,
    source_path: str | None,
    stale_before: datetime,
) -> DeliveryImport | None:
    """An import of this file that a dead process left half done, locked for the caller."""
    query = sa.select(DeliveryImport).where(
        DeliveryImport.firm_id == firm_id,
        DeliveryImport.source == source.value,
        DeliveryImport.file_hash == file_hash,
        DeliveryImport.status == ImportStatus.PROCESSING.value,
        DeliveryImport.heartbeat_at < stale_before,
    )
    if source_path is not None:
        query = query.where(DeliveryImport.source_path == source_path)
    return session.scalar(
        query.order_by(DeliveryImport.created_at)
        .limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )


def find_unarchived_watch_import(
    session: Session, *, firm_id: str, source_path: str, file_hash: str
) -> DeliveryImport | None:
    """The watcher's import of this very file that was not yet moved out of the folder."""
    return session.scalar(
        sa.select(DeliveryImport)
        .where(
            DeliveryImport.firm_id == firm_id,
            DeliveryImport.source == ImportSource.WATCH.value,
            DeliveryImport.source_path == source_path,
            DeliveryImport.file_hash == file_hash,
            DeliveryImport.archived_at.is_(None),
        )
        .order_by(DeliveryImport.created_at.desc())
        .limit(1)
    )


def unarchived_watch_imports(
    session: Session, *, firm_id: str, folder_prefix: str
) -> list[DeliveryImport]:
    """The watcher's finished imports of files in a folder that are not marked as moved."""
    return list(
        session.scalars(
            sa.select(DeliveryImport).where(
                DeliveryImport.firm_id == firm_id,
                DeliveryImport.source == ImportSource.WATCH.value,
                DeliveryImport.source_path.startswith(folder_prefix, autoescape=True),
                DeliveryImport.archived_at.is_(None),
                DeliveryImport.status.in_(sorted(status.value for status in FINISHED)),
            )
        )
    )


def first_completed_with_hash(
    session: Session, *, firm_id: str, file_hash: str, created_at: datetime, import_id: str
) -> str | None:
    """The id of the earliest completed import of the same bytes made before this one.

    "Before" is creation order (then id, for two made in the same instant), never id order
    alone: ids are random after their time prefix, and a file's first import must not be
    reported as a duplicate of its own re-import.
    """
    earlier = sa.or_(
        DeliveryImport.created_at < created_at,
        sa.and_(DeliveryImport.created_at == created_at, DeliveryImport.id < import_id),
    )
    return session.scalar(
        sa.select(DeliveryImport.id)
        .where(
            DeliveryImport.firm_id == firm_id,
            DeliveryImport.file_hash == file_hash,
            DeliveryImport.status == ImportStatus.COMPLETED.value,
            DeliveryImport.id != import_id,
            earlier,
        )
        .order_by(DeliveryImport.created_at, DeliveryImport.id)
        .limit(1)
    )


def claim_stored_import(session: Session, *, stale_before: datetime) -> DeliveryImport | None:
    """The oldest uploaded import waiting for a worker, or abandoned by a dead one; locked."""
    waiting = sa.or_(
        DeliveryImport.status == ImportStatus.QUEUED.value,
        sa.and_(
            DeliveryImport.status == ImportStatus.PROCESSING.value,
            DeliveryImport.heartbeat_at < stale_before,
        ),
    )
    return session.scalar(
        sa.select(DeliveryImport)
        .where(DeliveryImport.source == ImportSource.API.value, waiting)
        .order_by(DeliveryImport.created_at, DeliveryImport.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )


def add_progress(
    session: Session,
    import_id: str,
    *,
    total: int,
    imported: int,
    duplicate: int,
    rejected: int,
    warned: int = 0,
    resume_line: int,
    now: datetime,
) -> None:
    """Add one batch's counts to an import and move its resume point."""
    table = _IMPORTS
    session.execute(
        sa.update(table)
        .where(table.c.id == import_id)
        .values(
            rows_total=table.c.rows_total + total,
            rows_imported=table.c.rows_imported + imported,
            rows_duplicate=table.c.rows_duplicate + duplicate,
            rows_rejected=table.c.rows_rejected + rejected,
            rows_warned=table.c.rows_warned + warned,
            resume_line=resume_line,
            heartbeat_at=now,
        )
    )


def add_rejections(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rejected lines (``firm_id``, ``import_id``, ``row``, ``message``)."""
    if rows:
        session.execute(sa.insert(_REJECTIONS), rows)


def add_warnings(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert the warnings of imported lines (``firm_id``, ``import_id``, ``row``, ``message``)."""
    if rows:
        session.execute(sa.insert(_WARNINGS), rows)


def first_rejections(session: Session, import_id: str, *, limit: int) -> list[LineNote]:
    """The first ``limit`` rejected lines of an import, by line number."""
    return page_rejections(session, import_id, limit=limit, offset=0)


def page_rejections(session: Session, import_id: str, *, limit: int, offset: int) -> list[LineNote]:
    """A page of an import's rejected lines, by line number."""
    return _page_lines(session, _REJECTIONS, import_id, limit=limit, offset=offset)


def page_warnings(session: Session, import_id: str, *, limit: int, offset: int) -> list[LineNote]:
    """A page of the warnings of an import's lines, by line number."""
    return _page_lines(session, _WARNINGS, import_id, limit=limit, offset=offset)


def _page_lines(
    session: Session, table: sa.Table, import_id: str, *, limit: int, offset: int
) -> list[LineNote]:
    return [
        LineNote(row, message)
        for row, message in session.execute(
            sa.select(table.c.row, table.c.message)
            .where(table.c.import_id == import_id)
            .order_by(table.c.row, table.c.id)
            .limit(limit)
            .offset(offset)
        )
    ]


# --- stored uploads ---------------------------------------------------------------------------


def add_chunk(session: Session, *, import_id: str, firm_id: str, seq: int, data: bytes) -> None:
    """Store one piece of an uploaded file."""
    session.execute(
        sa.insert(_CHUNKS), [{"import_id": import_id, "firm_id": firm_id, "seq": seq, "data": data}]
    )


def read_chunk(session: Session, *, import_id: str, seq: int) -> bytes | None:
    """One piece of an uploaded file, or None past the end."""
    data = session.scalar(
        sa.select(_CHUNKS.c.data).where(_CHUNKS.c.import_id == import_id, _CHUNKS.c.seq == seq)
    )
    return bytes(data) if data is not None else None


def has_chunks(session: Session, import_id: str) -> bool:
    """Whether the uploaded file of an import is still stored."""
    return (
        session.scalar(sa.select(_CHUNKS.c.seq).where(_CHUNKS.c.import_id == import_id).limit(1))
        is not None
    )


def delete_chunks(session: Session, import_id: str) -> None:
    """Forget the stored file of a finished import."""
    session.execute(sa.delete(_CHUNKS).where(_CHUNKS.c.import_id == import_id))
