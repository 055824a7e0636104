"""Queries on webhook endpoints, deliveries and attempts, and on the outbox as webhooks read it.

The dispatcher's queries lock with ``FOR UPDATE SKIP LOCKED`` so that several workers on
PostgreSQL each take different rows and never wait for one another; SQLite does not render the
clause (its one writer at a time already serialises claims).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tessera.models import DeliveryStatus, Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tessera.visibility import Visibility

# Written out literally (not as bound parameters) so that the planners can match the partial
# indexes declared with the same condition.
_OPEN = sa.text("webhook_deliveries.status IN ('pending', 'delivering')")
_UNDISPATCHED = sa.text("events.dispatched_at IS NULL")


def _lease_free(now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(
        WebhookEndpoint.lease_expires_at.is_(None), WebhookEndpoint.lease_expires_at <= now
    )


def _count(session: Session, query: sa.Select[Any]) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0


# --- endpoints ----------------------------------------------------------------------------


def add_endpoint(session: Session, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Insert an endpoint."""
    session.add(endpoint)
    return endpoint


def get_endpoint(
    session: Session,
    endpoint_id: str,
    *,
    visibility: Visibility,
    lock: bool = False,
    keep: bool = False,
) -> WebhookEndpoint | None:
    """One endpoint, if its firm is in view; ``lock`` for an update,
    ``keep`` to stop it being deleted before the transaction ends (``FOR KEY SHARE``)."""
    query = sa.select(WebhookEndpoint).where(
        WebhookEndpoint.id == endpoint_id, *visibility.where(WebhookEndpoint.firm_id)
    )
    if lock:
        # NO KEY UPDATE, like the UPDATE that follows: it does not wait for a fan-out's KEY SHARE.
        query = query.with_for_update(key_share=True).execution_options(populate_existing=True)
    elif keep:
        query = query.with_for_update(read=True, key_share=True)
    return session.scalar(query)


def page_endpoints(
    session: Session, *, visibility: Visibility, limit: int, offset: int
) -> tuple[list[WebhookEndpoint], int]:
    """A page of the endpoints whose firm is in view, newest first, with the total."""
    query = sa.select(WebhookEndpoint).where(*visibility.where(WebhookEndpoint.firm_id))
    rows = session.scalars(
        query.order_by(WebhookEndpoint.created_at.desc(), WebhookEndpoint.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), _count(session, query)


def count_endpoints(session: Session, firm_id: str) -> int:
    """How many endpoints a firm has."""
    return _count(session, sa.select(WebhookEndpoint.id).where(WebhookEndpoint.firm_id == firm_id))


def list_endpoints(session: Session, firm_id: str) -> list[WebhookEndpoint]:
    """Every endpoint of a firm, oldest first, kept from being deleted until the transaction
    ends (``FOR KEY SHARE``: rotations and leases still go ahead), so that deliveries can be
    written for them."""
    return list(
        session.scalars(
            sa.select(WebhookEndpoint)
            .where(WebhookEndpoint.firm_id == firm_id)
            .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
            .with_for_update(read=True, key_share=True)
        )
    )


def delete_endpoint(session: Session, endpoint_id: str) -> None:
    """Delete an endpoint; its deliveries and their attempts go with it (ON DELETE CASCADE)."""
    session.execute(sa.delete(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id))


# --- deliveries and attempts, as the API shows them ----------------------------------------


def add_deliveries(session: Session, deliveries: Iterable[WebhookDelivery]) -> None:
    """Insert deliveries."""
    session.add_all(list(deliveries))


def page_deliveries(
    session: Session, *, endpoint_id: str, status: str | None, limit: int, offset: int
) -> tuple[list[WebhookDelivery], int]:
    """A page of one endpoint's deliveries, newest first, with the total."""
    query = sa.select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    rows = session.scalars(
        query.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), _count(session, query)


def attempts_of(session: Session, delivery_ids: Collection[str]) -> dict[str, list[WebhookAttempt]]:
    """The attempts of each delivery, in the order they were made."""
    found: dict[str, list[WebhookAttempt]] = {i: [] for i in delivery_ids}
    if not delivery_ids:
        return found
    rows = session.scalars(
        sa.select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_(list(delivery_ids)))
        .order_by(WebhookAttempt.delivery_id, WebhookAttempt.number)
    )
    for row in rows:
        found[row.delivery_id].append(row)
    return found


