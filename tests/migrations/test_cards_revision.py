"""Revision 0002 (cards) upgrades and downgrades cleanly on both databases, data and all."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tessera import migrations


@pytest.fixture
def empty_database_url(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    if os.environ.get("TESSERA_TEST_POSTGRES_URL"):
        pytest.skip("needs the session's own cluster to create a database")
    cluster = request.getfixturevalue("pg_cluster")
    name = f"migrations_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(cluster.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield cluster.url(name)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


class TestCardsRevision:
    def test_upgrade_downgrade_upgrade(self, empty_database_url: str) -> None:
        url = empty_database_url
        migrations.upgrade(url, "0001")
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO firms (id, name, slug, status, auto_approve_registrations, "
                    "issuing_bin, phone_region, timezone, created_at) VALUES ('firm_x', 'X', "
                    "'x-firm', 'active', false, '51000000', 'AE', 'Asia/Dubai', "
                    "'2026-11-23 00:00:00')"
                )
            )
        migrations.upgrade(url, "0002")
        with engine.connect() as conn:
            ends = dict(conn.execute(sa.text("SELECT id, issuing_bin_end FROM firms")).all())
        assert ends == {"firm_default": "400012", "firm_x": "51000000"}
        cards_tables = {"vault_cards", "card_registrations", "cards", "api_clients"}
        assert cards_tables | {"vault_key_rotations"} <= _tables(url)

        migrations.downgrade(url, "0001")
        assert not (cards_tables & _tables(url))
        with engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("firms")}
        assert "issuing_bin_end" not in columns

        migrations.upgrade(url, "0002")
        assert cards_tables <= _tables(url)
        engine.dispose()
