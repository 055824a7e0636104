"""Structured logs, the request id, redaction of secrets, and Prometheus metrics.

Every log line is one JSON object with ``timestamp``, ``level`` and ``event``; lines written while
a request is handled also carry ``request_id``, ``user_id``, ``route`` and ``method``, and the
access line adds ``status_code`` and ``duration_ms``. The request context is one mutable object
in a context variable, so the auth dependency (which runs in a worker thread) can fill in the user
for the lines that follow.

Redaction is the last processor before rendering, so nothing escapes it: keys that name secrets
are replaced whole, and every string (exception text included) is scanned for card numbers,
bearer tokens and JWTs.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Mapping, MutableMapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tessera.kit.card_numbers import find_card_number_matches
from tessera.kit.forwarded import IPNetwork, client_address, is_trusted_proxy

REDACTED = "[REDACTED]"

SENSITIVE_KEYS = frozenset(
    {
        "password",
        "new_password",
        "password_hash",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "client_secret",
        "secret",
        "authorization",
        "cookie",
        "set-cookie",
        "card_number",
        "pan",
        "cvv",
        "cvc",
        "key_passphrase",
        "private_key",
        "private_key_pem",
        "master_key",
        "jwt_secret",
    }
)

_ANY_DIGIT = re.compile(r"[0-9]").search
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+")
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _mask_card_numbers(text: str) -> str:
    # The one scanner (``tessera.kit.card_numbers``), so the redactor and the leak-scanning
    # tests agree on what a card number is; here also inside words ("tok_4111...").
    matches = find_card_number_matches(text, within_words=True)
    if not matches:
        return text
    pieces: list[str] = []
    end = 0
    for match in matches:
        pieces.append(text[end : match.start])
        pieces.append(REDACTED)
        end = match.end
    pieces.append(text[end:])
    return "".join(pieces)


def redact_text(text: str) -> str:
    """Mask card numbers, JWTs and bearer tokens inside free text."""
    if _ANY_DIGIT(text):
        text = _mask_card_numbers(text)
    if "eyJ" in text:
        text = _JWT.sub(REDACTED, text)
    if "earer" in text:
        text = _BEARER.sub("Bearer " + REDACTED, text)
    return text


def redact_value(key: str | None, value: Any) -> Any:
    """Redact one value, recursing into mappings and sequences."""
    if key is not None and key.lower() in SENSITIVE_KEYS and value is not None:
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_value(None, v) for v in value]
    return value


def redact_processor(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: the guarantee that no secret reaches a log line."""
    return {key: redact_value(key, value) for key, value in event_dict.items()}


@dataclass
class RequestContext:
    """What every log line of one request carries."""

    request_id: str
    method: str
    route: str | None = None
    user_id: str | None = None
    client_ip: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # The ASGI scope, where routing leaves the matched route: read when a line is written, so no
    # per-request dependency has to copy the template here.
    scope: Scope | None = field(default=None, repr=False)

    def route_template(self) -> str | None:
        """The matched route's template (``/v1/accounts/{account_id}``), once routing ran."""
        if self.route is None and self.scope is not None:
            path = getattr(self.scope.get("route"), "path", None)
            if isinstance(path, str):
                return path
        return self.route


_request_context: ContextVar[RequestContext | None] = ContextVar(
    "tessera_request_context", default=None
)


def current_request() -> RequestContext | None:
    """The context of the request being handled, if any."""
    return _request_context.get()


def client_ip() -> str | None:
    """The caller's address for this request: the one source for rate limits and the audit log.

    ``RequestContextMiddleware`` works it out once per request (see ``tessera.kit.forwarded``).
    """
    ctx = _request_context.get()
    return ctx.client_ip if ctx else None


def current_request_id() -> str | None:
    """The id of the request being handled, if any."""
    ctx = _request_context.get()
    return ctx.request_id if ctx else None


def bind_user(user_id: str) -> None:
    """Record the authenticated user for the rest of this request's log lines."""
    ctx = _request_context.get()
    if ctx is not None:
        ctx.user_id = user_id


