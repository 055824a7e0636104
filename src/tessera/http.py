"""HTTP plumbing under every route: the error envelope, the 500 guard and body size limits."""

from __future__ import annotations

import json

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tessera.errors import PayloadTooLarge, TesseraError
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
