"""One Alembic history that upgrades and downgrades on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa

from tessera import migrations
from tessera.models import Base


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


class TestMigrations:
    def test_head_matches_the_models(self, database_url: str) -> None:
        tables = _tables(database_url)
        assert set(Base.metadata.tables) <= tables
        engine = sa.create_engine(database_url)
        try:
            assert migrations.current_revisions(engine) == migrations.head_revisions()
        finally:
            engine.dispose()

    def test_down_to_base_and_up_again(self, database_url: str) -> None:
        migrations.downgrade(database_url, "base")
        assert _tables(database_url) <= {"alembic_version"}
        migrations.upgrade(database_url)
        assert set(Base.metadata.tables) <= _tables(database_url)
        engine = sa.create_engine(database_url)
        with engine.connect() as conn:
            firm = conn.execute(sa.text("SELECT slug FROM firms WHERE id = 'firm_default'"))
            assert firm.scalar_one() == "default"
        engine.dispose()

    def test_autogenerate_finds_no_drift(self, database_url: str) -> None:
        from alembic.autogenerate import compare_metadata
        from alembic.runtime.migration import MigrationContext

        engine = sa.create_engine(database_url)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        engine.dispose()
        assert diff == []
