"""Idempotency keys: the same POST sent twice moves money once.

The key is reserved inside the very transaction that does the work, and the answer is stored in
it too, so the three (change, key, answer) commit or vanish together; no key is ever left
half-done by a crash. Two requests racing with one key meet at the unique index: on PostgreSQL
the second insert waits for the first transaction and then sees its row; on SQLite writers are
serialised anyway. The loser replays the winner's answer.

Only successful answers are stored. A request that failed changed nothing, so retrying it with
the same key runs it again, which is what a client retrying after an error wants.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tessera.errors import Conflict, ValidationFailed
from tessera.kit.idempotency import repository
from tessera.kit.ids import new_id
from tessera.models import IdempotencyKey

RETENTION = timedelta(hours=24)
MAX_KEY_LENGTH = 255


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """A first answer, to be replayed."""

    status_code: int
    body: Any


def validate_key(key: str) -> str:
    """The key if it is 1..255 printable characters; else 422."""
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailed.single(
            "Idempotency-Key", "Must be between 1 and 255 printable characters."
        )
    return key


def request_fingerprint(method: str, path: str, body: Any) -> str:
    """A hash of what makes two requests "the same": method, path and canonical JSON body."""
    canonical = json.dumps([method.upper(), path, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _judge(row: IdempotencyKey, request_hash: str) -> StoredAnswer:
    if row.request_hash != request_hash:
        raise Conflict(
            "This Idempotency-Key was used with a different request.",
            code="idempotency_key_reused",
        )
    if row.status_code is None or row.response_body is None:
        raise Conflict(
            "A request with this Idempotency-Key is still being processed.",
            code="idempotency_key_in_use",
        )
    return StoredAnswer(status_code=row.status_code, body=json.loads(row.response_body))


def peek(
    session: Session, *, principal_id: str, key: str, request_hash: str, now: datetime
) -> StoredAnswer | None:
    """The answer to replay for ``key``, read without writing anything; None when the request
    must run (an expired key too: ``reserve`` replaces it).

    For requests that do slow work before they write (signing a certificate): they look first,
    so that a replay does none of it, and ``reserve`` the key later in the writing transaction.
    Raises 409 ``idempotency_key_reused`` when the key was used for a different request.
    """
    existing = repository.find(session, principal_id, key)
    if existing is None or existing.created_at <= now - RETENTION:
        return None
    return _judge(existing, request_hash)


def reserve(
    session: Session,
    *,
    firm_id: str,
    principal_id: str,
    key: str,
    request_hash: str,
    now: datetime,
) -> StoredAnswer | None:
    """Reserve ``key`` in the current transaction, or return the answer to replay.

    Raises 409 ``idempotency_key_reused`` when the key was used for a different request.
    """
    existing = repository.find(session, principal_id, key)
    if existing is not None:
        if existing.created_at > now - RETENTION:
            return _judge(existing, request_hash)
        repository.delete(session, existing)
    row = IdempotencyKey(
        id=new_id("idk"),
        firm_id=firm_id,
        principal_id=principal_id,
        key=key,
        request_hash=request_hash,
        created_at=now,
    )
    try:
        repository.add_in_savepoint(session, row)
    except IntegrityError:
        # Another request with this key committed while we waited on the unique index.
        winner = repository.find(session, principal_id, key)
        if winner is None:  # pragma: no cover - the conflicting row cannot vanish under us
            raise
        return _judge(winner, request_hash)
    return None


def complete(session: Session, *, principal_id: str, key: str, status_code: int, body: Any) -> None:
    """Store the answer of a reserved key, in the same transaction as the work."""
    repository.set_answer(
        session,
        principal_id=principal_id,
        key=key,
        status_code=status_code,
        body=json.dumps(body, separators=(",", ":")),
    )


class KeyRaced(Conflict):
    """Another transaction stored an answer for this key first: replay that answer."""

    default_code = "idempotency_key_in_use"
    default_message = "A request with this Idempotency-Key is still being processed."


def lookup(
    session: Session, *, principal_id: str, key: str, request_hash: str, now: datetime
) -> StoredAnswer | None:
    """The answer to replay for ``key``, or None when the request must run (one Core query).

    For the writer's units, which store the answer at the end with ``store``: the unit and its
    answer commit together, so a key never exists without its answer there. An expired key is
    forgotten; 409 ``idempotency_key_reused`` when the key came with a different request.
    """
    row = repository.lookup(session, principal_id=principal_id, key=key)
    if row is None:
        return None
    stored_hash, status_code, body, created_at = row
    if created_at <= now - RETENTION:
        repository.forget(session, principal_id=principal_id, key=key)
        return None
    if stored_hash != request_hash:
        raise Conflict(
            "This Idempotency-Key was used with a different request.",
            code="idempotency_key_reused",
        )
    if status_code is None or body is None:
        raise KeyRaced()
    return StoredAnswer(status_code=status_code, body=json.loads(body))


def store(
    session: Session,
    *,
    firm_id: str,
    principal_id: str,
    key: str,
    request_hash: str,
    status_code: int,
    body: Any,
    now: datetime,
) -> None:
    """Store the answer of a request that ``lookup`` let run, in the same transaction.

    Two processes racing with one key meet at the unique index: the loser's unit fails with
    ``KeyRaced`` (its savepoint takes its work back) and it replays the winner's answer.
    """
    try:
        repository.insert_answer(
            session,
            row_id=new_id("idk"),
            firm_id=firm_id,
            principal_id=principal_id,
            key=key,
            request_hash=request_hash,
            status_code=status_code,
            body=json.dumps(body, separators=(",", ":")),
            now=now,
        )
    except IntegrityError as exc:
        raise KeyRaced() from exc


def purge_expired(session: Session, *, now: datetime) -> int:
    """Delete keys older than the retention window; returns how many."""
    return repository.purge_before(session, now - RETENTION)
