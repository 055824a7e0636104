"""The worker side of webhooks: fan-out of new events, and sending due deliveries.

**Fan-out.** ``fan_out_events`` locks the oldest undispatched events (``FOR UPDATE SKIP
LOCKED``), writes one delivery per matching endpoint and marks the events dispatched, all in one
transaction: each event fans out exactly once however many workers run (a partial unique index
on ``(endpoint_id, event_id)`` backs this up).

**Sending.** A worker claims one endpoint at a time: in a short transaction it locks an endpoint
that nobody holds (``SKIP LOCKED``), takes a lease on it and on up to ``WEBHOOK_BATCH_SIZE`` of
its due deliveries, oldest event first, and commits. Then, outside any transaction, it POSTs
them one after the other, and after each one records the attempt in a short transaction of its
own (renewing the lease when needed). One worker per endpoint at a time is what keeps each
endpoint's events in order. A failed attempt is scheduled again (10 s doubling to 1 h, +-20 %)
until the retry window (3 days) is over, then the delivery is ``dead``. When the receiver cannot
be reached at all, the rest of the batch waits for that retry too instead of timing out one by
one.

**Crashes.** A worker that dies (``kill -9``) leaves its lease behind; when it runs out, the
endpoint and the deliveries it held are due again and another worker sends them. A delivery
whose attempt reached the receiver but was not yet recorded is sent again: delivery is
at-least-once, and receivers de-duplicate on the event ``id``.

**Stopping.** ``stop()`` lets the attempt in flight finish and be recorded, then hands the rest
of the batch back (due at once) and returns.
"""

from __future__ import annotations

import os
import random
import socket
import ssl
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy.orm import Session

from tessera.kit.ids import new_id
from tessera.models import DeliveryStatus, DeliveryTrigger
from tessera.observability import get_logger
from tessera.runtime import Runtime
from tessera.webhooks import repository, rules, transport
from tessera.webhooks.schemas import EventRead
from tessera.webhooks.service import signing_secrets
from tessera.webhooks.signature import HEADER, signature_header

log = get_logger(__name__)

FAN_OUT_BATCH = 500
# How many endpoints with due deliveries a claim looks at before giving up on this round.
CLAIM_CANDIDATES = 16


def fan_out_events(runtime: Runtime, *, limit: int = FAN_OUT_BATCH) -> int:
    """Turn up to ``limit`` new events into deliveries for the endpoints that want them;
    returns how many events were done."""
    with runtime.db.session_scope(write=False) as session:
        if not repository.has_undispatched_events(session):
            return 0
    now = runtime.now()
    with runtime.db.session_scope() as session:
        events = repository.lock_undispatched_events(session, limit=limit)
        if not events:
            return 0
        endpoints = defaultdict(list)
        for endpoint in repository.endpoints_of_firms(session, {e.firm_id for e in events}):
            endpoints[endpoint.firm_id].append(endpoint)
        rows = [
            {
                "id": new_id("whd"),
                "firm_id": event.firm_id,
                "endpoint_id": endpoint.id,
                "event_id": event.id,
                "event_type": event.type,
                "event_created_at": event.created_at,
                "trigger": DeliveryTrigger.EVENT.value,
                "status": DeliveryStatus.PENDING.value,
                "attempt_count": 0,
                "due_at": now,
                "created_at": now,
                "updated_at": now,
            }
            for event in events
            for endpoint in endpoints[event.firm_id]
            # An endpoint receives the events that happen after it was created.
            if rules.wants(endpoint.events, event.type) and endpoint.created_at <= event.created_at
        ]
        repository.insert_deliveries(session, rows)
        repository.mark_dispatched(session, [e.id for e in events], now=now)
    return len(events)


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """A delivery a worker holds, with the exact bytes it will send."""

    id: str
    firm_id: str
    event_id: str
    event_type: str
    created_at: datetime
    attempt: int
    body: bytes


@dataclass(slots=True)
class Claim:
    """An endpoint a worker holds, and the deliveries it took from it."""

    endpoint_id: str
    url: str
    secrets: list[str]
    token: str
    lease_expires_at: datetime
    deliveries: list[ClaimedDelivery]


def lease_owner() -> str:
    """Who holds a lease: host and process id (read by operators, and by the crash test)."""
    return f"{socket.gethostname()[:40]}/{os.getpid()}"


