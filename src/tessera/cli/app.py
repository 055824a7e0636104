"""The Typer application and the commands that run the service."""

from __future__ import annotations

import signal
import sys
from typing import Annotated

import typer

import tessera
from tessera.cli.common import (
    cli_runtime,
    database_errors,
    err,
    fail,
    load_settings,
    refuse_missing_database,
)
from tessera.config import new_master_key
from tessera.observability import configure_logging

app = typer.Typer(
    help="Tessera: card and banking platform for partner firms.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"tessera {tessera.__version__}\n")
        raise typer.Exit()


@app.callback()
def main(
    _version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Tessera: card and banking platform for partner firms."""


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default PORT).")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Worker processes (default 1; with --prod WEB_CONCURRENCY, else one per core).",
        ),
    ] = None,
    prod: Annotated[
        bool,
        typer.Option(
            "--prod",
            help="The production server (granian, several processes); run `tessera worker` "
            "beside it.",
        ),
    ] = False,
    tls: Annotated[
        bool,
        typer.Option("--tls", help="Serve HTTPS with the certificate of `tessera tls init`."),
    ] = False,
) -> None:
    """Start the API with the web app (and, unless --prod or RUN_WORKER_IN_PROCESS=false, the
    background worker inside it)."""
    from tessera.cli import serve as servers
    from tessera.cli.tls import tls_files

    refuse_missing_database()
    settings = load_settings()
    files = tls_files(settings.var_dir) if tls else None
    if files is not None and not files.exist():
        fail(f"no TLS certificate at {files.chain}: run `tessera tls init` first")
    if prod:
        settings = servers.without_embedded_worker()
        count = servers.production_workers(settings, workers)
    else:
        count = workers or 1
    if count > 1:
        servers.prepare_multiprocess_metrics(settings)
    with cli_runtime(log_level=None, start_service=True):
        pass  # the database answers, its schema is current, the master key and the CA exist
    run = servers.run_production if prod else servers.run_embedded
    run(
        settings,
        host=host or settings.host,
        port=port or settings.port,
        workers=count,
        tls=files,
    )


@app.command()
def migrate(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Upgrade the database schema (creates the SQLite file under ./var/ when needed)."""
    from tessera import migrations

    settings = load_settings()
    configure_logging("WARNING")
    if settings.is_sqlite:
        _ensure_sqlite_dir(settings.database_url)
    with database_errors():
        migrations.upgrade(settings.database_url, revision)
    err.print(f"database at {revision}")


@app.command()
def downgrade(revision: Annotated[str, typer.Argument(help="Target revision or 'base'.")]) -> None:
    """Downgrade the database schema."""
    from tessera import migrations

    refuse_missing_database()
    settings = load_settings()
    configure_logging("WARNING")
    with database_errors():
        migrations.downgrade(settings.database_url, revision)
    err.print(f"database at {revision}")


@app.command()
def worker() -> None:
    """Run the background worker in this process until SIGTERM or Ctrl-C."""
    from tessera.worker.jobs import default_jobs
    from tessera.worker.runner import Worker

    with cli_runtime(log_level=None, start_service=True) as runtime:
        loop = Worker(runtime, default_jobs())

        def _stop(signum: int, _frame: object) -> None:
            loop.stop(timeout=0)

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        loop.run_forever()


@app.command("generate-key")
def generate_key() -> None:
    """Print a new random value for TESSERA_MASTER_KEY."""
    sys.stdout.write(new_master_key() + "\n")


def _ensure_sqlite_dir(url: str) -> None:
    import os
    from pathlib import Path

    from sqlalchemy.engine import make_url

    database = make_url(url).database
    if database and database != ":memory:":
        path = Path(database)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            # Owner-only, like the secrets beside it; SQLite gives its -wal and -shm files the
            # same mode.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _register_subcommands() -> None:
    from tessera.cli import admin, audit, backup, deliveries, demo, keys, ledger, pki, staff, tls

    app.command("backup")(backup.backup)
    app.command("restore")(backup.restore)

    app.add_typer(ledger.app, name="ledger")
    app.add_typer(admin.app, name="admin")
    app.add_typer(audit.app, name="audit")
    app.add_typer(keys.app, name="keys")
    app.add_typer(staff.app, name="staff")
    app.add_typer(pki.app, name="pki")
    app.add_typer(deliveries.app, name="deliveries")
    app.add_typer(demo.app, name="demo")
    app.add_typer(tls.app, name="tls")


_register_subcommands()
