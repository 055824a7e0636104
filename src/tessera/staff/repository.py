"""Queries on a firm's staff users."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tessera.models import Role, User

STAFF_ROLES = (Role.FIRM_ADMIN.value, Role.FIRM_OPERATOR.value)


def page(session: Session, *, firm_id: str, limit: int, offset: int) -> tuple[list[User], int]:
    """A page of the firm's active staff users, oldest first, with the total."""
    query = sa.select(User).where(
        User.firm_id == firm_id, User.role.in_(STAFF_ROLES), User.status == "active"
    )
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(User.created_at, User.id).limit(limit).offset(offset))
    return list(rows), total


def get_member(session: Session, *, firm_id: str, user_id: str) -> User | None:
    """An active user of the firm."""
    return session.scalar(
        sa.select(User).where(User.id == user_id, User.firm_id == firm_id, User.status == "active")
    )
