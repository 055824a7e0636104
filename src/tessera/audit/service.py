"""Recording audit entries and proving the chain is whole.

Each entry's hash covers its own fields and the previous entry's hash, so editing an entry breaks
its own hash and deleting one breaks the link (and the sequence) of the next. The chain head
keeps the last sequence number and hash, so removing the newest entries is caught as well.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tessera.audit import repository
from tessera.audit.repository import NewAuditEntry
from tessera.errors import Forbidden
from tessera.kit.ids import new_id
from tessera.kit.pagination import Page, PageParams
from tessera.models import AuditEvent
from tessera.models.base import utcnow
from tessera.observability import current_request
from tessera.principal import Principal, Scope

GENESIS_HASH = "0" * 64


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did it: a user, a machine client, the CLI or the system itself."""

    type: str
    id: str | None = None

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        return cls(type=principal.kind, id=principal.id)


SYSTEM = Actor(type="system")
CLI = Actor(type="cli")


def entry_hash(event: AuditEvent | NewAuditEntry) -> str:
    """The hash of one entry, chained to its predecessor's."""
    body = json.dumps(
        {
            "seq": event.seq,
            "id": event.id,
            "firm_id": event.firm_id,
            "actor_type": event.actor_type,
            "actor_id": event.actor_id,
            "action": event.action,
            "target_type": event.target_type,
            "target_id": event.target_id,
            "request_id": event.request_id,
            "ip_address": event.ip_address,
            "data": event.data,
            "created_at": event.created_at.isoformat(),
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256((event.prev_hash + body).encode()).hexdigest()


def record(
    session: Session,
    *,
    firm_id: str,
    actor: Actor | Principal,
    action: str,
    target_type: str | None = None,
    target_id: str | None = None,
    data: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> NewAuditEntry:
    """Append an entry in the caller's transaction. ``data`` must hold no secret, and personal
    data only where an investigator needs it (the email a failed login named).

    The chain head is locked until the transaction ends, so appends are serialised; the entry
    and the new head are written at once as Core statements (this runs on every audited change).
    """
    who = Actor.of(actor) if isinstance(actor, Principal) else actor
    request = current_request()
    last_seq, last_hash = repository.lock_chain_head(session)
    entry = NewAuditEntry(
        id=new_id("aud"),
        seq=last_seq + 1,
        firm_id=firm_id,
        actor_type=who.type,
        actor_id=who.id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        request_id=request.request_id if request else None,
        ip_address=request.client_ip if request else None,
        data=data or {},
        created_at=now or utcnow(),
        prev_hash=last_hash,
    )
    entry = dataclasses.replace(entry, hash=entry_hash(entry))
    repository.append(session, entry)
    return entry


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The result of checking the chain."""

    entries: int
    ok: bool
    problem: str | None = None
    seq: int | None = None


def verify_chain(session: Session) -> ChainReport:
    """Walk the chain; report the first entry that was edited, removed or reordered."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    count = 0
    for event in repository.iterate_in_order(session):
        count += 1
        if event.seq != expected_seq:
            return ChainReport(
                count, False, f"entry {expected_seq} is missing (next is {event.seq})", event.seq
            )
        if event.prev_hash != expected_prev:
            return ChainReport(
                count, False, f"entry {event.seq} does not link to its predecessor", event.seq
            )
        if entry_hash(event) != event.hash:
            return ChainReport(count, False, f"entry {event.seq} was altered", event.seq)
        expected_prev = event.hash
        expected_seq += 1
    head = repository.chain_head(session)
    if head is not None and (head.last_seq != expected_seq - 1 or head.last_hash != expected_prev):
        return ChainReport(
            count, False, f"the newest entries after {expected_seq - 1} were removed", head.last_seq
        )
    return ChainReport(count, True)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """An entry of the log as staff read it: the event and the acting user's email."""

    event: AuditEvent
    actor_email: str | None


def list_events(
    session: Session, *, principal: Principal, page: PageParams, action: str | None
) -> Page[AuditEntry]:
    """A page of the audit log of the caller's firm (every firm for a platform admin).

    Users need the firm admin role; machine clients need the ``audit:read`` scope.
    """
    principal.require(Scope.AUDIT_READ)
    if principal.kind == "user" and not principal.is_firm_admin:
        raise Forbidden("Only firm admins can read the audit log.")
    items, total = repository.page(
        session,
        visibility=principal.firm_visibility,
        action=action,
        limit=page.limit,
        offset=page.offset,
    )
    actors = {e.actor_id for e in items if e.actor_type == "user" and e.actor_id is not None}
    emails = repository.user_emails(session, actors)
    entries = [
        AuditEntry(e, emails.get(e.actor_id) if e.actor_type == "user" and e.actor_id else None)
        for e in items
    ]
    return Page(items=entries, total=total, limit=page.limit, offset=page.offset)
