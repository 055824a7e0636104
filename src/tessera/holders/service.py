"""Reading account holders, within the caller's firm and (for customers) their own."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tessera.errors import NotFound
from tessera.holders import repository
from tessera.kit.pagination import Page, PageParams
from tessera.models import AccountHolder
from tessera.principal import Principal, Scope


def get_holder(session: Session, *, principal: Principal, holder_id: str) -> AccountHolder:
    """One holder visible to the caller; 404 otherwise (also for another firm's holder)."""
    principal.require(Scope.ACCOUNTS_READ)
    holder = repository.get(session, holder_id, visibility=principal.visibility)
    if holder is None:
        raise NotFound("Account holder not found.")
    return holder


def list_holders(
    session: Session, *, principal: Principal, page: PageParams
) -> Page[AccountHolder]:
    """The holders visible to the caller: a customer sees only their own."""
    principal.require(Scope.ACCOUNTS_READ)
    items, total = repository.page(
        session,
        visibility=principal.visibility,
        limit=page.limit,
        offset=page.offset,
    )
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)
