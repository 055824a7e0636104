"""Import reports: an import with its first rejected lines and warnings, for firm staff."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from sqlalchemy.orm import Session

from tessera.deliveries.domain import ImportStatus
from tessera.deliveries.imports import queries
from tessera.deliveries.imports.queries import LineNote
from tessera.errors import Forbidden, NotFound
from tessera.kit.pagination import Page, PageParams
from tessera.models import DeliveryImport
from tessera.principal import Principal, Scope

REPORT_ERROR_LIMIT = 100


@dataclass(frozen=True, slots=True)
class ImportReport:
    """An import with its first rejected lines, its first warnings and, for a repeated file,
    the earlier import."""

    job: DeliveryImport
    errors: list[LineNote]
    duplicate_of: str | None
    warnings: list[LineNote] = dataclasses.field(default_factory=list)


def report_of(session: Session, job: DeliveryImport) -> ImportReport:
    """The report of an import as the API shows it."""
    return ImportReport(
        job=job,
        errors=queries.first_rejections(session, job.id, limit=REPORT_ERROR_LIMIT),
        warnings=queries.page_warnings(session, job.id, limit=REPORT_ERROR_LIMIT, offset=0),
        duplicate_of=queries.first_completed_with_hash(
            session,
            firm_id=job.firm_id,
            file_hash=job.file_hash,
            created_at=job.created_at,
            import_id=job.id,
        )
        if job.status == ImportStatus.COMPLETED
        else None,
    )


def _require_staff_reader(principal: Principal) -> None:
    principal.require(Scope.DELIVERIES_READ)
    if principal.is_customer:
        raise Forbidden("Only firm staff can see delivery imports.")


def get_import(session: Session, *, principal: Principal, import_id: str) -> ImportReport:
    """One import report of the caller's firm; 404 otherwise."""
    _require_staff_reader(principal)
    job = queries.get_import(session, import_id, visibility=principal.firm_visibility)
    if job is None:
        raise NotFound("Import not found.")
    return report_of(session, job)


def list_imports(session: Session, *, principal: Principal, page: PageParams) -> Page[ImportReport]:
    """The caller's firm's imports, newest first."""
    _require_staff_reader(principal)
    items, total = queries.page_imports(
        session, visibility=principal.firm_visibility, limit=page.limit, offset=page.offset
    )
    return Page(
        items=[report_of(session, job) for job in items],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


def list_import_errors(
    session: Session, *, principal: Principal, import_id: str, page: PageParams
) -> Page[LineNote]:
    """Every rejected line of an import, by line number, a page at a time."""
    _require_staff_reader(principal)
    job = queries.get_import(session, import_id, visibility=principal.firm_visibility)
    if job is None:
        raise NotFound("Import not found.")
    items = queries.page_rejections(session, job.id, limit=page.limit, offset=page.offset)
    return Page(items=items, total=job.rows_rejected, limit=page.limit, offset=page.offset)


def list_import_warnings(
    session: Session, *, principal: Principal, import_id: str, page: PageParams
) -> Page[LineNote]:
    """Every line of an import imported with a warning, by line number, a page at a time."""
    _require_staff_reader(principal)
    job = queries.get_import(session, import_id, visibility=principal.firm_visibility)
    if job is None:
        raise NotFound("Import not found.")
    items = queries.page_warnings(session, job.id, limit=page.limit, offset=page.offset)
    return Page(items=items, total=job.rows_warned, limit=page.limit, offset=page.offset)
