"""Admission control: a bounded number of requests in flight, and a fast 503 beyond it.

A service that accepts every request and lets them queue for threads and connections answers
none of them in time once it is saturated: each waits 30 seconds for a pool, fails, and the
backlog outlives the burst. Here at most ``limit`` API requests run at once. A request that
arrives when all slots are taken waits for one, in arrival order, up to ``deadline`` seconds;
after that (or when ``max_waiting`` are already waiting) it is answered 503 ``overloaded`` with
``Retry-After`` before any work was done. So an overload costs its excess requests two seconds at
most, and when it ends nothing is left queued.

The deadline is the request's, not each queue's: admission records when the request must have
started its work (``start_by``), and the writer refuses a unit that reaches it later, so time
spent waiting for a slot and then for the writer adds up to ``deadline`` at most.

Pure ASGI (no ``BaseHTTPMiddleware``, which costs a task and a stream per request).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import time
from collections import deque

from starlette.types import ASGIApp, Receive, Scope, Send

from tessera.errors import Overloaded
from tessera.http import envelope
from tessera.observability import current_request_id

# Paths that never touch the request path's resources, or must answer during an overload.
EXEMPT_PATHS = frozenset({"/v1/health", "/metrics", "/openapi.json", "/docs"})
ADMITTED_PREFIXES = ("/v1/", "/api/", "/register", "/status/")

# When the admitted request must have started its work (time.monotonic()), or None outside one.
_start_by: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "tessera_start_by", default=None
)


def start_by() -> float | None:
    """The monotonic time by which the current request must start its work, if it has one."""
    return _start_by.get()


class AdmissionControl:
    """At most ``limit`` requests in flight; the rest wait up to ``deadline`` seconds, then 503."""

    def __init__(
        self, app: ASGIApp, *, limit: int, deadline: float, max_waiting: int | None = None
    ) -> None:
        self.app = app
        self.limit = limit
        self.deadline = deadline
        self.max_waiting = max_waiting if max_waiting is not None else limit * 8
        self.in_flight = 0
        self.shed = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _admitted(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        token = _start_by.set(time.monotonic() + self.deadline)
        try:
            await self._admit(scope, receive, send)
        finally:
            _start_by.reset(token)

    async def _admit(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not await self._acquire():
            self.shed += 1
            await _refuse(send, self.deadline)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self._release()

    async def _acquire(self) -> bool:
        if self.in_flight < self.limit and not self._waiters:
            self.in_flight += 1
            return True
        if len(self._waiters) >= self.max_waiting:
            return False
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.append(waiter)
        timer = loop.call_later(self.deadline, _expire, waiter)
        try:
            await waiter
        except TimeoutError:
            return False
        except asyncio.CancelledError:
            # The slot may have been handed over just before the cancellation: pass it on.
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self._release()
            raise
        finally:
            timer.cancel()
            if not waiter.done():
                waiter.cancel()
            with contextlib.suppress(ValueError):  # already handed a slot by _release
                self._waiters.remove(waiter)
        return True

    def _release(self) -> None:
        # Hand the slot straight to the oldest live waiter; only free it when nobody waits.
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.in_flight -= 1


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


def _admitted(path: str) -> bool:
    return path not in EXEMPT_PATHS and path.startswith(ADMITTED_PREFIXES)


async def _refuse(send: Send, deadline: float) -> None:
    error = Overloaded(retry_after=max(1, round(deadline)))
    body = json.dumps(envelope(error, current_request_id())).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers.extend((k.lower().encode(), v.encode()) for k, v in error.headers.items())
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
