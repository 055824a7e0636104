"""Webhooks under test: a real receiver on 127.0.0.1, a movable clock, and the dispatcher
driven by hand (fan-out, then sending until nothing is due)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tessera.models.base import utcnow
from tessera.runtime import Runtime
from tessera.webhooks.dispatch import WebhookSender, fan_out_events
from tests.support.api import Caller

HOOK_PATH = "/hook"


class MovableClock:
    """The runtime's clock, which a test moves forward instead of sleeping."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)

    @contextmanager
    def at_real_time(self) -> Iterator[None]:
        """Back to the real time for a while: access tokens are checked against the wall
        clock as well (PyJWT refuses an ``iat`` in the future), so API calls go here."""
        saved, self.offset = self.offset, timedelta()
        try:
            yield
        finally:
            self.offset = saved


@dataclass(frozen=True)
class Received:
    """One request as the receiver saw it."""

    path: str
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """A webhook receiver: records every request, answers from a script (200 by default)."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.received: list[Received] = []
        self.statuses: deque[int] = deque()
        self.delay_seconds = 0.0
        self.arrived = threading.Event()
        self._lock = threading.Lock()

    @property
    def port(self) -> int:
        return int(self.server.port)

    def url(self, path: str = HOOK_PATH) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, *statuses: int) -> None:
        """Answer the next requests with these statuses, then 200 again."""
        self.statuses.extend(statuses)

    def handle(self, request: Request) -> Response:
        record = Received(
            path=request.path, body=request.get_data(), headers=dict(request.headers.items())
        )
        with self._lock:
            self.received.append(record)
            status = self.statuses.popleft() if self.statuses else 200
        self.arrived.set()
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        return Response("ok", status=status)

    def bodies(self, path: str = HOOK_PATH) -> list[dict[str, Any]]:
        return [r.json() for r in self.received if r.path == path]


def create_endpoint(caller: Caller, url: str, events: list[str] | None = None) -> dict[str, Any]:
    response = caller.post("/v1/webhook-endpoints", json={"url": url, "events": events or ["*"]})
    assert response.status_code == 201, response.text
    return dict(response.json())


def deliver_due(runtime: Runtime, *, rounds: int = 20) -> int:
    """Fan out new events and send every due delivery, as a worker would; returns attempts."""
    sender = WebhookSender()
    attempts = 0
    for _ in range(rounds):
        fanned = fan_out_events(runtime)
        sent = sender.run(runtime)
        attempts += sent
        if fanned == 0 and sent == 0:
            return attempts
    raise AssertionError("the dispatcher still had work after many rounds")


def deliveries(caller: Caller, endpoint_id: str, **params: Any) -> list[dict[str, Any]]:
    response = caller.get(f"/v1/webhook-endpoints/{endpoint_id}/deliveries", params=params)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def receiver_accepts(
    header: str, body: bytes, secret: str, *, now: float, tolerance: float = 300
) -> bool:
    """What a firm's receiver does with ``Tessera-Signature``, written from the documentation
    alone: parse ``t`` and every ``v1``, recompute HMAC-SHA256(secret, "<t>.<body>"), compare
    in constant time, refuse a timestamp outside the tolerance."""
    fields = [part.split("=", 1) for part in header.split(",") if "=" in part]
    timestamps = [value for key, value in fields if key == "t"]
    signatures = [value for key, value in fields if key == "v1"]
    if len(timestamps) != 1 or not signatures:
        return False
    timestamp = int(timestamps[0])
    if abs(now - timestamp) > tolerance:
        return False
    expected = hmac.new(
        secret.encode(), timestamps[0].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return any(hmac.compare_digest(expected, candidate) for candidate in signatures)


def wait_until(condition: Callable[[], bool], *, timeout: float, interval: float = 0.02) -> None:
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)
