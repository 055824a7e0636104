"""The request being handled: one mutable object in a context variable.

The auth dependency (which runs in a worker thread) fills in the user for the lines that follow;
rate limits and the audit log read the caller's address from here.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from starlette.types import Scope


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
