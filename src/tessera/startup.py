"""What the service checks before it accepts requests, and the embedded worker."""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError

from tessera.certificates import authority
from tessera.migrations import current_revisions, head_revisions
from tessera.observability import get_logger
from tessera.runtime import Runtime
from tessera.worker.jobs import default_jobs
from tessera.worker.runner import Worker

log = get_logger(__name__)


class NotReady(RuntimeError):
    """The service must not start; the message says why in one line."""


def check_database(runtime: Runtime) -> None:
    """Fail fast unless the database answers and its schema is at the latest migration."""
    try:
        runtime.db.ping()
    except (SQLAlchemyError, OSError) as exc:
        raise NotReady(
            f"the database at DATABASE_URL does not answer ({type(exc).__name__})"
        ) from exc
    current = current_revisions(runtime.db.engine)
    heads = head_revisions()
    if current != heads:
        raise NotReady(
            f"the database at DATABASE_URL has schema {sorted(current) or 'none'} but the code "
            f"needs {sorted(heads)}: run `tessera migrate` (or set DATABASE_URL)"
        )


def check_ready(runtime: Runtime) -> None:
    """Fail fast unless the database answers and its schema is at the latest migration.

    Then make sure the master key and the certificate authority exist (created on first start).
    """
    check_database(runtime)
    with runtime.db.session_scope() as session:
        runtime.keyring.active_version(session)
        authority.ensure_authority(session, runtime.keyring, now=runtime.now())


def start_embedded_worker(runtime: Runtime) -> Worker:
    """Start the background worker on a thread of the API process."""
    worker = Worker(runtime, default_jobs())
    worker.start_thread()
    return worker
