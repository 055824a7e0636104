"""Scaled mode: authentication attempts counted once between API processes, through a real Redis."""

from __future__ import annotations

import pytest

from tessera.errors import RateLimited
from tessera.kit.throttle import Throttles


def _throttles(redis_url: str) -> Throttles:
    return Throttles(
        storage_uri=redis_url,
        login_per_email_address="3/minute",
        login_per_email="5/minute",
        login_per_address="100/minute",
        client_per_id_address="3/minute",
        client_per_id="5/minute",
        client_per_address="100/minute",
    )


class TestSharedThrottle:
    def test_two_processes_share_one_count(self, redis_url: str) -> None:
        # Two throttles stand for two API processes behind a load balancer.
        first, second = _throttles(redis_url).login, _throttles(redis_url).login
        for throttle in (first, second, first):
            throttle.reserve(subject="ada@example.com", address="10.0.0.1")
        with pytest.raises(RateLimited) as refused:
            second.reserve(subject="ada@example.com", address="10.0.0.1")
        assert 1 <= int(refused.value.headers["Retry-After"]) <= 60
        # Another address still has room under the email's ceiling, until that is used up too.
        second.reserve(subject="ada@example.com", address="10.0.0.2")
        first.reserve(subject="ada@example.com", address="10.0.0.3")
        with pytest.raises(RateLimited):
            second.reserve(subject="ada@example.com", address="10.0.0.4")
        # Another email is untouched, and a success clears the pair's count everywhere.
        second.reserve(subject="bob@example.com", address="10.0.0.1")
        first.succeeded(subject="ada@example.com", address="10.0.0.1")
        second.reserve(subject="ada@example.com", address="10.0.0.1")