def _add_request_context(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    ctx = _request_context.get()
    if ctx is not None:
        event_dict.setdefault("request_id", ctx.request_id)
        event_dict.setdefault("user_id", ctx.user_id)
        event_dict.setdefault("route", ctx.route_template())
        event_dict.setdefault("method", ctx.method)
    return event_dict


class JsonLineHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The one handler: lines from logging and structlog, and the access line written directly."""

    def write_line(self, line: str) -> None:
        """Write one already rendered line, under the handler's lock like any record."""
        with self.lock:  # type: ignore[union-attr]
            self.stream.write(line + self.terminator)
            self.flush()


_root = logging.getLogger()
_access_logger = logging.getLogger("tessera.access")
_dumps = json.JSONEncoder(separators=(", ", ": "), default=str).encode


def write_access_line(ctx: RequestContext, *, status_code: int, duration_ms: float) -> None:
    """The request's access line: the same JSON object structlog would render, rendered here.

    Written once per request, it went through structlog, the standard library's record and
    formatter machinery and back: about a tenth of a small request's cost (bench/README.md).
    Redaction still runs on it, as on every line.
    """
    handler = next((h for h in _root.handlers if isinstance(h, JsonLineHandler)), None)
    if handler is None or not _access_logger.isEnabledFor(logging.INFO):
        get_logger("tessera.access").info(
            "request", status_code=status_code, duration_ms=duration_ms
        )
        return
    event: dict[str, Any] = {
        "status_code": status_code,
        "duration_ms": duration_ms,
        "route": ctx.route_template(),
        "event": "request",
        "level": "info",
        "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "request_id": ctx.request_id,
        "user_id": ctx.user_id,
        "method": ctx.method,
    }
    bound = structlog.contextvars.get_contextvars()
    if bound:
        event = {**bound, **event}
    handler.write_line(_dumps(redact_processor(None, "info", event)))


def configure_logging(level: str = "INFO", *, stream: Any = None) -> None:
    """Send structlog and the standard library's logging through one JSON renderer."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
        _add_request_context,
    ]
    renderer_chain: list[Any] = [
        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
        structlog.processors.format_exc_info,
        redact_processor,
        structlog.processors.JSONRenderer(),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared, processors=renderer_chain
    )
    handler = JsonLineHandler(stream or sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Our middleware writes the access line (with the route template, never the raw path, which
    # can hold a card number in the legacy `/api/v1/credit-card/{number}` route).
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error", "sqlalchemy", "alembic"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # HTTP client libraries log every request line (URLs can carry tokens): keep them quiet.
    for name in ("httpx", "httpcore", "httpx2", "httpcore2", "hpack", "multipart"):
        logging.getLogger(name).setLevel("WARNING")


def get_logger(name: str | None = None) -> Any:
    """A structlog logger."""
    return structlog.get_logger(name)


class Metrics:
    """The service's Prometheus metrics, on their own registry (one per app)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "tessera_http_requests",
            "HTTP requests handled, by route template, method and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "tessera_http_request_duration_seconds",
            "HTTP request latency by route template and method.",
            ["method", "route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.money_movements = Counter(
            "tessera_money_movements",
            "Committed money movements by type.",
            ["type"],
            registry=self.registry,
        )
        self.logins = Counter(
            "tessera_logins", "Login attempts by outcome.", ["outcome"], registry=self.registry
        )
        self.webhook_attempts = Counter(
            "tessera_webhook_attempts",
            "Webhook delivery attempts, by outcome (succeeded or why they failed).",
            ["outcome"],
            registry=self.registry,
        )
        self.webhook_attempt_duration = Histogram(
            "tessera_webhook_attempt_duration_seconds",
            "How long webhook delivery attempts took.",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    return "unmatched"


class RequestContextMiddleware:
    """Pure ASGI middleware: request id in and out, timing, the access line and metrics."""

    def __init__(
        self, app: ASGIApp, *, metrics: Metrics, trusted_proxies: Sequence[IPNetwork] = ()
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.trusted_proxies = tuple(trusted_proxies)
        self.log = get_logger("tessera.access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _SANE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        client = scope.get("client")
        peer = client[0] if client else None
        ctx = RequestContext(
            request_id=request_id,
            method=scope["method"],
            scope=scope,
            client_ip=client_address(
                peer, _headers(scope, b"x-forwarded-for"), self.trusted_proxies
            ),
        )
        if is_trusted_proxy(peer, self.trusted_proxies):
            # TLS ends at the proxy; it says which scheme the client used.
            proto = (_header(scope, b"x-forwarded-proto") or "").strip().lower()
            if proto in ("http", "https"):
                scope["scheme"] = proto
        token = _request_context.set(ctx)
        scope.setdefault("state", {})["request_id"] = request_id
        status_code = 500
        started = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            duration = time.perf_counter() - started
            route = _route_template(scope)
            ctx.route = route
            self.metrics.requests.labels(scope["method"], route, str(status_code)).inc()
            self.metrics.latency.labels(scope["method"], route).observe(duration)
            write_access_line(ctx, status_code=status_code, duration_ms=round(duration * 1000, 2))
            _request_context.reset(token)


def _headers(scope: Scope, name: bytes) -> list[str]:
    return [
        bytes(value).decode("latin-1") for key, value in scope.get("headers", []) if key == name
    ]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            try:
                return bytes(value).decode("latin-1")
            except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes every byte
                return None
    return None
