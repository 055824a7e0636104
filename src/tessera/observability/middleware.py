"""The HTTP middleware: the request id in and out, timing, the access line and the metrics."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tessera.kit.forwarded import IPNetwork, client_address, is_trusted_proxy
from tessera.observability.context import RequestContext, _request_context
from tessera.observability.logging import get_logger, write_access_line
from tessera.observability.metrics import Metrics

_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


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
