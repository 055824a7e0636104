"""Queries on account holders."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tessera.models import AccountHolder
from tessera.visibility import Visibility


def add(session: Session, holder: AccountHolder) -> AccountHolder:
    """Insert a holder."""
    session.add(holder)
    return holder


def get(session: Session, holder_id: str, *, visibility: Visibility) -> AccountHolder | None:
    """One holder, if it is in view."""
    return session.scalar(
        sa.select(AccountHolder).where(
            AccountHolder.id == holder_id,
            *visibility.where(AccountHolder.firm_id, AccountHolder.id),
        )
    )


def get_by_user(session: Session, user_id: str) -> AccountHolder | None:
    """The holder profile of a user, if any."""
    return session.scalar(sa.select(AccountHolder).where(AccountHolder.user_id == user_id))


def page(
    session: Session, *, visibility: Visibility, limit: int, offset: int
) -> tuple[list[AccountHolder], int]:
    """A page of the holders in view, newest first, with the total."""
    query = sa.select(AccountHolder).where(
        *visibility.where(AccountHolder.firm_id, AccountHolder.id)
    )
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(AccountHolder.created_at.desc(), AccountHolder.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total
