"""The suite's own machinery: which database state a test starts from (tests/conftest.py)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tessera.runtime import Runtime


def _kinds(database_url: str) -> list[tuple[str, str]]:
    """What the database holds that the app's first start makes: CA kinds and key versions."""
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            authorities = conn.execute(sa.text("SELECT kind FROM certificate_authorities"))
            keys = conn.execute(sa.text("SELECT version FROM vault_keys"))
            return sorted(
                [("ca", str(k)) for (k,) in authorities] + [("key", str(v)) for (v,) in keys]
            )
    finally:
        engine.dispose()


@pytest.fixture
def before_start(database_url: str) -> list[tuple[str, str]]:
    """The database as the test's app finds it (requested before ``client``, set up first)."""
    return _kinds(database_url)


STARTED = [("ca", "intermediate"), ("ca", "root"), ("key", "1")]


class TestDatabaseState:
    def test_an_app_finds_the_key_and_the_ca_its_first_start_would_make(
        self, before_start: list[tuple[str, str]], client: TestClient, database_url: str
    ) -> None:
        assert before_start == STARTED
        assert _kinds(database_url) == STARTED  # and its start adds none of its own

    @pytest.mark.bare_database
    def test_bare_database_leaves_them_to_the_app(
        self, before_start: list[tuple[str, str]], client: TestClient, database_url: str
    ) -> None:
        assert before_start == []
        assert _kinds(database_url) == STARTED

    def test_a_test_without_the_app_gets_only_what_the_migrations_seed(
        self, runtime: Runtime, database_url: str
    ) -> None:
        assert _kinds(database_url) == []
