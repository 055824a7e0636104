"""Queries on machine clients."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tessera.models import ApiClient
from tessera.visibility import Visibility


def add(session: Session, client: ApiClient) -> ApiClient:
    """Insert a client."""
    session.add(client)
    return client


def get(session: Session, client_id: str, *, visibility: Visibility) -> ApiClient | None:
    """One client, if its firm is in view."""
    return session.scalar(
        sa.select(ApiClient).where(ApiClient.id == client_id, *visibility.where(ApiClient.firm_id))
    )


def page(session: Session, *, firm_id: str, limit: int, offset: int) -> tuple[list[ApiClient], int]:
    """A page of the firm's clients, oldest first, with the total."""
    query = sa.select(ApiClient).where(ApiClient.firm_id == firm_id)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(ApiClient.created_at, ApiClient.id).limit(limit).offset(offset)
    )
    return list(rows), total
