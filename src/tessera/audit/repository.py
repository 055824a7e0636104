"""Queries on the audit log and its chain head."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tessera import rawsql
from tessera.models import AuditChain, AuditEvent, User
from tessera.visibility import Visibility

CHAIN_ID = 1


@dataclass(frozen=True, slots=True)
class NewAuditEntry:
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


_LOCK_HEAD = {
    "sqlite": rawsql.Statement.of("SELECT last_seq, last_hash FROM audit_chain WHERE id = 1"),
    "postgresql": rawsql.Statement.of(
        "SELECT last_seq, last_hash FROM audit_chain WHERE id = 1 FOR UPDATE"
    ),
}
_INSERT_EVENT = rawsql.Statement.of(
    "INSERT INTO audit_events (id, seq, firm_id, actor_type, actor_id, action, target_type,"
    " target_id, request_id, ip_address, data, created_at, prev_hash, hash)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_MOVE_HEAD = rawsql.Statement.of("UPDATE audit_chain SET last_seq = ?, last_hash = ? WHERE id = 1")


def lock_chain_head(session: Session) -> tuple[int, str]:
    """The chain head's sequence and hash, locked until the transaction ends.

    Pending ORM changes are flushed first, so an entry never precedes the rows it reports.
    On SQLite the transaction already holds the database's write lock.
    """
    if session.new or session.dirty or session.deleted:
        session.flush()
    cursor = rawsql.cursor(session)
    row = cursor.one(_LOCK_HEAD["sqlite" if cursor.is_sqlite else "postgresql"])
    if row is None:  # pragma: no cover - created by the first migration
        raise RuntimeError("audit chain head is missing; run `tessera migrate`")
    return int(row[0]), str(row[1])


def append(session: Session, entry: NewAuditEntry) -> None:
    """Insert an entry and move the head to it (the head must be locked by this transaction)."""
    cursor = rawsql.cursor(session)
    cursor.execute(
        _INSERT_EVENT,
        (
            entry.id,
            entry.seq,
            entry.firm_id,
            entry.actor_type,
            entry.actor_id,
            entry.action,
            entry.target_type,
            entry.target_id,
            entry.request_id,
            entry.ip_address,
            cursor.json(entry.data),
            cursor.stamp(entry.created_at),
            entry.prev_hash,
            entry.hash,
        ),
    )
    cursor.execute(_MOVE_HEAD, (entry.seq, entry.hash))


def page(
    session: Session, *, visibility: Visibility, action: str | None, limit: int, offset: int
) -> tuple[list[AuditEvent], int]:
    """A page of the entries whose firm is in view, newest first, with the total."""
    query = sa.select(AuditEvent).where(*visibility.where(AuditEvent.firm_id))
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
