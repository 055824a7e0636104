"""Which production server: each candidate with 2 workers, under wrk, on the same routes.

The candidates run the same two applications: bench/ping_app.py (a bare sync and async route,
the server's own cost) and the real service (GET /v1/accounts/{id} on PostgreSQL, with a bearer
token: authentication, a read and the JSON envelope). Uvicorn's own ``--workers`` is the
baseline that `tessera serve --workers` used before. Candidates alternate within each run, and
the median of the runs is printed, because the machine is shared and noisy.

    .venv/bin/python -m bench.servers [--runs 3] [--seconds 6] [--connections 64]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
from tests.support.postgres import free_port
from tests.support.wrk import WrkResult, run_wrk

from bench.common import ROOT, postgres_database, print_table
from bench.load import SCRIPTS, Server, _stop

BIN = Path(sys.executable).parent
TESSERA = str(BIN / "tessera")
WORKERS = 2
PING_APP = "bench.ping_app:app"
REAL_APP = "tessera.app:create_app_from_env"

STARTUP_SECONDS = 240
CANDIDATES = ("uvicorn --workers", "gunicorn + uvicorn-worker", "granian")


def command(candidate: str, target: str, port: int, *, factory: bool) -> list[str]:
    """The command line that serves ``target`` with ``candidate`` on 127.0.0.1:``port``."""
    if candidate == "uvicorn --workers":
        return [
            str(BIN / "uvicorn"),
            target,
            *(["--factory"] if factory else []),
            "--host=127.0.0.1",
            f"--port={port}",
            f"--workers={WORKERS}",
            "--no-access-log",
            "--log-level=warning",
        ]
    if candidate == "gunicorn + uvicorn-worker":
        return [
            str(BIN / "gunicorn"),
            f"{target}()" if factory else target,
            "--worker-class=uvicorn_worker.UvicornWorker",
            f"--workers={WORKERS}",
            f"--bind=127.0.0.1:{port}",
            "--log-level=warning",
        ]
    if candidate == "granian":
        return [
            str(BIN / "granian"),
            target,
            *(["--factory"] if factory else []),
            "--interface=asgi",
            "--host=127.0.0.1",
            f"--port={port}",
            f"--workers={WORKERS}",
            "--log-level=warning",
        ]
    raise ValueError(candidate)


@contextlib.contextmanager
def started(
    candidate: str, target: str, env: dict[str, str], *, factory: bool, health: str
) -> Iterator[Server]:
    """One candidate serving ``target``; stopped by its PID afterwards."""
    port = free_port()
    process = subprocess.Popen(
        command(candidate, target, port, factory=factory),
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = Server(f"http://127.0.0.1:{port}", [process], env)
    try:
        _wait_healthy(server.base_url, process, health)
        yield server
    finally:
        _stop([process])


def _wait_healthy(base_url: str, process: subprocess.Popen[bytes], path: str) -> None:
    """Until ``path`` answers 200 (a busy shared machine can take a minute to start one)."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(base_url + path, timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{base_url} did not answer {path} within {STARTUP_SECONDS} s")


def _accounts(base_url: str, count: int) -> tuple[str, list[str]]:
    """A customer with ``count`` accounts: its access token and the account ids."""
    with httpx.Client(base_url=base_url, timeout=60) as http:
        person = {"first_name": "Ser", "last_name": "Vers", "dob": "1980-01-01"}
        credentials = {"email": "servers@bench.example", "password": "servers bench password"}
        http.post("/v1/auth/signup", json={**credentials, **person}).raise_for_status()
        login = http.post("/v1/auth/login", json=credentials)
        login.raise_for_status()
        token = str(login.json()["access_token"])
        auth = {"Authorization": f"Bearer {token}"}
        ids = []
        for _ in range(count):
            account = http.post(
                "/v1/accounts", headers=auth, json={"type": "checking", "currency": "USD"}
            )
            account.raise_for_status()
            ids.append(str(account.json()["id"]))
    return token, ids


def _measure(
    base_url: str, script: str, env: dict[str, str], args: argparse.Namespace
) -> WrkResult:
    run_wrk(base_url, SCRIPTS[script], connections=args.connections, seconds=2, env=env)
    return run_wrk(
        base_url, SCRIPTS[script], connections=args.connections, seconds=args.seconds, env=env
    )


ROUTES = ("GET /ping-sync", "GET /ping-async", "GET /v1/accounts/{id}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=6)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--accounts", type=int, default=200)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: run `make system-deps` (it installs wrk from Debian)")
    results: dict[tuple[str, str], list[WrkResult]] = {}
    with contextlib.ExitStack() as stack:
        var_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tessera-srv-")))
        database_url = stack.enter_context(postgres_database("servers"))
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": database_url,
            "VAR_DIR": str(var_dir),
            "APP_ENV": "dev",
            "LOG_LEVEL": "WARNING",
            "RUN_WORKER_IN_PROCESS": "false",
        }
        subprocess.run([TESSERA, "migrate"], env=env, check=True, capture_output=True, timeout=300)
        with started(CANDIDATES[0], REAL_APP, env, factory=True, health="/v1/health") as first:
            token, ids = _accounts(first.base_url, args.accounts)
        ids_path = var_dir / "accounts.txt"
        ids_path.write_text("\n".join(ids) + "\n")
        account_env = {"WRK_TOKEN": token, "WRK_IDS": str(ids_path), "BENCH_PATH": "/v1/accounts/"}
        for run in range(args.runs):
            for candidate in CANDIDATES:
                print(f"== run {run + 1} of {args.runs}: {candidate}", flush=True)
                with started(candidate, PING_APP, env, factory=False, health="/ping-sync") as ping:
                    for kind in ("sync", "async"):
                        result = _measure(
                            ping.base_url, "ping", {"BENCH_PATH": f"/ping-{kind}"}, args
                        )
                        results.setdefault((candidate, f"GET /ping-{kind}"), []).append(result)
                with started(candidate, REAL_APP, env, factory=True, health="/v1/health") as real:
                    result = _measure(real.base_url, "get", account_env, args)
                    results.setdefault((candidate, ROUTES[2]), []).append(result)
    header = ["", "req/s", "p50 ms", "p99 ms", "errors"]
    for route in ROUTES:
        rows: list[list[object]] = []
        for candidate in CANDIDATES:
            runs = results[(candidate, route)]
            rows.append(
                [
                    candidate,
                    statistics.median(r.per_second for r in runs),
                    statistics.median(r.p50_ms for r in runs),
                    statistics.median(r.p99_ms for r in runs),
                    sum(r.requests - r.count(200) + r.socket_errors + r.timeouts for r in runs),
                ]
            )
        print_table(
            f"{route}: {WORKERS} workers, wrk {args.connections} connections, "
            f"{args.seconds:.0f} s, median of {args.runs} run(s) on {os.cpu_count()} cores",
            header,
            rows,
        )


if __name__ == "__main__":
    main()
