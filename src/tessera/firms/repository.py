"""Queries on firms."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tessera.models import Firm


def get(session: Session, firm_id: str) -> Firm | None:
    """One firm by id."""
    return session.get(Firm, firm_id)


def get_by_slug(session: Session, slug: str) -> Firm | None:
    """One firm by its slug."""
    return session.scalar(sa.select(Firm).where(Firm.slug == slug))
