"""Queries on account holders."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tessera.models import AccountHolder


def add(session: Session, holder: AccountHolder) -> AccountHolder:
    """Insert a holder."""
    session.add(holder)
    return holder


def get(
    session: Session, holder_id: str, *, firm_id: str | None, only_holder: str | None = None
) -> AccountHolder | None:
    """One holder, if visible under the firm and holder filters (None: no filter)."""
    query = sa.select(AccountHolder).where(AccountHolder.id == holder_id)
    if firm_id is not None:
        query = query.where(AccountHolder.firm_id == firm_id)
    if only_holder is not None:
        query = query.where(AccountHolder.id == only_holder)
    return session.scalar(query)


def get_by_user(session: Session, user_id: str) -> AccountHolder | None:
    """The holder profile of a user, if any."""
    return session.scalar(sa.select(AccountHolder).where(AccountHolder.user_id == user_id))


def page(
    session: Session, *, firm_id: str | None, only_holder: str | None, limit: int, offset: int
) -> tuple[list[AccountHolder], int]:
    """A page of holders, newest first, with the total."""
    query = sa.select(AccountHolder)
    if firm_id is not None:
        query = query.where(AccountHolder.firm_id == firm_id)
    if only_holder is not None:
        query = query.where(AccountHolder.id == only_holder)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(AccountHolder.created_at.desc(), AccountHolder.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total
