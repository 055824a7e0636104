"""HTTP routes for webhook endpoints, their delivery logs, events, and redelivery."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from tessera.deps import CurrentPrincipal, PageDep, RuntimeDep, SessionDep, TransactionalRoute
from tessera.events.types import EventType
from tessera.kit.pagination import PageRead
from tessera.models import DeliveryStatus, DeliveryTrigger, WebhookDelivery, WebhookEndpoint
from tessera.webhooks import service
from tessera.webhooks.schemas import (
    EventRead,
    RedeliveryCreate,
    RedeliveryRead,
    SecretRotation,
    WebhookAttemptRead,
    WebhookDeliveryRead,
    WebhookEndpointCreate,
    WebhookEndpointRead,
    WebhookEndpointWithSecret,
)

router = APIRouter(
    prefix="/v1/webhook-endpoints", tags=["webhooks"], route_class=TransactionalRoute
)
events_router = APIRouter(prefix="/v1/events", tags=["webhooks"], route_class=TransactionalRoute)


def _with_secret(endpoint: WebhookEndpoint, secret: str) -> WebhookEndpointWithSecret:
    return WebhookEndpointWithSecret(
        **WebhookEndpointRead.model_validate(endpoint).model_dump(), secret=secret
    )


def _delivery_read(log: service.DeliveryLog) -> WebhookDeliveryRead:
    return _delivery(log.delivery, [WebhookAttemptRead.model_validate(a) for a in log.attempts])


def _delivery(delivery: WebhookDelivery, attempts: list[WebhookAttemptRead]) -> WebhookDeliveryRead:
    pending = delivery.status == DeliveryStatus.PENDING.value
    return WebhookDeliveryRead(
        id=delivery.id,
        endpoint_id=delivery.endpoint_id,
        event_id=delivery.event_id,
        event_type=EventType(delivery.event_type),
        trigger=DeliveryTrigger(delivery.trigger),
        status=DeliveryStatus(delivery.status),
        attempt_count=delivery.attempt_count,
        next_attempt_at=delivery.due_at if pending else None,
        last_status_code=delivery.last_status_code,
        last_error=delivery.last_error,
        delivered_at=delivery.delivered_at,
        created_at=delivery.created_at,
        attempts=attempts,
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=WebhookEndpointWithSecret)
def create_webhook_endpoint(
    body: WebhookEndpointCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
) -> WebhookEndpointWithSecret:
    """Register an endpoint; the answer holds its signing secret, shown this once only."""
    endpoint, secret = service.create_endpoint(
        session,
        runtime.keyring,
        principal=principal,
        url=body.url,
        events=body.events,
        description=body.description,
        allow_private=runtime.settings.allow_private_webhooks,
        now=runtime.now(),
    )
    return _with_secret(endpoint, secret)


@router.get("", response_model=PageRead[WebhookEndpointRead])
def list_webhook_endpoints(
    session: SessionDep, principal: CurrentPrincipal, page: PageDep
) -> PageRead[WebhookEndpointRead]:
    """List the firm's webhook endpoints, newest first."""
    result = service.list_endpoints(session, principal=principal, page=page)
    return PageRead[WebhookEndpointRead].of(result, WebhookEndpointRead.model_validate)


@router.get("/{endpoint_id}", response_model=WebhookEndpointRead)
def get_webhook_endpoint(
    endpoint_id: str, session: SessionDep, principal: CurrentPrincipal
) -> WebhookEndpointRead:
    """Get one webhook endpoint (without its secret)."""
    endpoint = service.get_endpoint(session, principal=principal, endpoint_id=endpoint_id)
    return WebhookEndpointRead.model_validate(endpoint)


@router.delete("/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_webhook_endpoint(
    endpoint_id: str, session: SessionDep, runtime: RuntimeDep, principal: CurrentPrincipal
) -> Response:
    """Delete an endpoint: nothing more is sent to it, and its delivery log is removed."""
    service.delete_endpoint(
        session, principal=principal, endpoint_id=endpoint_id, now=runtime.now()
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{endpoint_id}/rotate-secret", response_model=WebhookEndpointWithSecret)
def rotate_webhook_secret(
    endpoint_id: str,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    body: SecretRotation | None = None,
) -> WebhookEndpointWithSecret:
    """Replace the signing secret; the old one keeps signing too until the overlap ends."""
    rotation = body or SecretRotation()
    endpoint, secret = service.rotate_secret(
        session,
        runtime.keyring,
        principal=principal,
        endpoint_id=endpoint_id,
        overlap_seconds=rotation.expire_previous_after_seconds,
        now=runtime.now(),
    )
    return _with_secret(endpoint, secret)


@router.get("/{endpoint_id}/deliveries", response_model=PageRead[WebhookDeliveryRead])
def list_webhook_deliveries(
    endpoint_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageDep,
    delivery_status: Annotated[DeliveryStatus | None, Query(alias="status")] = None,
) -> PageRead[WebhookDeliveryRead]:
    """The endpoint's deliveries, newest first, each with its attempts (status code,
    duration, error, next retry)."""
    result = service.list_deliveries(
        session, principal=principal, endpoint_id=endpoint_id, status=delivery_status, page=page
    )
    return PageRead[WebhookDeliveryRead].of(result, _delivery_read)


@events_router.get("", response_model=PageRead[EventRead])
def list_events(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageDep,
    type: Annotated[EventType | None, Query(description="Only events of this type.")] = None,
) -> PageRead[EventRead]:
    """The firm's events, newest first, as webhooks deliver them."""
    result = service.list_events(
        session, principal=principal, type=type.value if type else None, page=page
    )
    return PageRead[EventRead].of(result, EventRead.of)


@events_router.get("/{event_id}", response_model=EventRead)
def get_event(event_id: str, session: SessionDep, principal: CurrentPrincipal) -> EventRead:
    """Get one event."""
    return EventRead.of(service.get_event(session, principal=principal, event_id=event_id))


@events_router.post(
    "/{event_id}/redeliver", status_code=status.HTTP_202_ACCEPTED, response_model=RedeliveryRead
)
def redeliver_event(
    event_id: str,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    body: RedeliveryCreate | None = None,
) -> RedeliveryRead:
    """Send the event again, to one endpoint or to every endpoint that wants its type."""
    request = body or RedeliveryCreate()
    event, deliveries = service.redeliver(
        session,
        principal=principal,
        event_id=event_id,
        endpoint_id=request.endpoint_id,
        now=runtime.now(),
    )
    return RedeliveryRead(event_id=event.id, deliveries=[_delivery(d, []) for d in deliveries])