def claim_endpoint(runtime: Runtime) -> Claim | None:
    """Take an endpoint nobody holds and its oldest due deliveries; None when nothing is due."""
    now = runtime.now()
    with runtime.db.session_scope(write=False) as session:
        if not repository.has_due_deliveries(session, now=now):
            return None
    settings = runtime.settings
    with runtime.db.session_scope() as session:
        candidates = repository.endpoints_with_due_deliveries(
            session, now=now, limit=CLAIM_CANDIDATES
        )
        for endpoint_id in candidates:
            endpoint = repository.lock_free_endpoint(session, endpoint_id, now=now)
            if endpoint is None:
                continue
            rows = repository.lock_due_deliveries(
                session, endpoint.id, now=now, limit=settings.webhook_batch_size
            )
            if not rows:
                continue
            token = f"{lease_owner()}/{new_id('lease')}"
            until = now + timedelta(seconds=settings.webhook_lease_seconds)
            repository.set_lease(
                session, endpoint.id, token=token, until=until, delivery_ids=[r.id for r in rows]
            )
            events = repository.events_by_id(session, {r.event_id for r in rows})
            return Claim(
                endpoint_id=endpoint.id,
                url=endpoint.url,
                secrets=signing_secrets(session, runtime.keyring, endpoint, now=now),
                token=token,
                lease_expires_at=until,
                deliveries=[
                    ClaimedDelivery(
                        id=row.id,
                        firm_id=row.firm_id,
                        event_id=row.event_id,
                        event_type=row.event_type,
                        created_at=row.created_at,
                        attempt=row.attempt_count + 1,
                        body=EventRead.of(events[row.event_id]).model_dump_json().encode(),
                    )
                    for row in rows
                ],
            )
    return None


def _headers(claim: Claim, delivery: ClaimedDelivery, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        HEADER: signature_header(claim.secrets, timestamp, delivery.body),
        "Tessera-Event-Id": delivery.event_id,
        "Tessera-Event-Type": delivery.event_type,
        "Tessera-Delivery-Id": delivery.id,
        "Tessera-Delivery-Attempt": str(delivery.attempt),
    }


@dataclass(frozen=True, slots=True)
class Recorded:
    """What recording an attempt decided."""

    keep_going: bool  # False once the claim is no longer this worker's
    next_attempt_at: datetime | None


def record_attempt(
    runtime: Runtime,
    claim: Claim,
    delivery: ClaimedDelivery,
    outcome: transport.Outcome,
    *,
    started_at: datetime,
) -> Recorded:
    """Log the attempt and move the delivery on (succeeded, retry later, or dead)."""
    settings = runtime.settings
    now = runtime.now()
    next_at: datetime | None = None
    if outcome.succeeded:
        status = DeliveryStatus.SUCCEEDED
    else:
        next_at = rules.next_attempt_at(
            now=now,
            created_at=delivery.created_at,
            attempt=delivery.attempt,
            base=settings.webhook_retry_base_seconds,
            maximum=settings.webhook_retry_max_seconds,
            window=settings.webhook_retry_window_seconds,
            randomness=random.random(),  # noqa: S311 - jitter, not a secret  # nosec B311
        )
        status = DeliveryStatus.PENDING if next_at is not None else DeliveryStatus.DEAD
    with runtime.db.session_scope() as session:
        still_ours = repository.finish_attempt(
            session,
            delivery.id,
            token=claim.token,
            status=status.value,
            attempt_count=delivery.attempt,
            due_at=next_at,
            last_attempt_at=started_at,
            last_status_code=outcome.status_code,
            last_error=outcome.error,
            delivered_at=now if outcome.succeeded else None,
            updated_at=now,
        )
        if not still_ours:
            log.warning(
                "webhook_claim_lost", delivery_id=delivery.id, endpoint_id=claim.endpoint_id
            )
            return Recorded(keep_going=False, next_attempt_at=next_at)
        repository.add_attempt(
            session,
            {
                "id": new_id("wha"),
                "firm_id": delivery.firm_id,
                "delivery_id": delivery.id,
                "number": delivery.attempt,
                "outcome": "succeeded" if outcome.succeeded else "failed",
                "status_code": outcome.status_code,
                "duration_ms": outcome.duration_ms,
                "error": outcome.error,
                "started_at": started_at,
                "next_retry_at": next_at,
            },
        )
        keep_going = _renew_if_short(runtime, session, claim, now)
    runtime.metrics.webhook_attempts.labels(
        "succeeded" if outcome.succeeded else (outcome.failure or "failed")
    ).inc()
    runtime.metrics.webhook_attempt_duration.observe(outcome.duration_ms / 1000)
    log.info(
        "webhook_attempt",
        delivery_id=delivery.id,
        endpoint_id=claim.endpoint_id,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        attempt=delivery.attempt,
        status_code=outcome.status_code,
        duration_ms=outcome.duration_ms,
        outcome=status.value,
        error=outcome.error,
        next_attempt_at=next_at.isoformat() if next_at else None,
    )
    return Recorded(keep_going=keep_going, next_attempt_at=next_at)


