"""Queries on machine clients."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tessera.models import ApiClient


def add(session: Session, client: ApiClient) -> ApiClient:
    """Insert a client."""
    session.add(client)
    return client


def get(session: Session, client_id: str, *, firm_id: str | None = None) -> ApiClient | None:
    """One client, if it belongs to ``firm_id`` (None: any firm)."""
    query = sa.select(ApiClient).where(ApiClient.id == client_id)
    if firm_id is not None:
        query = query.where(ApiClient.firm_id == firm_id)
    return session.scalar(query)


def page(session: Session, *, firm_id: str, limit: int, offset: int) -> tuple[list[ApiClient], int]:
    """A page of the firm's clients, oldest first, with the total."""
    query = sa.select(ApiClient).where(ApiClient.firm_id == firm_id)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(ApiClient.created_at, ApiClient.id).limit(limit).offset(offset)
    )
    return list(rows), total
