"""Queries on firms."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tessera import rawsql
from tessera.models import Firm


def get(session: Session, firm_id: str) -> Firm | None:
    """One firm by id."""
    return session.get(Firm, firm_id)


_AUTO_APPROVES = rawsql.Statement.of("SELECT auto_approve_registrations FROM firms WHERE id = ?")


def auto_approves_registrations(session: Session, firm_id: str) -> bool | None:
    """Whether the firm approves registrations at once (None: no such firm)."""
    row = rawsql.cursor(session).one(_AUTO_APPROVES, (firm_id,))
    return None if row is None else bool(row[0])


def get_by_slug(session: Session, slug: str) -> Firm | None:
    """One firm by its slug."""
    return session.scalar(sa.select(Firm).where(Firm.slug == slug))


def slug_exists(session: Session, slug: str) -> bool:
    """Whether a firm has this slug."""
    return bool(session.scalar(sa.select(sa.exists().where(Firm.slug == slug))))


def add(session: Session, firm: Firm) -> Firm:
    """Insert a firm."""
    session.add(firm)
    return firm


def page(session: Session, *, limit: int, offset: int) -> tuple[list[Firm], int]:
    """A page of firms, oldest first, with the total."""
    total = session.scalar(sa.select(sa.func.count()).select_from(Firm)) or 0
    rows = session.scalars(
        sa.select(Firm).order_by(Firm.created_at, Firm.id).limit(limit).offset(offset)
    )
    return list(rows), total
