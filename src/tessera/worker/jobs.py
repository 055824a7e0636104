"""The jobs every worker runs; each feature contributes its own."""

from __future__ import annotations

from tessera.kit import idempotency
from tessera.runtime import Runtime
from tessera.webhooks.dispatch import WebhookSender, fan_out_events
from tessera.worker.runner import Job


def purge_idempotency_keys(runtime: Runtime) -> int:
    """Forget idempotency keys older than 24 hours."""
    with runtime.db.session_scope() as session:
        idempotency.purge_expired(session, now=runtime.now())
    # Never report work done: one pass clears everything that is due.
    return 0


def default_jobs() -> list[Job]:
    """Every job, in the order a worker runs them."""
    webhooks = WebhookSender()
    return [
        Job("purge_idempotency_keys", purge_idempotency_keys, interval_seconds=3600),
        Job("fan_out_webhook_events", fan_out_events, interval_seconds=1),
        Job("send_webhooks", webhooks.run, interval_seconds=1, stop=webhooks.stop),
    ]
