"""Queries on the audit log and its chain head."""

from __future__ import annotations

from collections.abc import Collection, Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tessera.models import AuditChain, AuditEvent, User

CHAIN_ID = 1


def lock_chain_head(session: Session) -> AuditChain:
    """The chain head, locked until the end of the transaction so appends are serialised."""
    head = session.scalar(sa.select(AuditChain).where(AuditChain.id == CHAIN_ID).with_for_update())
    if head is None:  # pragma: no cover - created by the first migration
        raise RuntimeError("audit chain head is missing; run `tessera migrate`")
    return head


def add(session: Session, event: AuditEvent) -> None:
    """Append one entry."""
    session.add(event)


def page(
    session: Session, *, firm_id: str | None, action: str | None, limit: int, offset: int
) -> tuple[list[AuditEvent], int]:
    """A page of entries, newest first, with the total."""
    query = sa.select(AuditEvent)
    if firm_id is not None:
        query = query.where(AuditEvent.firm_id == firm_id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    items = session.scalars(query.order_by(AuditEvent.seq.desc()).limit(limit).offset(offset))
    return list(items), total


def user_emails(session: Session, user_ids: Collection[str]) -> dict[str, str]:
    """The current email of each of these users that exists."""
    if not user_ids:
        return {}
    rows = session.execute(sa.select(User.id, User.email).where(User.id.in_(list(user_ids))))
    return {row[0]: row[1] for row in rows}


def iterate_in_order(session: Session, *, batch: int = 1000) -> Iterator[AuditEvent]:
    """Every entry in chain order, read in batches."""
    last = 0
    while True:
        rows = list(
            session.scalars(
                sa.select(AuditEvent)
                .where(AuditEvent.seq > last)
                .order_by(AuditEvent.seq)
                .limit(batch)
            )
        )
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def chain_head(session: Session) -> AuditChain | None:
    """The chain head without locking it."""
    return session.get(AuditChain, CHAIN_ID)
