"""Managing webhook endpoints, reading deliveries and events, and asking for a redelivery.

Every function here serves the API: it takes the principal, checks the ``webhooks:manage``
scope, and sees only the caller's firm (another firm's endpoint or event is a 404).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from tessera.audit import service as audit
from tessera.crypto.vault import Sealed
from tessera.errors import Conflict, NotFound
from tessera.kit.ids import new_id
from tessera.kit.keyring import KeyRing
from tessera.kit.pagination import Page, PageParams
from tessera.models import (
    DeliveryStatus,
    DeliveryTrigger,
    Event,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from tessera.principal import Principal, Scope
from tessera.visibility import Visibility
from tessera.webhooks import repository, rules
from tessera.webhooks.signature import new_secret

# Every event fans out to each of a firm's endpoints; the limit bounds that work per event.
MAX_ENDPOINTS_PER_FIRM = 16


class EndpointLimitReached(Conflict):
    default_code = "endpoint_limit_reached"
    default_message = f"A firm can have at most {MAX_ENDPOINTS_PER_FIRM} webhook endpoints."


class NoMatchingEndpoint(Conflict):
    default_code = "no_matching_endpoint"
    default_message = "No webhook endpoint of the firm receives events of this type."


def _secret_aad(endpoint_id: str) -> bytes:
    return f"webhook_endpoint/{endpoint_id}/secret".encode()


def _seal_secret(session: Session, keyring: KeyRing, endpoint_id: str, secret: str) -> bytes:
    return keyring.seal(session, secret.encode(), aad=_secret_aad(endpoint_id)).to_bytes()


def signing_secrets(
    session: Session, keyring: KeyRing, endpoint: WebhookEndpoint, *, now: datetime
) -> list[str]:
    """The secrets deliveries are signed with now: the current one, and the previous one
    while its overlap window lasts."""
    aad = _secret_aad(endpoint.id)
    found = [keyring.open(session, Sealed.from_bytes(endpoint.secret_sealed), aad=aad).decode()]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret_sealed is not None and expires is not None and expires > now:
        previous = Sealed.from_bytes(endpoint.previous_secret_sealed)
        found.append(keyring.open(session, previous, aad=aad).decode())
    return found


def create_endpoint(
    session: Session,
    keyring: KeyRing,
    *,
    principal: Principal,
    url: str,
    events: Sequence[str],
    description: str | None,
    allow_private: bool,
    now: datetime,
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint of the caller's firm; returns it with its secret (shown once)."""
    principal.require(Scope.WEBHOOKS_MANAGE)
    checked_url = rules.endpoint_url(url, allow_private=allow_private)
    wanted = rules.event_filter(events)
    if repository.count_endpoints(session, principal.firm_id) >= MAX_ENDPOINTS_PER_FIRM:
        raise EndpointLimitReached()
    endpoint_id = new_id("whe")
    secret = new_secret()
    endpoint = repository.add_endpoint(
        session,
        WebhookEndpoint(
            id=endpoint_id,
            firm_id=principal.firm_id,
            url=checked_url,
            description=description,
            events=wanted,
            secret_sealed=_seal_secret(session, keyring, endpoint_id, secret),
            created_at=now,
            updated_at=now,
        ),
    )
    session.flush()
    audit.record(
        session,
        firm_id=endpoint.firm_id,
        actor=principal,
        action="webhook_endpoint.created",
        target_type="webhook_endpoint",
        target_id=endpoint.id,
        data={"events": wanted},
        now=now,
    )
    return endpoint, secret


def get_endpoint(session: Session, *, principal: Principal, endpoint_id: str) -> WebhookEndpoint:
    """One endpoint of the caller's firm; 404 otherwise."""
    principal.require(Scope.WEBHOOKS_MANAGE)
    endpoint = repository.get_endpoint(session, endpoint_id, visibility=principal.firm_visibility)
    if endpoint is None:
        raise NotFound("Webhook endpoint not found.")
    return endpoint


def list_endpoints(
    session: Session, *, principal: Principal, page: PageParams
) -> Page[WebhookEndpoint]:
    """The caller's firm's endpoints, newest first."""
    principal.require(Scope.WEBHOOKS_MANAGE)
    items, total = repository.page_endpoints(
        session, visibility=principal.firm_visibility, limit=page.limit, offset=page.offset
    )
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


def delete_endpoint(
    session: Session, *, principal: Principal, endpoint_id: str, now: datetime
) -> None:
    """Delete an endpoint; nothing more is sent to it and its delivery log goes with it."""
    endpoint = get_endpoint(session, principal=principal, endpoint_id=endpoint_id)
    repository.delete_endpoint(session, endpoint.id)
    audit.record(
        session,
        firm_id=endpoint.firm_id,
        actor=principal,
        action="webhook_endpoint.deleted",
        target_type="webhook_endpoint",
        target_id=endpoint.id,
        now=now,
    )


