"""Fixtures of the auth tests: a real Redis for the shared rate limits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.redis import redis_server


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A fresh redis-server on 127.0.0.1, stopped after the test."""
    with redis_server(tmp_path) as url:
        yield url
