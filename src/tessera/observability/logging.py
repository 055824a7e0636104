"""Structured logs: one JSON object per line, and redaction of secrets before any line is written.

Every line has ``timestamp``, ``level`` and ``event``; lines written while a request is handled
also carry ``request_id``, ``user_id``, ``route`` and ``method``, and the access line adds
``status_code`` and ``duration_ms``.

Redaction is the last processor before rendering, so nothing escapes it: keys that name secrets
are replaced whole, and every string (exception text included) is scanned for card numbers,
bearer tokens and JWTs.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from datetime import UTC, datetime
from typing import Any

import structlog

from tessera.kit.card_numbers import find_card_number_matches
from tessera.observability.context import RequestContext, _request_context

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
