"""Fixtures of the webhook tests (the helpers are in tests/support/webhooks.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tessera.config import Settings
from tessera.models import Role
from tessera.runtime import Runtime
from tests.support.api import Api, Caller
from tests.support.settings import make_settings
from tests.support.webhooks import MovableClock, Receiver


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Short timeouts and leases, so that failures show in well under a second."""
    return make_settings(
        database_url,
        tmp_path,
        webhook_connect_timeout_seconds=1.0,
        webhook_read_timeout_seconds=0.5,
        webhook_lease_seconds=5.0,
    )


@pytest.fixture
def clock(runtime: Runtime) -> MovableClock:
    movable = MovableClock()
    runtime.clock = movable
    return movable


@pytest.fixture(scope="session")
def receiver_server() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        server.stop()


@pytest.fixture
def receiver(receiver_server: HTTPServer) -> Iterator[Receiver]:
    receiver_server.clear()
    receiver_server.clear_all_handlers()
    recording = Receiver(receiver_server)
    for path in ("/hook", "/other", "/third"):
        receiver_server.expect_request(path, method="POST").respond_with_handler(recording.handle)
    yield recording
    receiver_server.clear_all_handlers()


@pytest.fixture
def admin(api: Api) -> Caller:
    """A firm admin of the default firm (holds ``webhooks:manage``)."""
    return api.staff(Role.FIRM_ADMIN)
