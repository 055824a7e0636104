"""HTTP routes for accounts."""

from __future__ import annotations

from fastapi import APIRouter, status

from tessera.accounts import service
from tessera.accounts.schemas import AccountCreate, AccountRead, AccountUpdate
from tessera.deps import (
    CurrentPrincipal,
    IdempotentDep,
    PageDep,
    ReadCursorDep,
    RuntimeDep,
    SessionDep,
    TransactionalRoute,
)
from tessera.kit.pagination import PageRead

router = APIRouter(prefix="/v1/accounts", tags=["accounts"], route_class=TransactionalRoute)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=AccountRead)
def create_account(
    body: AccountCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    idempotent: IdempotentDep,
) -> object:
    """Open an account (a customer's own; staff name the holder)."""
    return idempotent.run(
        body,
        status.HTTP_201_CREATED,
        lambda: AccountRead.model_validate(
            service.create_account(
                session,
                principal=principal,
                type=body.type,
                currency=body.currency,
                holder_id=body.holder_id,
                now=runtime.now(),
            )
        ),
    )


@router.get("", response_model=PageRead[AccountRead])
def list_accounts(
    session: SessionDep, principal: CurrentPrincipal, page: PageDep
) -> PageRead[AccountRead]:
    """List accounts with their current balances."""
    result = service.list_accounts(session, principal=principal, page=page)
    return PageRead[AccountRead].of(result, AccountRead.model_validate)


@router.get("/{account_id}", response_model=AccountRead)
async def get_account(
    account_id: str, cursor: ReadCursorDep, principal: CurrentPrincipal
) -> AccountRead:
    """Get one account with its current balance."""
    return AccountRead.model_validate(
        service.read_account(cursor, principal=principal, account_id=account_id)
    )


@router.patch("/{account_id}", response_model=AccountRead)
def update_account(
    account_id: str,
    body: AccountUpdate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
) -> AccountRead:
    """Rename, freeze, unfreeze or close an account (closing needs a zero balance)."""
    account = service.update_account(
        session,
        principal=principal,
        account_id=account_id,
        status=body.status,
        rename="name" in body.model_fields_set,
        name=body.name,
        now=runtime.now(),
    )
    return AccountRead.model_validate(account)
