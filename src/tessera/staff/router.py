"""HTTP routes for a firm's staff: grant, list and revoke staff roles (firm admins)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from fastapi.responses import JSONResponse

from tessera.deps import CurrentPrincipal, PageDep, RuntimeDep, SessionDep, TransactionalRoute
from tessera.kit.pagination import PageRead
from tessera.staff import service
from tessera.staff.schemas import StaffGrant, StaffRead

router = APIRouter(
    prefix="/v1/firms/{firm_id}/staff", tags=["firms"], route_class=TransactionalRoute
)


@router.post(
    "",
    status_code=status.HTTP_200_OK,
    response_model=StaffRead,
    responses={201: {"model": StaffRead, "description": "A new staff user was created."}},
)
def grant_staff_role(
    firm_id: str,
    body: StaffGrant,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
) -> Response:
    """Grant `firm_admin` or `firm_operator` to a user of the firm (201 when it creates them)."""
    granted = service.grant(
        runtime.db.read_scope,
        session,
        runtime.passwords,
        principal=principal,
        firm_id=firm_id,
        email=body.email,
        role=body.role,
        password=body.password,
        now=runtime.now(),
    )
    read = StaffRead.model_validate(granted.user)
    return JSONResponse(
        read.model_dump(mode="json"),
        status_code=status.HTTP_201_CREATED if granted.created else status.HTTP_200_OK,
    )


@router.get("", response_model=PageRead[StaffRead])
def list_staff(
    firm_id: str, session: SessionDep, principal: CurrentPrincipal, page: PageDep
) -> PageRead[StaffRead]:
    """List the firm's staff users."""
    result = service.list_staff(session, principal=principal, firm_id=firm_id, page=page)
    return PageRead[StaffRead].of(result, StaffRead.model_validate)


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_staff_role(
    firm_id: str,
    user_id: str,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
) -> Response:
    """Take a user's staff role away (they remain a user without staff rights)."""
    service.revoke(
        session, principal=principal, firm_id=firm_id, user_id=user_id, now=runtime.now()
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
