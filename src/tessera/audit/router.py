"""HTTP route for reading the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from tessera.audit import service
from tessera.audit.schemas import AuditEventRead
from tessera.deps import CurrentPrincipal, PageDep, SessionDep, TransactionalRoute
from tessera.kit.pagination import PageRead

router = APIRouter(prefix="/v1/audit-events", tags=["audit"], route_class=TransactionalRoute)


@router.get("", response_model=PageRead[AuditEventRead])
def list_audit_events(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageDep,
    action: Annotated[str | None, Query(max_length=64)] = None,
) -> PageRead[AuditEventRead]:
    """The firm's audit log, newest first (firm admins and `audit:read` clients)."""
    result = service.list_events(session, principal=principal, page=page, action=action)
    return PageRead[AuditEventRead].of(result, _entry_read)


def _entry_read(entry: service.AuditEntry) -> AuditEventRead:
    read = AuditEventRead.model_validate(entry.event)
    read.actor_email = entry.actor_email
    return read
