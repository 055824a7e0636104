"""HTTP routes for account holders."""

from __future__ import annotations

from fastapi import APIRouter

from tessera.deps import CurrentPrincipal, PageDep, SessionDep, TransactionalRoute
from tessera.holders import service
from tessera.holders.schemas import HolderRead
from tessera.kit.pagination import PageRead

router = APIRouter(
    prefix="/v1/account-holders", tags=["account holders"], route_class=TransactionalRoute
)


@router.get("", response_model=PageRead[HolderRead])
def list_account_holders(
    session: SessionDep, principal: CurrentPrincipal, page: PageDep
) -> PageRead[HolderRead]:
    """List account holders (a customer sees only their own)."""
    result = service.list_holders(session, principal=principal, page=page)
    return PageRead[HolderRead].of(result, HolderRead.model_validate)


@router.get("/{holder_id}", response_model=HolderRead)
def get_account_holder(
    holder_id: str, session: SessionDep, principal: CurrentPrincipal
) -> HolderRead:
    """Get one account holder."""
    holder = service.get_holder(session, principal=principal, holder_id=holder_id)
    return HolderRead.model_validate(holder)