def rotate_secret(
    session: Session,
    keyring: KeyRing,
    *,
    principal: Principal,
    endpoint_id: str,
    overlap_seconds: int,
    now: datetime,
) -> tuple[WebhookEndpoint, str]:
    """Give an endpoint a new secret; the old one also signs deliveries for ``overlap_seconds``.

    Rotating again within the window retires the oldest secret: at most two are ever in use.
    """
    visible = get_endpoint(session, principal=principal, endpoint_id=endpoint_id)
    endpoint = repository.get_endpoint(
        session, visible.id, visibility=Visibility.firm(visible.firm_id), lock=True
    )
    if endpoint is None:  # pragma: no cover - deleted between the two reads
        raise NotFound("Webhook endpoint not found.")
    secret = new_secret()
    if overlap_seconds > 0:
        endpoint.previous_secret_sealed = endpoint.secret_sealed
        endpoint.previous_secret_expires_at = now + timedelta(seconds=overlap_seconds)
    else:
        endpoint.previous_secret_sealed = None
        endpoint.previous_secret_expires_at = None
    endpoint.secret_sealed = _seal_secret(session, keyring, endpoint.id, secret)
    endpoint.secret_rotated_at = now
    endpoint.updated_at = now
    session.flush()
    audit.record(
        session,
        firm_id=endpoint.firm_id,
        actor=principal,
        action="webhook_endpoint.secret_rotated",
        target_type="webhook_endpoint",
        target_id=endpoint.id,
        data={"overlap_seconds": overlap_seconds},
        now=now,
    )
    return endpoint, secret


@dataclass(frozen=True, slots=True)
class DeliveryLog:
    """A delivery and its attempts."""

    delivery: WebhookDelivery
    attempts: list[WebhookAttempt]


def list_deliveries(
    session: Session,
    *,
    principal: Principal,
    endpoint_id: str,
    status: DeliveryStatus | None,
    page: PageParams,
) -> Page[DeliveryLog]:
    """An endpoint's deliveries, newest first, each with every attempt made so far."""
    endpoint = get_endpoint(session, principal=principal, endpoint_id=endpoint_id)
    deliveries, total = repository.page_deliveries(
        session,
        endpoint_id=endpoint.id,
        status=status.value if status else None,
        limit=page.limit,
        offset=page.offset,
    )
    attempts = repository.attempts_of(session, [d.id for d in deliveries])
    return Page(
        items=[DeliveryLog(d, attempts[d.id]) for d in deliveries],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


def get_event(session: Session, *, principal: Principal, event_id: str) -> Event:
    """One event of the caller's firm; 404 otherwise."""
    principal.require(Scope.WEBHOOKS_MANAGE)
    event = repository.get_event(session, event_id, visibility=principal.firm_visibility)
    if event is None:
        raise NotFound("Event not found.")
    return event


def list_events(
    session: Session, *, principal: Principal, type: str | None, page: PageParams
) -> Page[Event]:
    """The caller's firm's events, newest first."""
    principal.require(Scope.WEBHOOKS_MANAGE)
    items, total = repository.page_events(
        session,
        visibility=principal.firm_visibility,
        type=type,
        limit=page.limit,
        offset=page.offset,
    )
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


def redeliver(
    session: Session,
    *,
    principal: Principal,
    event_id: str,
    endpoint_id: str | None,
    now: datetime,
) -> tuple[Event, list[WebhookDelivery]]:
    """Queue the event again: to one endpoint, or to every endpoint that wants its type.

    The new deliveries are due at once and get a retry window of their own.
    """
    event = get_event(session, principal=principal, event_id=event_id)
    if endpoint_id is not None:
        endpoint = repository.get_endpoint(
            session, endpoint_id, visibility=Visibility.firm(event.firm_id), keep=True
        )
        if endpoint is None:
            raise NotFound("Webhook endpoint not found.")
        targets = [endpoint]
    else:
        targets = [
            e
            for e in repository.list_endpoints(session, event.firm_id)
            if rules.wants(e.events, event.type)
        ]
        if not targets:
            raise NoMatchingEndpoint()
    deliveries = [
        WebhookDelivery(
            id=new_id("whd"),
            firm_id=event.firm_id,
            endpoint_id=target.id,
            event_id=event.id,
            event_type=event.type,
            event_created_at=event.created_at,
            trigger=DeliveryTrigger.REDELIVERY.value,
            status=DeliveryStatus.PENDING.value,
            attempt_count=0,
            due_at=now,
            created_at=now,
            updated_at=now,
        )
        for target in targets
    ]
    repository.add_deliveries(session, deliveries)
    session.flush()
    audit.record(
        session,
        firm_id=event.firm_id,
        actor=principal,
        action="webhook_event.redelivered",
        target_type="event",
        target_id=event.id,
        data={"endpoint_ids": [t.id for t in targets]},
        now=now,
    )
    return event, deliveries