# --- events --------------------------------------------------------------------------------


def get_event(session: Session, event_id: str, *, visibility: Visibility) -> Event | None:
    """One event, if its firm is in view."""
    return session.scalar(
        sa.select(Event).where(Event.id == event_id, *visibility.where(Event.firm_id))
    )


def page_events(
    session: Session, *, visibility: Visibility, type: str | None, limit: int, offset: int
) -> tuple[list[Event], int]:
    """A page of the events whose firm is in view, newest first, with the total."""
    query = sa.select(Event).where(*visibility.where(Event.firm_id))
    if type is not None:
        query = query.where(Event.type == type)
    rows = session.scalars(
        query.order_by(Event.created_at.desc(), Event.id.desc()).limit(limit).offset(offset)
    )
    return list(rows), _count(session, query)


def events_by_id(session: Session, event_ids: Collection[str]) -> dict[str, Event]:
    """Events by id."""
    if not event_ids:
        return {}
    rows = session.scalars(sa.select(Event).where(Event.id.in_(list(event_ids))))
    return {row.id: row for row in rows}


# --- the dispatcher: fan-out ----------------------------------------------------------------


def has_undispatched_events(session: Session) -> bool:
    """Whether any event waits to be turned into deliveries."""
    return session.scalar(sa.select(Event.id).where(_UNDISPATCHED).limit(1)) is not None


class UndispatchedEvent(NamedTuple):
    """What the fan-out needs of an event: not its payload."""

    id: str
    firm_id: str
    type: str
    created_at: datetime


