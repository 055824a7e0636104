"""Request and response bodies of the webhook and event routes, and the body of a delivery."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tessera.events.types import EventType
from tessera.kit.text import FreeText, PlainText
from tessera.models import DeliveryStatus, DeliveryTrigger, Event


class AttemptOutcome(StrEnum):
    """How one HTTP attempt ended (``webhook_attempts.outcome``)."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"


MAX_OVERLAP_SECONDS = 7 * 86_400
DEFAULT_OVERLAP_SECONDS = 86_400


class WebhookEndpointCreate(BaseModel):
    """A new endpoint: where to send events, and which ones."""

    model_config = ConfigDict(extra="forbid")

    url: PlainText = Field(
        min_length=1,
        max_length=2048,
        description="An http(s) URL that accepts POST requests.",
        examples=["https://example.com/tessera/webhooks"],
    )
    events: list[PlainText] = Field(
        min_length=1,
        max_length=64,
        description='Event types to receive, or ["*"] for every type.',
        examples=[["account.created", "transfer.completed"]],
    )
    description: FreeText | None = Field(default=None, max_length=200)


class WebhookEndpointRead(BaseModel):
    """An endpoint (its secret is shown only when created or rotated)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    url: str
    events: list[str]
    description: str | None
    created_at: datetime
    updated_at: datetime
    secret_rotated_at: datetime | None = Field(
        description="When the secret was last rotated, if ever."
    )
    previous_secret_expires_at: datetime | None = Field(
        description="Until then deliveries are also signed with the previous secret."
    )


class WebhookEndpointWithSecret(WebhookEndpointRead):
    """An endpoint with its signing secret: store it now, it is never shown again."""

    secret: str = Field(description="The HMAC key for `Tessera-Signature` (shown once).")


class SecretRotation(BaseModel):
    """How long the old secret keeps signing deliveries next to the new one."""

    model_config = ConfigDict(extra="forbid")

    expire_previous_after_seconds: int = Field(
        default=DEFAULT_OVERLAP_SECONDS,
        ge=0,
        le=MAX_OVERLAP_SECONDS,
        description="0 retires the old secret at once; at most 7 days.",
    )


class WebhookAttemptRead(BaseModel):
    """One HTTP attempt at a delivery."""

    model_config = ConfigDict(from_attributes=True)

    number: int
    outcome: AttemptOutcome = Field(description="`succeeded` (2xx) or `failed`.")
    status_code: int | None = Field(description="The receiver's HTTP status, if it answered.")
    duration_ms: int
    error: str | None
    started_at: datetime
    next_retry_at: datetime | None = Field(description="When the next attempt was scheduled.")


class WebhookDeliveryRead(BaseModel):
    """One event sent (or to be sent) to one endpoint, with every attempt so far."""

    id: str
    endpoint_id: str
    event_id: str
    event_type: EventType
    trigger: DeliveryTrigger = Field(description="`event` (the event happened) or `redelivery`.")
    status: DeliveryStatus = Field(description="`pending`, `delivering`, `succeeded` or `dead`.")
    attempt_count: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
    attempts: list[WebhookAttemptRead]


class RedeliveryCreate(BaseModel):
    """Which endpoint gets the event again; by default every endpoint that wants its type."""

    model_config = ConfigDict(extra="forbid")

    endpoint_id: PlainText | None = Field(default=None, max_length=40)


class RedeliveryRead(BaseModel):
    """The deliveries queued by a redelivery."""

    event_id: str
    deliveries: list[WebhookDeliveryRead]


class EventRead(BaseModel):
    """An event, exactly as webhook deliveries carry it."""

    id: str
    type: EventType
    created_at: datetime
    firm: str
    data: dict[str, Any]

    @classmethod
    def of(cls, event: Event) -> EventRead:
        return cls(
            id=event.id,
            type=EventType(event.type),
            created_at=event.created_at,
            firm=event.firm_id,
            data=event.data,
        )
