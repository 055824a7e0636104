"""HTTP routes for firms and their settings."""

from __future__ import annotations

from fastapi import APIRouter, status

from tessera.deps import CurrentPrincipal, PageDep, RuntimeDep, SessionDep, TransactionalRoute
from tessera.firms import service
from tessera.firms.schemas import FirmCreate, FirmRead, FirmUpdate
from tessera.kit.pagination import PageRead

router = APIRouter(prefix="/v1/firms", tags=["firms"], route_class=TransactionalRoute)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=FirmRead)
def create_firm(
    body: FirmCreate, session: SessionDep, runtime: RuntimeDep, principal: CurrentPrincipal
) -> FirmRead:
    """Create a partner firm (platform admins)."""
    firm = service.create_firm(
        session,
        principal=principal,
        name=body.name,
        slug=body.slug,
        auto_approve_registrations=body.auto_approve_registrations,
        issuing_bin=body.issuing_bin,
        issuing_bin_end=body.issuing_bin_end,
        allow_ip_sans=body.allow_ip_sans,
        phone_region=runtime.settings.default_phone_region,
        timezone=runtime.settings.default_timezone,
        now=runtime.now(),
    )
    return FirmRead.model_validate(firm)


@router.get("", response_model=PageRead[FirmRead])
def list_firms(
    session: SessionDep, principal: CurrentPrincipal, page: PageDep
) -> PageRead[FirmRead]:
    """List every firm (platform admins)."""
    result = service.list_firms(session, principal=principal, page=page)
    return PageRead[FirmRead].of(result, FirmRead.model_validate)


@router.get("/{firm_id}", response_model=FirmRead)
def get_firm(firm_id: str, session: SessionDep, principal: CurrentPrincipal) -> FirmRead:
    """Get a firm: your own, or any for a platform admin."""
    return FirmRead.model_validate(
        service.get_visible_firm(session, principal=principal, firm_id=firm_id)
    )


@router.patch("/{firm_id}", response_model=FirmRead)
def update_firm(
    firm_id: str,
    body: FirmUpdate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
) -> FirmRead:
    """Change a firm's settings: name, registration auto-approval, issuing BINs, IP SANs."""
    firm = service.update_firm(
        session,
        principal=principal,
        firm_id=firm_id,
        name=body.name,
        auto_approve_registrations=body.auto_approve_registrations,
        issuing_bin=body.issuing_bin,
        issuing_bin_end=body.issuing_bin_end,
        allow_ip_sans=body.allow_ip_sans,
        now=runtime.now(),
    )
    return FirmRead.model_validate(firm)
