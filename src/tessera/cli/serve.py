"""How `tessera serve` runs the API: the embedded server or the production server.

- Embedded (the default, `make run`): uvicorn in one process, the background worker on a thread
  of it (unless RUN_WORKER_IN_PROCESS=false).
- Production (`--prod`, `make run-prod`): granian with several worker processes (WEB_CONCURRENCY,
  default one per core), chosen by measurement (bench/servers.py, bench/README.md). Its workers
  never run the background worker: that is `tessera worker`, a process of its own, so that N
  API processes do not mean N workers.

Both shut down gracefully on SIGTERM (requests in flight finish, then exit 0), both serve HTTPS
with `--tls` (the files `tessera tls init` writes), and both write the same JSON access line,
which the app's middleware renders whichever server runs it.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tessera.config import Settings, get_settings

if TYPE_CHECKING:
    from tessera.cli.tls import TlsFiles

APP_FACTORY = "tessera.app:create_app_from_env"


def production_workers(settings: Settings, requested: int | None) -> int:
    """Worker processes of the production server: --workers, else WEB_CONCURRENCY, else one per
    core."""
    if requested is not None:
        return requested
    if settings.web_concurrency is not None:
        return settings.web_concurrency
    return max(1, os.cpu_count() or 1)


def prepare_multiprocess_metrics(settings: Settings) -> None:
    """Several worker processes share their Prometheus counters through files in one directory.

    Called before any metric exists: prometheus-client picks its storage when a metric is made.
    """
    import shutil

    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or str(settings.var_dir / "prometheus")
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory


def without_embedded_worker() -> Settings:
    """The settings again, with RUN_WORKER_IN_PROCESS forced off for this process and the
    worker processes it starts (they read the environment it leaves them)."""
    os.environ["RUN_WORKER_IN_PROCESS"] = "false"
    get_settings.cache_clear()
    return get_settings()


def _exit_cleanly(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


def run_embedded(
    settings: Settings, *, host: str, port: int, workers: int, tls: TlsFiles | None
) -> None:
    """Uvicorn, as `make run` starts it."""
    import uvicorn

    # Uvicorn shuts down gracefully on SIGTERM/SIGINT and then re-raises the signal; with these
    # handlers in place that re-raise becomes a clean exit 0 instead of "killed by signal".
    signal.signal(signal.SIGTERM, _exit_cleanly)
    signal.signal(signal.SIGINT, _exit_cleanly)
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        # The standard asyncio loop, not uvloop: under CPU contention uvloop left requests of
        # 100-200 of 256 connections unread in the kernel for seconds (5 s at the tail, p99
        # 3.9 s) while the app itself answered each within 0.9 s, so no deadline in the app
        # could see or shed them. asyncio kept max latency within 1.3 s of the same load at
        # the same throughput (bench/README.md, "The event loop").
        loop="asyncio",
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        # X-Forwarded-* is read by the app, from TRUSTED_PROXIES only (tessera.kit.forwarded);
        # uvicorn's own reading would trust any client on 127.0.0.1.
        proxy_headers=False,
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
        # With --workers, the parent kills a worker that has not answered its ping in this
        # long, and starts another. Uvicorn's 5 s is less than a worker takes to import the app
        # on a busy machine, which then restarts workers forever and never serves.
        timeout_worker_healthcheck=30,
        ssl_certfile=str(tls.chain) if tls else None,
        ssl_keyfile=str(tls.key) if tls else None,
    )


def granian_logging(level: str) -> dict[str, Any]:
    """Granian's loggers sent through the root logger, so that its lines (start, stop, a worker
    that died) are JSON lines like every other; its own access log stays off."""
    return {
        "loggers": {
            "_granian": {"handlers": [], "level": level, "propagate": True},
            "granian.access": {"handlers": [], "level": "WARNING", "propagate": True},
        }
    }


def run_production(
    settings: Settings, *, host: str, port: int, workers: int, tls: TlsFiles | None
) -> None:
    """Granian with ``workers`` processes until SIGTERM or SIGINT, then exit 0."""
    from granian.constants import Interfaces, Loops
    from granian.log import LogLevels
    from granian.server import Server

    server = Server(
        APP_FACTORY,
        factory=True,
        interface=Interfaces.ASGI,
        # Granian's I/O is its own; the loop only runs the app. asyncio measured 212-335
        # transfers/s at 256 connections under contention, uvloop ("auto") 137-224 with a
        # longer tail (bench/README.md, "The event loop").
        loop=Loops.asyncio,
        address=host,
        port=port,
        workers=workers,
        log_level=LogLevels(settings.log_level.lower()),
        log_dictconfig=granian_logging(settings.log_level),
        log_access=False,
        ssl_cert=Path(tls.chain) if tls else None,
        ssl_key=Path(tls.key) if tls else None,
        # A worker that crashes is replaced; a stop waits this long for requests in flight.
        respawn_failed_workers=True,
        workers_kill_timeout=settings.shutdown_grace_seconds,
    )
    server.serve()
