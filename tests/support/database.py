"""Fresh databases for each test: a migrated template, copied (SQLite) or restored (PostgreSQL).

Migrating takes a second; copying a template SQLite file takes a millisecond, and on
PostgreSQL one TRUNCATE of every table plus re-inserting the rows the migrations seeded takes a
few. Tests therefore never see each other's rows, and never depend on their order.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tessera import migrations

SKIP_TABLES = {"alembic_version"}


class SqliteTemplate:
    """A migrated SQLite file, copied for each test."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "template.db"
        migrations.upgrade(f"sqlite:///{self.path}")

    def fresh_url(self, directory: Path) -> str:
        target = directory / "test.db"
        shutil.copyfile(self.path, target)
        return f"sqlite:///{target}"


class PostgresTemplate:
    """A migrated PostgreSQL database, emptied back to its seeded rows before each test."""

    def __init__(self, url: str) -> None:
        self.url = url
        migrations.upgrade(url)
        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        meta = sa.MetaData()
        meta.reflect(self.engine)
        self.tables = [t for t in meta.sorted_tables if t.name not in SKIP_TABLES]
        with self.engine.connect() as conn:
            self.seed: dict[str, list[dict[str, Any]]] = {
                t.name: [dict(r._mapping) for r in conn.execute(sa.select(t))] for t in self.tables
            }

    def reset(self) -> str:
        names = ", ".join(f'"{t.name}"' for t in self.tables)
        with self.engine.begin() as conn:
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            for table in self.tables:
                rows = self.seed[table.name]
                if rows:
                    conn.execute(sa.insert(table), rows)
        return self.url

    def dispose(self) -> None:
        self.engine.dispose()
