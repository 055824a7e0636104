"""The jobs every worker runs; each feature contributes its own."""

from __future__ import annotations

from tessera.kit import idempotency
from tessera.runtime import Runtime
from tessera.worker.runner import Job


def purge_idempotency_keys(runtime: Runtime) -> int:
    """Forget idempotency keys older than 24 hours."""
    with runtime.db.session_scope() as session:
        idempotency.purge_expired(session, now=runtime.now())
    # Never report work done: one pass clears everything that is due.
    return 0


def process_delivery_imports(runtime: Runtime) -> int:
    """Run one queued (or abandoned) uploaded courier file import."""
    from tessera.deliveries.importer import process_next_upload

    return process_next_upload(runtime)


def default_jobs() -> list[Job]:
    """Every job, in the order a worker runs them."""
    return [
        Job("purge_idempotency_keys", purge_idempotency_keys, interval_seconds=3600),
        Job("process_delivery_imports", process_delivery_imports, interval_seconds=2),
    ]
