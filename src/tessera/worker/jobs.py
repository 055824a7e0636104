"""The jobs every worker runs; each feature contributes its own."""

from __future__ import annotations

from tessera.certificates import jobs as certificate_jobs
from tessera.kit import idempotency
from tessera.runtime import Runtime
from tessera.vault import rotation
from tessera.webhooks.dispatch import WebhookSender, fan_out_events
from tessera.worker.runner import Job


def purge_idempotency_keys(runtime: Runtime) -> int:
    """Forget idempotency keys older than 24 hours."""
    with runtime.db.session_scope() as session:
        idempotency.purge_expired(session, now=runtime.now())
    # Never report work done: one pass clears everything that is due.
    return 0


def rotate_vault_keys(runtime: Runtime) -> int:
    """Move one batch of vault cards to the new master key of a running rotation."""
    return rotation.rotation_step(runtime.db, runtime.keyring, clock=runtime.now)


def process_delivery_imports(runtime: Runtime) -> int:
    """Run one queued (or abandoned) uploaded courier file import."""
    from tessera.deliveries.imports.orchestrator import process_next_upload

    return process_next_upload(runtime)


def default_jobs() -> list[Job]:
    """Every job, in the order a worker runs them."""
    webhooks = WebhookSender()
    return [
        Job("purge_idempotency_keys", purge_idempotency_keys, interval_seconds=3600),
        Job("rotate_vault_keys", rotate_vault_keys, interval_seconds=5),
        Job(
            "scan_expiring_certificates",
            certificate_jobs.scan_expiring_certificates,
            interval_seconds=certificate_jobs.EXPIRY_SCAN_INTERVAL_SECONDS,
        ),
        Job(
            "refresh_crls",
            certificate_jobs.refresh_crls,
            interval_seconds=certificate_jobs.CRL_REFRESH_INTERVAL_SECONDS,
        ),
        Job("fan_out_webhook_events", fan_out_events, interval_seconds=1),
        Job("send_webhooks", webhooks.run, interval_seconds=1, stop=webhooks.stop),
        Job("process_delivery_imports", process_delivery_imports, interval_seconds=2),
    ]
