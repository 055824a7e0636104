"""The long-lived collaborators of one process, built once from the settings.

The API, the CLI and the worker all build a ``Runtime`` and hand its parts to services, so the
same code runs in each of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from tessera.config import Settings
from tessera.crypto.passwords import PasswordHashing
from tessera.crypto.tokens import AccessTokens
from tessera.crypto.vault import EnvelopeCipher
from tessera.db import Database
from tessera.kit.keyring import KeyRing
from tessera.kit.throttle import Throttles
from tessera.models.base import utcnow
from tessera.observability import Metrics
from tessera.writer import Writer


@dataclass
class Runtime:
    """Settings plus the objects built from them."""

    settings: Settings
    db: Database
    passwords: PasswordHashing
    access_tokens: AccessTokens
    keyring: KeyRing
    throttles: Throttles
    writer: Writer
    metrics: Metrics = field(default_factory=Metrics)
    clock: Callable[[], datetime] = utcnow

    def now(self) -> datetime:
        """The current time (UTC), from the clock tests can replace."""
        return self.clock()


def build_runtime(settings: Settings, *, db: Database | None = None) -> Runtime:
    """Build every collaborator from ``settings`` (secrets already resolved)."""
    database = db or Database(
        settings.database_url,
        pool_size=settings.db_pool_size,
        pool_timeout=settings.overload_deadline_seconds,
        busy_timeout_ms=settings.db_busy_timeout_ms,
    )
    return Runtime(
        settings=settings,
        db=database,
        writer=Writer(
            database,
            threads=settings.writer_thread_count,
            max_batch=settings.writer_batch_limit,
            deadline_seconds=settings.overload_deadline_seconds,
        ),
        passwords=PasswordHashing(
            time_cost=settings.argon2_time_cost,
            memory_kib=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
            concurrency=settings.password_hash_concurrency,
            queue=settings.password_hash_queue,
        ),
        access_tokens=AccessTokens(
            settings.jwt_key(),
            ttl_seconds=settings.access_token_ttl_seconds,
            issuer=settings.jwt_issuer,
        ),
        keyring=KeyRing(EnvelopeCipher(settings.master_key_bytes())),
        throttles=Throttles(
            storage_uri=settings.rate_limit_storage,
            login_per_email_address=settings.login_failures_per_email_address,
            login_per_email=settings.login_failures_per_email,
            login_per_address=settings.login_failures_per_address,
            client_per_id_address=settings.client_auth_failures_per_client_address,
            client_per_id=settings.client_auth_failures_per_client,
            client_per_address=settings.client_auth_failures_per_address,
        ),
    )
