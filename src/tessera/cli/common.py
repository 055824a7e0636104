"""What every `tessera` command shares: its consoles, its errors and the runtime it works in.

Commands never build a ``Runtime`` by hand: ``cli_runtime()`` reads the settings, checks that
the database answers and that its schema is the one the code needs (as ``tessera serve`` does),
and turns every way that can fail into one line on stderr that names what to change, never a
traceback.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console

from tessera.config import AppEnv, ConfigError, Settings, get_settings

if TYPE_CHECKING:
    from tessera.errors import TesseraError
    from tessera.runtime import Runtime

# Messages are single lines that operators grep, so they are never wrapped.
err = Console(stderr=True, soft_wrap=True, highlight=False)
out = Console(soft_wrap=True, highlight=False)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one line to stderr and exit."""
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def _invalid_configuration(exc: ValueError) -> NoReturn:
    first = str(exc).splitlines()
    fail(f"invalid configuration: {' '.join(first[:3])}", 2)


def load_settings() -> Settings:
    """The settings, or one clear line and exit 2 when they are unusable."""
    try:
        return get_settings()
    except ConfigError as exc:
        fail(str(exc), 2)
    except ValueError as exc:  # pydantic validation of an environment variable
        _invalid_configuration(exc)


def fail_from(
    error: TesseraError, *, flags: Mapping[str, str] | None = None, code: int = 1
) -> NoReturn:
    """Exit with a service error's message; a field error names the flag that supplies it."""
    fields = error.details.get("fields") if isinstance(error.details, dict) else None
    if not fields:
        fail(error.message, code)
    field = str(fields[0].get("field", ""))
    message = str(fields[0].get("message", error.message))
    flag = (flags or {}).get(field)
    fail(f"{message} (add {flag})" if flag else message, code)


def missing_sqlite_file(database_url: str) -> Path | None:
    """The SQLite file that ``database_url`` names when it does not exist, else None."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if not url.drivername.startswith("sqlite") or url.database in (None, "", ":memory:"):
        return None
    path = Path(url.database)
    return None if path.exists() else path


def shown_url(database_url: str) -> str:
    """The URL with any password hidden, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(database_url).render_as_string(hide_password=True)


def refuse_missing_database() -> None:
    """Stop, before any development secret is generated, when the SQLite file is not there.

    Connecting would create an empty file (and ``./var`` with development secrets) wherever the
    command was run, then fail on the first table.
    """
    try:
        unresolved = Settings()
    except ValueError as exc:
        _invalid_configuration(exc)
    missing = missing_sqlite_file(unresolved.database_url)
    if missing is None:
        return
    if unresolved.app_env is not AppEnv.DEV:
        load_settings()  # a missing or weak secret is the first thing to fix; dev makes its own
    fail(
        f"no database at {missing.resolve()} (DATABASE_URL={shown_url(unresolved.database_url)}):"
        " run `tessera migrate` to create it, or run this in the project root, or set DATABASE_URL"
    )


def refuse_new_master_key() -> None:
    """Stop when no master key is configured and development would generate a new one.

    A command that reads data sealed under an existing key (``restore``) cannot use a key made
    up on the spot: it would refuse the data anyway, after leaving ``./var`` behind.
    """
    try:
        unresolved = Settings()
    except ValueError as exc:
        _invalid_configuration(exc)
    if unresolved.master_key is not None or unresolved.app_env is not AppEnv.DEV:
        return  # given, or production and tests, which never write one to disk
    if not (unresolved.var_dir / "master.key").exists():
        fail(
            f"no master key at {(unresolved.var_dir / 'master.key').resolve()}: set "
            "TESSERA_MASTER_KEY to the key the backup was made with, or run this in the "
            "project root"
        )


def current_schema(database_url: str) -> set[str]:
    """The migration revisions of the database at ``database_url`` (empty: no schema yet)."""
    from tessera import migrations
    from tessera.db import Database

    database = Database(database_url)
    try:
        return migrations.current_revisions(database.engine)
    finally:
        database.dispose()


@contextmanager
def database_errors() -> Iterator[None]:
    """Turn an error the database raises mid-command (it went away, a lock timed out) into one
    line."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        yield
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        fail(
            f"the database at DATABASE_URL failed ({type(exc).__name__}"
            f"{': ' + reason[0] if reason else ''})"
        )


@contextmanager
def cli_runtime(
    *, log_level: str | None = "WARNING", start_service: bool = False
) -> Iterator[Runtime]:
    """The runtime of one command, on a database whose schema is up to date; disposed after.

    ``log_level`` None keeps LOG_LEVEL. ``start_service`` also makes sure the master key and the
    certificate authority exist, as the service does when it starts (the worker needs them).
    """
    from tessera.observability import configure_logging
    from tessera.runtime import build_runtime
    from tessera.startup import NotReady, check_database, check_ready

    refuse_missing_database()
    settings = load_settings()
    configure_logging(log_level or settings.log_level)
    runtime = build_runtime(settings)
    try:
        with database_errors():
            try:
                (check_ready if start_service else check_database)(runtime)
            except NotReady as exc:
                fail(str(exc))
            yield runtime
    finally:
        runtime.db.dispose()
