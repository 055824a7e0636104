"""Queries on idempotency keys (``idempotency_keys``), for ``tessera.kit.idempotency``."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tessera import rawsql
from tessera.models import IdempotencyKey


def find(session: Session, principal_id: str, key: str) -> IdempotencyKey | None:
    """The caller's row for ``key``, if any."""
    return session.scalar(
        sa.select(IdempotencyKey).where(
            IdempotencyKey.principal_id == principal_id, IdempotencyKey.key == key
        )
    )


def delete(session: Session, row: IdempotencyKey) -> None:
    """Remove a row (an expired key about to be reserved again)."""
    session.delete(row)
    session.flush()


def add_in_savepoint(session: Session, row: IdempotencyKey) -> None:
    """Insert a reservation in its own savepoint; ``IntegrityError`` when the key is taken."""
    with session.begin_nested():
        session.add(row)


def set_answer(
    session: Session, *, principal_id: str, key: str, status_code: int, body: str
) -> None:
    """Store the rendered answer of a reserved key."""
    session.execute(
        sa.update(IdempotencyKey)
        .where(IdempotencyKey.principal_id == principal_id, IdempotencyKey.key == key)
        .values(status_code=status_code, response_body=body)
    )


_LOOKUP = rawsql.Statement.of(
    "SELECT request_hash, status_code, response_body, created_at FROM idempotency_keys"
    " WHERE principal_id = ? AND key = ?"
)
_FORGET = rawsql.Statement.of("DELETE FROM idempotency_keys WHERE principal_id = ? AND key = ?")
_STORE = rawsql.Statement.of(
    "INSERT INTO idempotency_keys (id, firm_id, principal_id, key, request_hash, status_code,"
    " response_body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def lookup(
    session: Session, *, principal_id: str, key: str
) -> tuple[str, int | None, str | None, datetime] | None:
    """``(request_hash, status_code, response_body, created_at)`` of a key (one Core query)."""
    row = rawsql.cursor(session).one(_LOOKUP, (principal_id, key))
    if row is None:
        return None
    stored_hash, status_code, body, created_at = row
    return stored_hash, status_code, body, rawsql.parse_stamp(created_at)


def forget(session: Session, *, principal_id: str, key: str) -> None:
    """Delete one key (expired)."""
    rawsql.cursor(session).execute(_FORGET, (principal_id, key))


def insert_answer(
    session: Session,
    *,
    row_id: str,
    firm_id: str,
    principal_id: str,
    key: str,
    request_hash: str,
    status_code: int,
    body: str,
    now: datetime,
) -> None:
    """Insert a key with its answer; ``IntegrityError`` when another transaction stored it."""
    cursor = rawsql.cursor(session)
    cursor.execute(
        _STORE,
        (row_id, firm_id, principal_id, key, request_hash, status_code, body, cursor.stamp(now)),
    )


def purge_before(session: Session, cutoff: datetime) -> int:
    """Delete keys created at or before ``cutoff``; returns how many."""
    result = session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.created_at <= cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
