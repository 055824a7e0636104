"""HTTP plumbing under every route: the error envelope, the 500 guard, body size limits, the
security headers of every answer and the guard against control characters in paths and queries."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tessera.errors import FieldError, PayloadTooLarge, TesseraError, ValidationFailed
from tessera.kit.text import CONTROL_CHARACTER, CONTROL_CHARACTER_MESSAGE, has_control_character
from tessera.observability import current_request_id, get_logger

log = get_logger(__name__)

UPLOAD_PATH_PREFIXES = ("/v1/deliveries/imports",)


def envelope(error: TesseraError, request_id: str | None) -> dict[str, object]:
    """The JSON body of an error answer."""
    return {
        "error": {"code": error.code, "message": error.message, "details": error.details},
        "request_id": request_id,
    }


def error_response(request: Request | None, error: TesseraError) -> JSONResponse:
    """Render a TesseraError as the envelope, with its status and headers."""
    request_id = current_request_id()
    if request_id is None and request is not None:
        request_id = request.scope.get("state", {}).get("request_id")
    return JSONResponse(
        envelope(error, request_id), status_code=error.status, headers=error.headers
    )


class ErrorEnvelopeMiddleware:
    """The last line of defence: an unexpected exception becomes a 500 envelope.

    The stack trace goes to the log (redacted); the client sees only a generic message and the
    request id to quote when asking for help. Nothing from the exception reaches the response.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            log.exception("unhandled_exception")
            if started:
                raise
            body = json.dumps(envelope(TesseraError(), current_request_id())).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """Refuse bodies over the limit with 413, by Content-Length or while streaming.

    When a streamed body goes over the limit, this middleware answers 413 itself and tells the
    application the client went away; whatever the application tries to send after that is
    dropped (frameworks tend to turn a failing body read into a 400).
    """

    def __init__(self, app: ASGIApp, *, default_limit: int, upload_limit: int) -> None:
        self.app = app
        self.default_limit = default_limit
        self.upload_limit = upload_limit

    def _limit_for(self, path: str) -> int:
        if path.startswith(UPLOAD_PATH_PREFIXES):
            return self.upload_limit
        return self.default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit_for(scope.get("path", ""))
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(send, limit)
            return
        received = 0
        started = False
        refused = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit and not started:
                    refused = True
                    await self._refuse(send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def send_wrapper(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, limited_receive, send_wrapper)

    @staticmethod
    async def _refuse(send: Send, limit: int) -> None:
        error = PayloadTooLarge(
            f"The request body is larger than {limit} bytes.", details={"limit_bytes": limit}
        )
        body = json.dumps(envelope(error, current_request_id())).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", []):
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


# The web app and /docs load only this origin's scripts and styles (no inline script: the web
# build has none and /docs starts Swagger UI from a file); nobody may frame a page, so staff
# actions (approve, reveal, transfer) cannot be clickjacked.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HSTS_VALUE = "max-age=31536000; includeSubDomains"


class SecurityHeadersMiddleware:
    """Add the security headers to every HTTP answer; HSTS only when it travels over TLS.

    The header lists are built once: per response this costs one list concatenation. TLS means
    the request's scheme is https (a trusted proxy's ``X-Forwarded-Proto`` counts, so this sits
    inside the request context middleware) or ``served_over_tls`` says every client uses it.
    """

    def __init__(self, app: ASGIApp, *, served_over_tls: bool = False) -> None:
        self.app = app
        self.served_over_tls = served_over_tls
        self.headers: list[tuple[bytes, bytes]] = [
            (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
            (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
        ]
        self.tls_headers = [*self.headers, (b"strict-transport-security", HSTS_VALUE.encode())]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tls = self.served_over_tls or scope.get("scheme") == "https"
        extra = self.tls_headers if tls else self.headers

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class ControlCharacterGuard:
    """Refuse a path or query string holding a control character (``%00``...) with 422.

    Bodies are checked by the schemas' text types (``tessera.kit.text``); the path and the query
    are checked here once for every route, so that no id or filter carries a NUL to the
    database. The answer names the query parameter (or ``path``), never the value.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            field = _field_with_control_character(scope)
            if field is not None:
                error = ValidationFailed(
                    [FieldError(field, CONTROL_CHARACTER_MESSAGE, CONTROL_CHARACTER)]
                )
                body = json.dumps(envelope(error, current_request_id())).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": error.status,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


_RAW_CONTROL_OR_ESCAPE = re.compile(rb"[\x00-\x1f\x7f%]")


def _field_with_control_character(scope: Scope) -> str | None:
    if has_control_character(scope.get("path", "")):
        return "path"
    raw: bytes = scope.get("query_string", b"")
    if not raw or _RAW_CONTROL_OR_ESCAPE.search(raw) is None:
        return None
    for key, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        if has_control_character(key):
            return "query"
        if has_control_character(value):
            return key
    return None
