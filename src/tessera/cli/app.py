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
    load_settings,
    refuse_missing_database,
)
from tessera.config import Settings, new_master_key
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
    workers: Annotated[int, typer.Option(help="Uvicorn worker processes.")] = 1,
) -> None:
    """Start the API (and, unless RUN_WORKER_IN_PROCESS=false, the worker) with the web app."""
    import uvicorn

    refuse_missing_database()
    settings = load_settings()
    if workers > 1:
        # Before any metric exists: prometheus-client picks its storage when a metric is made.
        _prepare_multiprocess_metrics(settings)
    with cli_runtime(log_level=None, start_service=True):
        pass  # the database answers, its schema is current, the master key and the CA exist
    # Uvicorn shuts down gracefully on SIGTERM/SIGINT and then re-raises the signal; with these
    # handlers in place that re-raise becomes a clean exit 0 instead of "killed by signal".
    signal.signal(signal.SIGTERM, _exit_cleanly)
    signal.signal(signal.SIGINT, _exit_cleanly)
    uvicorn.run(
        "tessera.app:create_app_from_env",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_config=None,
        access_log=False,
        # X-Forwarded-* is read by the app, from TRUSTED_PROXIES only (tessera.kit.forwarded);
        # uvicorn's own reading would trust any client on 127.0.0.1.
        proxy_headers=False,
        timeout_graceful_shutdown=20,
        # With --workers, the parent kills a worker that has not answered its ping in this
        # long, and starts another. Uvicorn's 5 s is less than a worker takes to import the app
        # on a busy machine, which then restarts workers forever and never serves.
        timeout_worker_healthcheck=30,
    )


def _prepare_multiprocess_metrics(settings: Settings) -> None:
    """Several worker processes share their Prometheus counters through files in one directory."""
    import os
    import shutil

    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or str(settings.var_dir / "prometheus")
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory


def _exit_cleanly(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


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
    from tessera.cli import admin, audit, deliveries, demo, keys, ledger, pki, staff

    app.add_typer(ledger.app, name="ledger")
    app.add_typer(admin.app, name="admin")
    app.add_typer(audit.app, name="audit")
    app.add_typer(keys.app, name="keys")
    app.add_typer(staff.app, name="staff")
    app.add_typer(pki.app, name="pki")
    app.add_typer(deliveries.app, name="deliveries")
    app.add_typer(demo.app, name="demo")


_register_subcommands()
