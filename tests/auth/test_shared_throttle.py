"""Scaled mode: failed-login counts shared between API processes through a real Redis."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tessera.auth.throttle import Throttles
from tessera.errors import RateLimited
from tests.support.postgres import free_port


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is missing: run `make system-deps`")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        import redis

        client = redis.Redis(host="127.0.0.1", port=port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        client.close()
        yield f"redis://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


class TestSharedThrottle:
    def test_two_processes_share_one_count(self, redis_url: str) -> None:
        # Two throttles stand for two API processes behind a load balancer.
        limits = {
            "storage_uri": redis_url,
            "login_per_email": "3/minute",
            "login_per_address": "100/minute",
            "client_per_id": "3/minute",
            "client_per_address": "100/minute",
        }
        first, second = Throttles(**limits).login, Throttles(**limits).login
        for throttle in (first, second, first):
            throttle.check(subject="ada@example.com", address="10.0.0.1")
            throttle.record_failure(subject="ada@example.com", address="10.0.0.1")
        with pytest.raises(RateLimited) as refused:
            second.check(subject="ada@example.com", address="10.0.0.2")
        assert 1 <= int(refused.value.headers["Retry-After"]) <= 60
        # Another email is untouched, and a success clears the count everywhere.
        second.check(subject="bob@example.com", address="10.0.0.1")
        first.record_success(subject="ada@example.com")
        second.check(subject="ada@example.com", address="10.0.0.1")