def _renew_if_short(runtime: Runtime, session: Session, claim: Claim, now: datetime) -> bool:
    """Extend the lease when what is left might not cover one more attempt."""
    settings = runtime.settings
    lease = settings.webhook_lease_seconds
    one_attempt = (
        settings.webhook_connect_timeout_seconds + 2 * settings.webhook_read_timeout_seconds
    )
    left = (claim.lease_expires_at - now).total_seconds()
    if left >= max(lease / 2, one_attempt):
        return True
    until = now + timedelta(seconds=lease)
    if not repository.renew_lease(session, claim.endpoint_id, token=claim.token, until=until):
        return False
    claim.lease_expires_at = until
    return True


def release_claim(runtime: Runtime, claim: Claim, *, due_at: datetime) -> int:
    """Hand back the endpoint and the deliveries not sent; returns how many went back."""
    with runtime.db.session_scope() as session:
        return repository.release(
            session, claim.endpoint_id, token=claim.token, due_at=due_at, now=runtime.now()
        )


def send_claim(
    runtime: Runtime, client: httpx.Client, claim: Claim, *, stop: threading.Event
) -> int:
    """POST the claimed deliveries in order; returns how many attempts were made."""
    attempts = 0
    due_again: datetime | None = None
    try:
        for delivery in claim.deliveries:
            if stop.is_set():
                break
            started_at = runtime.now()
            try:
                outcome = transport.post(
                    client,
                    claim.url,
                    body=delivery.body,
                    headers=_headers(claim, delivery, int(started_at.timestamp())),
                )
            except Exception as exc:
                # A bug or a stored value nothing expected: a failed attempt with its backoff,
                # not an exception that ends the job and brings the delivery straight back.
                log.warning(
                    "webhook_attempt_crashed",
                    delivery_id=delivery.id,
                    endpoint_id=claim.endpoint_id,
                    error_type=type(exc).__name__,
                )
                outcome = transport.unexpected_failure(exc)
            attempts += 1
            recorded = record_attempt(runtime, claim, delivery, outcome, started_at=started_at)
            if not recorded.keep_going:
                break
            if outcome.receiver_unreachable:
                # The others would only time out one after the other: they wait for the retry.
                due_again = recorded.next_attempt_at
                break
    finally:
        try:
            release_claim(runtime, claim, due_at=due_again or runtime.now())
        except Exception:
            # The lease runs out by itself; another worker then picks the deliveries up.
            log.exception("webhook_release_failed", endpoint_id=claim.endpoint_id)
    return attempts


class WebhookSender:
    """The worker job that sends due deliveries, serving up to ``WEBHOOK_CONCURRENCY``
    endpoints at once (one thread each)."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._ssl_context: ssl.SSLContext | None = None

    def stop(self) -> None:
        """Finish the attempts in flight, hand back the rest, and return."""
        self._stop.set()

    def _client(self, runtime: Runtime) -> httpx.Client:
        if self._ssl_context is None:
            self._ssl_context = transport.new_ssl_context()
        settings = runtime.settings
        return transport.new_client(
            allow_private=settings.allow_private_webhooks,
            connect_timeout=settings.webhook_connect_timeout_seconds,
            read_timeout=settings.webhook_read_timeout_seconds,
            ssl_context=self._ssl_context,
            max_connections=settings.webhook_concurrency,
        )

    def run(self, runtime: Runtime) -> int:
        """Send until nothing is due (or until stopped); returns the attempts made."""
        if self._stop.is_set():
            return 0
        first = claim_endpoint(runtime)
        if first is None:
            return 0
        with self._client(runtime) as client:
            helpers = runtime.settings.webhook_concurrency - 1
            if helpers == 0:
                return self._drain(runtime, client, first)
            with ThreadPoolExecutor(helpers, thread_name_prefix="tessera-webhooks") as pool:
                others = [pool.submit(self._drain, runtime, client, None) for _ in range(helpers)]
                done = self._drain(runtime, client, first)
                return done + sum(f.result() for f in others)

    def _drain(self, runtime: Runtime, client: httpx.Client, claim: Claim | None) -> int:
        done = 0
        while not self._stop.is_set():
            if claim is None:
                claim = claim_endpoint(runtime)
                if claim is None:
                    break
            done += send_claim(runtime, client, claim, stop=self._stop)
            claim = None
        if claim is not None:
            release_claim(runtime, claim, due_at=runtime.now())
        return done