def lock_undispatched_events(session: Session, *, limit: int) -> list[UndispatchedEvent]:
    """The oldest events not yet dispatched, locked; rows other workers hold are skipped.

    Four columns, not ORM objects: loading each event whole (its JSON payload parsed, an
    identity-map entry made) was 7 % of the embedded process's CPU under transfer load.
    """
    rows = session.execute(
        sa.select(Event.id, Event.firm_id, Event.type, Event.created_at)
        .where(_UNDISPATCHED)
        .order_by(Event.created_at, Event.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [UndispatchedEvent(*row) for row in rows]


def endpoints_of_firms(session: Session, firm_ids: Collection[str]) -> list[WebhookEndpoint]:
    """Every endpoint of the given firms, kept from being deleted until the fan-out commits."""
    if not firm_ids:
        return []
    return list(
        session.scalars(
            sa.select(WebhookEndpoint)
            .where(WebhookEndpoint.firm_id.in_(list(firm_ids)))
            .order_by(WebhookEndpoint.id)
            .with_for_update(read=True, key_share=True)
        )
    )


def insert_deliveries(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert many deliveries at once."""
    if rows:
        session.execute(sa.insert(WebhookDelivery), rows)


def mark_dispatched(session: Session, event_ids: Collection[str], *, now: datetime) -> None:
    """Record that these events were turned into deliveries."""
    if event_ids:
        session.execute(
            sa.update(Event).where(Event.id.in_(list(event_ids))).values(dispatched_at=now)
        )


# --- the dispatcher: claiming, recording, releasing ----------------------------------------


def has_due_deliveries(session: Session, *, now: datetime) -> bool:
    """Whether any delivery is due (including ones whose worker's claim ran out)."""
    query = sa.select(WebhookDelivery.id).where(_OPEN, WebhookDelivery.due_at <= now).limit(1)
    return session.scalar(query) is not None


def endpoints_with_due_deliveries(session: Session, *, now: datetime, limit: int) -> list[str]:
    """Endpoints that no worker holds and that have due deliveries, oldest event first."""
    oldest = sa.func.min(WebhookDelivery.event_created_at).label("oldest")
    rows = session.execute(
        sa.select(WebhookDelivery.endpoint_id, oldest)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(_OPEN, WebhookDelivery.due_at <= now, _lease_free(now))
        .group_by(WebhookDelivery.endpoint_id)
        .order_by(oldest)
        .limit(limit)
    )
    return [row[0] for row in rows]


def lock_free_endpoint(
    session: Session, endpoint_id: str, *, now: datetime
) -> WebhookEndpoint | None:
    """The endpoint, locked, if no worker holds it and no other claim has it locked.

    ``FOR NO KEY UPDATE`` rather than ``FOR UPDATE``: a fan-out holding the endpoint with
    ``FOR KEY SHARE`` does not make the claim skip it.
    """
    return session.scalar(
        sa.select(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, _lease_free(now))
        .with_for_update(skip_locked=True, key_share=True)
        .execution_options(populate_existing=True)
    )


def lock_due_deliveries(
    session: Session, endpoint_id: str, *, now: datetime, limit: int
) -> list[WebhookDelivery]:
    """An endpoint's due deliveries in event order, locked (rows others hold are skipped)."""
    return list(
        session.scalars(
            sa.select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint_id, _OPEN, WebhookDelivery.due_at <= now)
            .order_by(WebhookDelivery.event_created_at, WebhookDelivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True, key_share=True)
            .execution_options(populate_existing=True)
        )
    )


def set_lease(
    session: Session,
    endpoint_id: str,
    *,
    token: str,
    until: datetime,
    delivery_ids: Collection[str],
) -> None:
    """Give the endpoint and the deliveries taken from it to the worker holding ``token``."""
    session.execute(
        sa.update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id)
        .values(lease_token=token, lease_expires_at=until)
    )
    if delivery_ids:
        session.execute(
            sa.update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(list(delivery_ids)))
            .values(status=DeliveryStatus.DELIVERING.value, claim_token=token, due_at=until)
        )


def renew_lease(session: Session, endpoint_id: str, *, token: str, until: datetime) -> bool:
    """Extend a worker's claim; False when it no longer holds the endpoint."""
    result = session.execute(
        sa.update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.lease_token == token)
        .values(lease_expires_at=until)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    session.execute(
        sa.update(WebhookDelivery)
        .where(
            WebhookDelivery.claim_token == token,
            WebhookDelivery.status == DeliveryStatus.DELIVERING.value,
        )
        .values(due_at=until)
    )
    return True


# Built once: the two statements run for every attempt, and a statement object that is reused
# keeps its compiled form (building them anew each time cost a third of a worker's CPU).
_FINISH_ATTEMPT = (
    sa.update(WebhookDelivery)
    .where(
        WebhookDelivery.id == sa.bindparam("delivery_id"),
        WebhookDelivery.claim_token == sa.bindparam("token"),
        WebhookDelivery.status == DeliveryStatus.DELIVERING.value,
    )
    .values(
        claim_token=None,
        status=sa.bindparam("status"),
        attempt_count=sa.bindparam("attempt_count"),
        due_at=sa.bindparam("due_at"),
        last_attempt_at=sa.bindparam("last_attempt_at"),
        last_status_code=sa.bindparam("last_status_code"),
        last_error=sa.bindparam("last_error"),
        delivered_at=sa.bindparam("delivered_at"),
        updated_at=sa.bindparam("updated_at"),
    )
)
_INSERT_ATTEMPT = sa.insert(WebhookAttempt)


def finish_attempt(
    session: Session,
    delivery_id: str,
    *,
    token: str,
    status: str,
    attempt_count: int,
    due_at: datetime | None,
    last_attempt_at: datetime,
    last_status_code: int | None,
    last_error: str | None,
    delivered_at: datetime | None,
    updated_at: datetime,
) -> bool:
    """Update a claimed delivery after an attempt; False when the claim is no longer ours."""
    result = session.connection().execute(
        _FINISH_ATTEMPT,
        {
            "delivery_id": delivery_id,
            "token": token,
            "status": status,
            "attempt_count": attempt_count,
            "due_at": due_at,
            "last_attempt_at": last_attempt_at,
            "last_status_code": last_status_code,
            "last_error": last_error,
            "delivered_at": delivered_at,
            "updated_at": updated_at,
        },
    )
    return bool(result.rowcount)


def add_attempt(session: Session, values: Mapping[str, Any]) -> None:
    """Log one attempt."""
    session.connection().execute(_INSERT_ATTEMPT, [dict(values)])


def release(
    session: Session, endpoint_id: str, *, token: str, due_at: datetime, now: datetime
) -> int:
    """End a claim: deliveries it still holds go back to pending (due at ``due_at``)."""
    result = session.execute(
        sa.update(WebhookDelivery)
        .where(
            WebhookDelivery.claim_token == token,
            WebhookDelivery.status == DeliveryStatus.DELIVERING.value,
        )
        .values(
            status=DeliveryStatus.PENDING.value, claim_token=None, due_at=due_at, updated_at=now
        )
    )
    session.execute(
        sa.update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.lease_token == token)
        .values(lease_token=None, lease_expires_at=None)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
