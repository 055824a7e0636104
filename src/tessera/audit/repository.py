"""Queries on the audit log and its chain head."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tessera.models import AuditChain, AuditEvent, User

CHAIN_ID = 1


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One entry as it is appended (the columns of ``audit_events``)."""

    id: str
    seq: int
    firm_id: str
    actor_type: str
    actor_id: str | None
    action: str
    target_type: str | None
    target_id: str | None
    request_id: str | None
    ip_address: str | None
    data: dict[str, Any]
    created_at: datetime
    prev_hash: str
    hash: str = ""


_events = cast(sa.Table, AuditEvent.__table__)
_chain = cast(sa.Table, AuditChain.__table__)
_LOCK_HEAD = (
    sa.select(_chain.c.last_seq, _chain.c.last_hash)
    .where(_chain.c.id == CHAIN_ID)
    .with_for_update()
)
_INSERT_EVENT = sa.insert(_events)
_MOVE_HEAD = (
    sa.update(_chain)
    .where(_chain.c.id == CHAIN_ID)
    .values(last_seq=sa.bindparam("seq"), last_hash=sa.bindparam("hash"))
)


def lock_chain_head(session: Session) -> tuple[int, str]:
    """The chain head's sequence and hash, locked until the transaction ends.

    Pending ORM changes are flushed first, so an entry never precedes the rows it reports.
    """
    if session.new or session.dirty or session.deleted:
        session.flush()
    row = session.connection().execute(_LOCK_HEAD).first()
    if row is None:  # pragma: no cover - created by the first migration
        raise RuntimeError("audit chain head is missing; run `tessera migrate`")
    return int(row[0]), str(row[1])


def append(session: Session, entry: AuditEntry) -> None:
    """Insert an entry and move the head to it (the head must be locked by this transaction)."""
    connection = session.connection()
    connection.execute(
        _INSERT_EVENT,
        {
            "id": entry.id,
            "seq": entry.seq,
            "firm_id": entry.firm_id,
            "actor_type": entry.actor_type,
            "actor_id": entry.actor_id,
            "action": entry.action,
            "target_type": entry.target_type,
            "target_id": entry.target_id,
            "request_id": entry.request_id,
            "ip_address": entry.ip_address,
            "data": entry.data,
            "created_at": entry.created_at,
            "prev_hash": entry.prev_hash,
            "hash": entry.hash,
        },
    )
    connection.execute(_MOVE_HEAD, {"seq": entry.seq, "hash": entry.hash})


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
