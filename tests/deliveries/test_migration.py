"""The deliveries migration upgrades and downgrades cleanly on both databases."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
import sqlalchemy as sa

from tessera import migrations

TABLES = {
    "card_delivery_statuses",
    "delivery_events",
    "delivery_import_chunks",
    "delivery_import_rejections",
    "delivery_imports",
    "delivery_partners",
}


def scratch_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'migrations.db'}"
    cluster = request.getfixturevalue("pg_cluster")
    name = f"migrations_{secrets.token_hex(4)}"
    admin = sa.create_engine(cluster.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return str(cluster.url(name))


def tables(url: str) -> set[str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


class TestDeliveriesMigration:
    def test_upgrade_downgrade_upgrade(
        self, backend: str, tmp_path: Path, request: pytest.FixtureRequest
    ) -> None:
        url = scratch_url(backend, tmp_path, request)
        migrations.upgrade(url, "0003")
        assert tables(url) >= TABLES
        migrations.downgrade(url, "0001")
        assert not TABLES & tables(url)
        assert "firms" in tables(url)
        migrations.upgrade(url, "0003")
        assert tables(url) >= TABLES
