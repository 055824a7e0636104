"""Structured logs, the request id, redaction of secrets, and Prometheus metrics.

- ``context``: the request being handled (its id, user, route and the caller's address);
- ``logging``: one JSON object per line, redaction, and the access line's fast path;
- ``metrics``: the Prometheus metrics;
- ``middleware``: the ASGI middleware that ties them to each request.

The names below are the package's public surface; import them from here.
"""

from __future__ import annotations

from tessera.observability.context import (
    RequestContext,
    bind_user,
    client_ip,
    current_request,
    current_request_id,
)
from tessera.observability.logging import (
    REDACTED,
    SENSITIVE_KEYS,
    JsonLineHandler,
    configure_logging,
    get_logger,
    redact_processor,
    redact_text,
    redact_value,
    write_access_line,
)
from tessera.observability.metrics import Metrics
from tessera.observability.middleware import RequestContextMiddleware

__all__ = [
    "REDACTED",
    "SENSITIVE_KEYS",
    "JsonLineHandler",
    "Metrics",
    "RequestContext",
    "RequestContextMiddleware",
    "bind_user",
    "client_ip",
    "configure_logging",
    "current_request",
    "current_request_id",
    "get_logger",
    "redact_processor",
    "redact_text",
    "redact_value",
    "write_access_line",
]
