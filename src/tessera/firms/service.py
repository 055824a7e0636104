"""Firm lookups used by every feature."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tessera.errors import NotFound, ValidationFailed
from tessera.firms import repository
from tessera.models import DEFAULT_FIRM_ID, Firm


def get_firm(session: Session, firm_id: str) -> Firm:
    """The firm with this id; 404 when it does not exist."""
    firm = repository.get(session, firm_id)
    if firm is None:
        raise NotFound("Firm not found.")
    return firm


def firm_for_signup(session: Session, slug: str | None) -> Firm:
    """The firm a new customer joins: the one named by slug, or the default firm."""
    if slug is None:
        return get_firm(session, DEFAULT_FIRM_ID)
    firm = repository.get_by_slug(session, slug)
    if firm is None or firm.status != "active":
        raise ValidationFailed.single("firm", "No active firm has this slug.")
    return firm
