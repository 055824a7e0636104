"""Settings, read once from the environment (and `.env`), validated at start-up.

In production a missing or weak secret stops the service with one line naming the variable. In
development the secrets are generated once and kept under ``var_dir`` with mode 0600, so data that
was encrypted and sessions that were issued survive a restart. Tests pass their own values.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from tessera.kit.forwarded import IPNetwork, parse_networks

MIN_JWT_SECRET_LENGTH = 32
MASTER_KEY_BYTES = 32


class AppEnv(StrEnum):
    DEV = "dev"
    TEST = "test"
    PROD = "prod"


class ConfigError(Exception):
    """A setting that stops start-up; its message is one line that names the variable."""


class Settings(BaseSettings):
    """Everything the service reads from its environment."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    app_env: AppEnv = AppEnv.DEV
    database_url: str = "sqlite:///./var/tessera.db"
    jwt_secret: SecretStr | None = None
    master_key: SecretStr | None = Field(default=None, alias="TESSERA_MASTER_KEY")
    log_level: str = "INFO"
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    host: str = "127.0.0.1"
    port: int = 8000
    var_dir: Path = Path("./var")

    access_token_ttl_seconds: int = Field(default=900, ge=30, le=86_400)
    refresh_token_ttl_seconds: int = Field(default=30 * 86_400, ge=60)
    # The web app's refresh cookies are Secure; browsers keep them on http://127.0.0.1 and
    # http://localhost too. False only for plain http on another address (see auth/cookies.py).
    refresh_cookie_secure: bool = True
    # Every client reaches the service over https (TLS ends at a proxy that is not in
    # TRUSTED_PROXIES, so the request scheme cannot tell): send HSTS on every answer.
    served_over_tls: bool = False
    jwt_issuer: str = "tessera"

    # argon2id parameters; the defaults are argon2-cffi's RFC 9106 "low memory" profile.
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65_536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)
    # How many password hashes may run at once; the rest wait instead of starving other requests.
    password_hash_concurrency: int = Field(default=2, ge=1)

    # Hashes waiting for a free slot beyond those running; a login that finds the queue full is
    # answered 503 with Retry-After at once instead of waiting behind a burst.
    password_hash_queue: int = Field(default=16, ge=0)

    # Failed authentications are limited per (subject, address), so that an attacker elsewhere
    # cannot lock a user or client out, with a higher ceiling per subject across all addresses
    # and a limit per address across subjects. Each attempt is counted before it is checked.
    rate_limit_storage: str = "memory://"
    login_failures_per_email_address: str = "5/5 minutes"
    login_failures_per_email: str = "50/5 minutes"
    login_failures_per_address: str = "20/5 minutes"
    client_auth_failures_per_client_address: str = "10/5 minutes"
    client_auth_failures_per_client: str = "100/5 minutes"
    client_auth_failures_per_address: str = "20/5 minutes"
    # Proxies (IPs or CIDRs, comma-separated) whose X-Forwarded-For and X-Forwarded-Proto are
    # believed; from anyone else those headers are ignored.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)

    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    max_upload_bytes: int = Field(default=50 * 1_048_576, ge=1024)
    # Courier files up to this size are imported while the upload waits (201); larger ones are
    # queued for the worker (202). Rows are committed this many at a time.
    delivery_sync_max_bytes: int = Field(default=1_048_576, ge=0)
    delivery_batch_rows: int = Field(default=5_000, ge=1, le=50_000)
    # Local files (CLI, watcher) from this size on are parsed by a child process, on another core.
    delivery_parallel_parse_min_bytes: int = Field(default=4 * 1_048_576, ge=0)

    # What a new firm starts with: phone numbers without a country code (customers', couriers')
    # are read in this region, courier timestamps without a zone in this time zone. Each courier
    # partner can have its own (`tessera deliveries partners set`).
    default_phone_region: str = "AE"
    default_timezone: str = "Asia/Dubai"

    run_worker_in_process: bool = True
    # Worker processes of the production server (`tessera serve --prod`); unset, one per core.
    web_concurrency: int | None = Field(default=None, ge=1, le=64)
    # On SIGTERM a server stops accepting, lets requests in flight finish for up to this many
    # seconds, then stops (keep it below the orchestrator's own grace period).
    shutdown_grace_seconds: int = Field(default=20, ge=1, le=600)

    # Under load (ARCHITECTURE.md, "Under load"). One number sizes the request path: at most
    # MAX_CONCURRENCY requests are handled at once per process; the thread pool and the database
    # pool are sized from it, so an admitted request never waits for a thread or a connection.
    max_concurrency: int = Field(default=64, ge=1, le=1024)
    # A request that cannot start within this many seconds (all slots busy, or the writer's
    # queue too long) is answered 503 with Retry-After instead of waiting.
    overload_deadline_seconds: float = Field(default=2.0, gt=0, le=30)
    # The writer (ARCHITECTURE.md, "Under load"). Unset, both follow the database, as measured
    # by `make bench`: SQLite has one writer thread that commits up to 256 requests in one
    # transaction (group commit); PostgreSQL has four threads with a transaction per request,
    # whose round trips overlap while row locks order them. Several threads batching on
    # PostgreSQL could deadlock batch against batch, so more than one thread means batches of 1.
    writer_threads: int | None = Field(default=None, ge=1, le=64)
    writer_max_batch: int | None = Field(default=None, ge=1, le=10_000)
    # SQLite only: how long a writer from another process (the CLI, a second server) waits for
    # the file's write lock. Inside one process writers queue in Python and never reach this.
    db_busy_timeout_ms: int = Field(default=5_000, ge=0)

    # Webhooks. Private, loopback and link-local destinations are refused (SSRF guard) unless
    # WEBHOOK_ALLOW_PRIVATE is true; unset, it is true in dev and test only.
    webhook_allow_private: bool | None = None
    webhook_connect_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    webhook_read_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    webhook_retry_base_seconds: float = Field(default=10.0, gt=0)
    webhook_retry_max_seconds: float = Field(default=3600.0, gt=0)
    webhook_retry_window_seconds: float = Field(default=3 * 86_400.0, gt=0)
    # How long a worker's claim on an endpoint lasts without news; a worker that died (kill -9)
    # loses its claim after this long and another worker resends what it had taken.
    webhook_lease_seconds: float = Field(default=60.0, gt=0)
    webhook_batch_size: int = Field(default=20, ge=1, le=500)
    # Endpoints one worker process serves at once (threads); each endpoint gets one at a time.
    webhook_concurrency: int = Field(default=4, ge=1, le=64)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [item.strip() for item in value.split(",") if item.strip()]
        for item in value:
            try:
                parse_networks([item])
            except ValueError as exc:
                raise ValueError(
                    "TRUSTED_PROXIES must list IP addresses or CIDR networks, comma-separated"
                ) from exc
        return value

    @field_validator("log_level")
    @classmethod
    def _upper_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("default_phone_region")
    @classmethod
    def _phone_region(cls, value: str) -> str:
        import phonenumbers  # deferred: most commands never read a phone number

        region = value.strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError("DEFAULT_PHONE_REGION must be a region such as AE or GB")
        return region

    @field_validator("default_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value.strip())
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                "DEFAULT_TIMEZONE must be an IANA time zone such as Asia/Dubai"
            ) from exc
        return value.strip()

    @field_validator("database_url")
    @classmethod
    def _driver(cls, value: str) -> str:
        # One spelling per database: psycopg 3 for PostgreSQL, the stdlib driver for SQLite.
        for prefix in ("postgresql://", "postgres://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        return value

    @model_validator(mode="after")
    def _webhook_lease_outlasts_a_delivery(self) -> Settings:
        budget = 2 * self.webhook_read_timeout_seconds + self.webhook_connect_timeout_seconds
        if self.webhook_lease_seconds <= budget:
            raise ValueError(
                "WEBHOOK_LEASE_SECONDS must be longer than WEBHOOK_CONNECT_TIMEOUT_SECONDS "
                "plus twice WEBHOOK_READ_TIMEOUT_SECONDS"
            )
        return self

    @property
    def allow_private_webhooks(self) -> bool:
        """Whether webhooks may go to private, loopback and link-local addresses."""
        if self.webhook_allow_private is not None:
            return self.webhook_allow_private
        return self.app_env in (AppEnv.DEV, AppEnv.TEST)

    @property
    def trusted_proxy_networks(self) -> tuple[IPNetwork, ...]:
        """``trusted_proxies`` as networks."""
        return parse_networks(self.trusted_proxies)

    @property
    def writer_thread_count(self) -> int:
        """The writer's threads: WRITER_THREADS, or 1 on SQLite (one writer) and 4 otherwise."""
        if self.is_sqlite:
            return 1  # SQLite has one write lock: a second thread could only wait for it
        return self.writer_threads or 4

    @property
    def writer_batch_limit(self) -> int:
        """Units per writer transaction: WRITER_MAX_BATCH, or 256 with one thread, else 1."""
        if self.writer_thread_count > 1:
            return 1
        return self.writer_max_batch or 256

    @property
    def db_pool_size(self) -> int:
        """Connections per process: one per concurrent request, each writer thread, the event
        loop's reads and, when it runs in this process, every thread of the worker."""
        worker = self.webhook_concurrency + 1 if self.run_worker_in_process else 0
        return self.max_concurrency + self.writer_thread_count + 1 + worker

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def is_production(self) -> bool:
        return self.app_env is AppEnv.PROD

    def jwt_key(self) -> str:
        """The HS256 signing secret; `resolve_secrets` has made sure it is present."""
        if self.jwt_secret is None:
            raise ConfigError("JWT_SECRET is not set")
        return self.jwt_secret.get_secret_value()

    def master_key_bytes(self) -> bytes:
        """The 32-byte root key that wraps the vault's master keys."""
        if self.master_key is None:
            raise ConfigError("TESSERA_MASTER_KEY is not set")
        return decode_master_key(self.master_key.get_secret_value())


def decode_master_key(value: str) -> bytes:
    """Decode a base64 (standard or URL-safe) 32-byte key, or raise ConfigError."""
    try:
        raw = base64.urlsafe_b64decode(value.strip().replace("+", "-").replace("/", "_"))
    except (binascii.Error, ValueError) as exc:
        raise ConfigError(
            "TESSERA_MASTER_KEY must be 32 random bytes, base64-encoded "
            "(generate one with `tessera keys generate`)"
        ) from exc
    if len(raw) != MASTER_KEY_BYTES or len(set(raw)) < 8:
        raise ConfigError(
            "TESSERA_MASTER_KEY must be 32 random bytes, base64-encoded "
            "(generate one with `tessera keys generate`)"
        )
    return raw


def new_master_key() -> str:
    """A fresh random master key in the form TESSERA_MASTER_KEY expects."""
    return base64.urlsafe_b64encode(secrets.token_bytes(MASTER_KEY_BYTES)).decode()


def _weak_jwt_secret(value: str) -> bool:
    return len(value) < MIN_JWT_SECRET_LENGTH or len(set(value)) < 8


def _read_or_create_secret(path: Path, make: Any) -> str:
    """Return the secret kept in ``path``, creating it with mode 0600 on first use."""
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value: str = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value


def resolve_secrets(settings: Settings) -> Settings:
    """Fill in or check the secrets for the environment; raise ConfigError when one is unusable.

    Production refuses to start without strong secrets. Development keeps generated secrets in
    ``var_dir`` so that restarts keep sessions and encrypted data readable. Tests get fresh
    random secrets unless they pass their own.
    """
    updates: dict[str, Any] = {}
    jwt_value = settings.jwt_secret.get_secret_value() if settings.jwt_secret else None
    master_value = settings.master_key.get_secret_value() if settings.master_key else None

    if settings.is_production:
        if not jwt_value or _weak_jwt_secret(jwt_value):
            raise ConfigError(
                f"JWT_SECRET is missing or weak: set at least {MIN_JWT_SECRET_LENGTH} random "
                "characters in production"
            )
        if not master_value:
            raise ConfigError("TESSERA_MASTER_KEY is missing: production needs a 32-byte key")
        decode_master_key(master_value)
        return settings

    if jwt_value is None:
        if settings.app_env is AppEnv.DEV:
            jwt_value = _read_or_create_secret(
                settings.var_dir / "jwt_secret", lambda: secrets.token_urlsafe(48)
            )
        else:
            jwt_value = secrets.token_urlsafe(48)
        updates["jwt_secret"] = SecretStr(jwt_value)
    if master_value is None:
        if settings.app_env is AppEnv.DEV:
            master_value = _read_or_create_secret(settings.var_dir / "master.key", new_master_key)
        else:
            master_value = new_master_key()
        updates["master_key"] = SecretStr(master_value)
    decode_master_key(master_value)
    return settings.model_copy(update=updates) if updates else settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, with secrets resolved (cached)."""
    return resolve_secrets(Settings())
