"""`tessera backup PATH` and `tessera restore PATH`: a consistent copy of the database, taken
while the service runs, and the way back into an empty database.

SQLite is copied with its online backup API (``sqlite3.Connection.backup``): one pass under one
read transaction, so the copy is the database as of one instant while writers carry on (WAL).
PostgreSQL is dumped with ``pg_dump --format=custom``, which reads one snapshot and blocks no
writer, and comes back with ``pg_restore --single-transaction``.

The backup holds the vault's master keys only wrapped by the root key (``TESSERA_MASTER_KEY``, or
``var/master.key`` in development), which is never in it: keep that key apart from the backups.
A restore opens every wrapped master key with the root key it is given before it writes a row,
and refuses, changing nothing, when the key does not open the vault.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess  # nosec B404 # runs pg_dump and pg_restore: our own arguments, no shell
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Annotated

import typer

from tessera.cli.common import (
    current_schema,
    database_errors,
    err,
    fail,
    load_settings,
    refuse_new_master_key,
    shown_url,
)
from tessera.config import Settings

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
KEY_HELP = (
    "restore with the TESSERA_MASTER_KEY (or var/master.key) of the service that was backed up"
)


def backup(
    path: Annotated[Path, typer.Argument(help="File to write; it must not exist.", dir_okay=False)],
) -> None:
    """Write a consistent backup of the database at DATABASE_URL to PATH, while the service runs.

    SQLite: the online backup API; PostgreSQL: pg_dump in its custom format. The master key
    (TESSERA_MASTER_KEY or var/master.key) is NOT in the backup: keep it separately.
    """
    from tessera.cli.common import cli_runtime

    if path.exists():
        fail(f"{path} already exists: choose a new file for the backup")
    if not path.parent.is_dir():
        fail(f"no directory {path.parent.resolve()} for the backup")
    with cli_runtime() as runtime:  # the database answers and is a Tessera one, up to date
        settings = runtime.settings
    started = time.perf_counter()
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if settings.is_sqlite:
            _backup_sqlite(_sqlite_path(settings), partial)
        else:
            _backup_postgres(settings, partial)
        partial.chmod(0o600)  # every customer's data, if only the card numbers encrypted
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    err.print(
        f"backup written to {path} ({path.stat().st_size:,} bytes in "
        f"{time.perf_counter() - started:.2f} s); the master key is not in it: keep "
        "TESSERA_MASTER_KEY (or var/master.key) separately"
    )


def restore(
    path: Annotated[
        Path,
        typer.Argument(help="A file written by `tessera backup`.", exists=True, dir_okay=False),
    ],
) -> None:
    """Restore a backup from PATH into the empty database at DATABASE_URL.

    Refuses a database that already has tables, and a master key (TESSERA_MASTER_KEY or
    var/master.key) that does not open the backup's vault; either way nothing is changed.
    """
    refuse_new_master_key()
    settings = load_settings()
    with path.open("rb") as file:
        head = file.read(len(SQLITE_MAGIC))
    if settings.is_sqlite and not head.startswith(SQLITE_MAGIC):
        fail(f"{path} is not a SQLite backup, and DATABASE_URL is SQLite")
    if not settings.is_sqlite and not head.startswith(PG_DUMP_MAGIC):
        fail(f"{path} is not a pg_dump backup, and DATABASE_URL is PostgreSQL")
    started = time.perf_counter()
    with database_errors():
        if settings.is_sqlite:
            target = _sqlite_path(settings)
            _check_key(settings, _sqlite_vault_keys(path))
            _refuse_non_empty_sqlite(settings, target)
            _restore_sqlite(path, target)
        else:
            _check_key(settings, _dump_vault_keys(settings, path))
            _refuse_non_empty_postgres(settings)
            _run(["pg_restore", "--single-transaction", "--exit-on-error",
                  "--no-owner", "--no-privileges", "--dbname", _libpq_url(settings), str(path)],
                 settings)  # fmt: skip
    err.print(
        f"restored {path} into {shown_url(settings.database_url)} in "
        f"{time.perf_counter() - started:.2f} s{_schema_note(settings)}; check it with "
        "`tessera ledger verify`, `tessera audit verify` and `tessera keys verify`"
    )


# --- SQLite ---------------------------------------------------------------------------------


def _sqlite_path(settings: Settings) -> Path:
    from sqlalchemy.engine import make_url

    database = make_url(settings.database_url).database
    if not database or database == ":memory:":
        fail("DATABASE_URL names an in-memory SQLite database: there is nothing to back up")
    return Path(database)


@contextmanager
def _sqlite(path: Path, *, mode: str) -> Iterator[sqlite3.Connection]:
    """``mode`` ro (a backup file), rw (a live database in WAL mode, which a read-only
    connection cannot always open) or rwc (a new file)."""
    uri = f"{path.resolve().as_uri()}?mode={mode}"
    with closing(sqlite3.connect(uri, uri=True, timeout=30)) as connection:
        yield connection


def _backup_sqlite(source: Path, target: Path) -> None:
    with _sqlite(source, mode="rw") as src, _sqlite(target, mode="rwc") as dst:
        src.backup(dst)  # every page in one step: one read transaction, one instant
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it


def _restore_sqlite(backup_file: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".restoring")
    partial.unlink(missing_ok=True)
    try:
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        with _sqlite(backup_file, mode="ro") as src, _sqlite(partial, mode="rw") as dst:
            src.backup(dst)
            problem = dst.execute("PRAGMA quick_check").fetchone()
            if problem is None or problem[0] != "ok":
                fail(f"{backup_file} is damaged ({problem[0] if problem else 'no answer'})")
        for suffix in ("-wal", "-shm"):  # left by the empty database it replaces
            target.with_name(target.name + suffix).unlink(missing_ok=True)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def _sqlite_vault_keys(backup_file: Path) -> list[tuple[int, bytes]]:
    try:
        with _sqlite(backup_file, mode="ro") as connection:
            rows = connection.execute("SELECT version, wrapped_key FROM vault_keys").fetchall()
    except sqlite3.DatabaseError as exc:
        fail(f"{backup_file} is not a Tessera backup ({exc})")
    return [(int(version), bytes(wrapped)) for version, wrapped in rows]


def _refuse_non_empty_sqlite(settings: Settings, target: Path) -> None:
    if not target.exists() or target.stat().st_size == 0:
        return
    with _sqlite(target, mode="rw") as connection:
        (tables,) = connection.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
        ).fetchone()
    if tables:
        _refuse_non_empty(settings, int(tables))


# --- PostgreSQL -----------------------------------------------------------------------------


def _libpq_url(settings: Settings) -> str:
    """DATABASE_URL as libpq reads it, without the password (that goes in PGPASSWORD)."""
    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url).set(drivername="postgresql", password=None)
    return url.render_as_string(hide_password=False)


def _run(command: list[str], settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    program = shutil.which(command[0])
    if program is None:
        fail(f"{command[0]} is not installed (Debian: apt-get install postgresql-client)")
    env = dict(os.environ)
    password = make_url(settings.database_url).password
    if password:
        env["PGPASSWORD"] = str(password)  # not on the command line, where `ps` shows it
    result = subprocess.run(  # noqa: S603 - our own arguments, no shell  # nosec B603
        [program, *command[1:]], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        fail(f"{command[0]} failed: {lines[0] if lines else f'exit {result.returncode}'}")
    return result.stdout


def _backup_postgres(settings: Settings, target: Path) -> None:
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
          "--file", str(target), "--dbname", _libpq_url(settings)], settings)  # fmt: skip


def _dump_vault_keys(settings: Settings, backup_file: Path) -> list[tuple[int, bytes]]:
    """The wrapped master keys in a pg_dump file, read from its COPY data for ``vault_keys``."""
    dump = _run(["pg_restore", "--data-only", "--table=vault_keys", "--file=-",
                 str(backup_file)], settings)  # fmt: skip
    keys: list[tuple[int, bytes]] = []
    columns: list[str] | None = None
    for line in dump.splitlines():
        if columns is None:
            if line.startswith("COPY ") and "vault_keys" in line:
                names = line[line.index("(") + 1 : line.index(")")]
                columns = [name.strip().strip('"') for name in names.split(",")]
            continue
        if line == "\\.":
            break
        row = dict(zip(columns, line.split("\t"), strict=True))
        # COPY's text format doubles the backslash of bytea's hex output: \\x0a1b...
        keys.append((int(row["version"]), bytes.fromhex(row["wrapped_key"].lstrip("\\")[1:])))
    if columns is None:
        fail(f"{backup_file} is not a Tessera backup (it has no vault_keys table)")
    return keys


def _refuse_non_empty_postgres(settings: Settings) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(settings.database_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            tables = connection.scalar(
                sa.text(
                    "SELECT count(*) FROM information_schema.tables WHERE table_schema"
                    " NOT IN ('pg_catalog', 'information_schema')"
                )
            )
    finally:
        engine.dispose()
    if tables:
        _refuse_non_empty(settings, int(tables))


# --- both -----------------------------------------------------------------------------------


def _refuse_non_empty(settings: Settings, tables: int) -> None:
    fail(
        f"the database at {shown_url(settings.database_url)} is not empty ({tables} tables): "
        "restore only into a new, empty database (set DATABASE_URL to one)"
    )


def _check_key(settings: Settings, keys: list[tuple[int, bytes]]) -> None:
    """Every wrapped master key in the backup opens with this root key, else exit 1."""
    from tessera.crypto.vault import EnvelopeCipher, VaultError

    cipher = EnvelopeCipher(settings.master_key_bytes())
    for version, wrapped in keys:
        try:
            cipher.unwrap_master_key(version, wrapped)
        except VaultError:
            fail(
                f"the master key does not open the vault in this backup (key version {version}):"
                f" {KEY_HELP}; nothing was restored"
            )


def _schema_note(settings: Settings) -> str:
    from tessera import migrations

    current = current_schema(settings.database_url)
    if current == migrations.head_revisions():
        return ""
    return f" (schema {sorted(current)}: run `tessera migrate` before `tessera serve`)"
