"""Fresh databases for each test: migrated templates, copied (SQLite) or restored (PostgreSQL).

Migrating takes a second; copying a template SQLite file takes a millisecond, and on
PostgreSQL one TRUNCATE of every table plus re-inserting the template's rows takes a few. Tests
therefore never see each other's rows, and never depend on their order.

Each template comes in two states:

- ``bare``: what the migrations seed, nothing more;
- ``started``: as the service leaves it after its first start (``startup.check_ready``): the
  vault's first master key version and the certificate authority (a root and the default
  firm's intermediate), sealed under ``TEST_MASTER_KEY``. A test that starts the app in
  process gets this one: its start then finds them instead of making them (EC P-384 keys,
  signatures, audit entries), which it did for every such test before.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa

from tessera import migrations, startup
from tessera.runtime import build_runtime
from tests.support.settings import make_settings

SKIP_TABLES = {"alembic_version"}

State = Literal["bare", "started"]


def start_once(database_url: str, var_dir: Path) -> None:
    """Do to the database what the service's first start does, with the test settings."""
    runtime = build_runtime(make_settings(database_url, var_dir))
    try:
        startup.check_ready(runtime)
    finally:
        runtime.db.dispose()


def parents_first(table: sa.Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` ordered so that a row referring to another row of its own table (an
    intermediate CA to its root) comes after it, as an insert needs."""
    links = [
        (fk.parent.name, fk.column.name) for fk in table.foreign_keys if fk.column.table is table
    ]
    if not links:
        return rows
    ordered: list[dict[str, Any]] = []
    pending = list(rows)
    while pending:
        present = {(column, row[column]) for row in ordered for _, column in links}
        ready = [
            row
            for row in pending
            if all(row[own] is None or (column, row[own]) in present for own, column in links)
        ]
        if not ready:
            raise ValueError(f"rows of {table.name} refer to each other in a cycle")
        ordered.extend(ready)
        pending = [row for row in pending if row not in ready]
    return ordered


class SqliteTemplate:
    """Migrated SQLite files (one per state), copied for each test."""

    def __init__(self, directory: Path) -> None:
        self.paths: dict[State, Path] = {
            "bare": directory / "template.db",
            "started": directory / "started.db",
        }
        migrations.upgrade(f"sqlite:///{self.paths['bare']}")
        shutil.copyfile(self.paths["bare"], self.paths["started"])
        start_once(f"sqlite:///{self.paths['started']}", directory)
        # The service opens SQLite in WAL mode: fold the log back into the file that is copied.
        with sqlite3.connect(self.paths["started"]) as conn:
            conn.execute("PRAGMA journal_mode=DELETE")
        conn.close()

    def fresh_url(self, directory: Path, state: State = "bare") -> str:
        target = directory / "test.db"
        shutil.copyfile(self.paths[state], target)
        return f"sqlite:///{target}"


class PostgresTemplate:
    """A migrated PostgreSQL database, emptied back to a template state before each test."""

    def __init__(self, url: str, var_dir: Path) -> None:
        self.url = url
        migrations.upgrade(url)
        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        meta = sa.MetaData()
        meta.reflect(self.engine)
        self.tables = [t for t in meta.sorted_tables if t.name not in SKIP_TABLES]
        self.rows: dict[State, dict[str, list[dict[str, Any]]]] = {"bare": self._snapshot()}
        start_once(url, var_dir)
        self.rows["started"] = self._snapshot()

    def _snapshot(self) -> dict[str, list[dict[str, Any]]]:
        with self.engine.connect() as conn:
            return {
                t.name: parents_first(t, [dict(r._mapping) for r in conn.execute(sa.select(t))])
                for t in self.tables
            }

    def reset(self, state: State = "bare") -> str:
        names = ", ".join(f'"{t.name}"' for t in self.tables)
        rows = self.rows[state]
        with self.engine.begin() as conn:
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            for table in self.tables:
                if rows[table.name]:
                    conn.execute(sa.insert(table), rows[table.name])
        return self.url

    def dispose(self) -> None:
        self.engine.dispose()
