"""Migration 0005 upgrades and downgrades cleanly on both backends."""

from __future__ import annotations

import sqlalchemy as sa

from tessera import migrations


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


class TestCertificatesMigration:
    def test_downgrade_to_core_and_back(self, database_url: str) -> None:
        ours = {"certificates", "certificate_authorities"}
        assert ours <= _tables(database_url)

        migrations.downgrade(database_url, "0001")
        try:
            assert not ours & _tables(database_url)
            assert "users" in _tables(database_url)
        finally:
            migrations.upgrade(database_url)

        assert ours <= _tables(database_url)
