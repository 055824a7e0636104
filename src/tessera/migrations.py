"""Alembic, driven from code: the CLI's ``tessera migrate`` and the start-up check use this."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine


def migrations_dir() -> Path:
    """The Alembic scripts: packaged with the wheel, or ``migrations/`` in a checkout."""
    packaged = Path(__file__).resolve().parent / "_migrations"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(database_url: str | None = None) -> Config:
    """An Alembic config pointing at our scripts and (optionally) a database."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("path_separator", "os")
    if database_url is not None:
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the schema up to ``revision``."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    """Take the schema down to ``revision`` (``base`` removes everything)."""
    command.downgrade(alembic_config(database_url), revision)


def head_revisions() -> set[str]:
    """The revisions the code expects."""
    return set(_script_heads())


@functools.cache
def _script_heads() -> frozenset[str]:
    # Reading the scripts compiles every one of them; they do not change while a process runs.
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(engine: Engine) -> set[str]:
    """The revisions the database is at."""
    with engine.connect() as conn:
        revisions = set(MigrationContext.configure(conn).get_current_heads())
        conn.rollback()
    return revisions
