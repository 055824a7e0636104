"""The `tessera` command as a separate process: one-off commands and a real server on 127.0.0.1.

Both get the test's settings through the environment, so they share its database and secrets.
The rest of the test process's environment is kept (coverage measures the subprocesses through
it), except any variable the service reads as a setting: a developer's ``DATABASE_URL`` or the
Makefile's ``PORT`` never reaches a test's process. Each runs in the test's ``var_dir``, so no
``.env`` file is read either.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import psutil

from tessera.config import Settings
from tests.support.ports import PORT_TAKEN, free_port

TESSERA = str(Path(sys.executable).with_name("tessera"))
PORT_ATTEMPTS = 5
# A bound, not a speed test: a loaded machine (CI, or two xdist workers next to other work)
# takes far longer than a laptop to import the app and migrate.
STARTUP_SECONDS = 120.0

# Every environment variable the service reads (pydantic-settings ignores the case).
SETTING_NAMES = frozenset(
    (field.alias or name).upper() for name, field in Settings.model_fields.items()
) | {"PROMETHEUS_MULTIPROC_DIR"}


def cli_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that makes a `tessera` process use the test's database and secrets."""
    secret = settings.jwt_secret.get_secret_value() if settings.jwt_secret else ""
    master = settings.master_key.get_secret_value() if settings.master_key else ""
    env = {k: v for k, v in os.environ.items() if k.upper() not in SETTING_NAMES}
    env.update(
        {
            "APP_ENV": settings.app_env.value,
            "DATABASE_URL": settings.database_url,
            "JWT_SECRET": secret,
            "TESSERA_MASTER_KEY": master,
            "VAR_DIR": str(settings.var_dir),
            "ARGON2_TIME_COST": str(settings.argon2_time_cost),
            "ARGON2_MEMORY_KIB": str(settings.argon2_memory_kib),
            "ARGON2_PARALLELISM": str(settings.argon2_parallelism),
            "RUN_WORKER_IN_PROCESS": "false",
            "LOG_LEVEL": "INFO",
        }
    )
    env.update(extra)
    return env


def run_cli(
    settings: Settings,
    *args: str,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `tessera ARGS` to completion (bounded by ``timeout``); ``env`` defaults to
    ``cli_env(settings)``."""
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [TESSERA, *args],
        env=dict(env) if env is not None else cli_env(settings),
        cwd=cwd or settings.var_dir,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass
class Server:
    """A running `tessera serve` and the file its output goes to."""

    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def output(self) -> str:
        """Everything the server wrote so far (stdout and stderr)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@contextmanager
def serve(
    settings: Settings,
    *args: str,
    env: Mapping[str, str] | None = None,
    startup_timeout: float = STARTUP_SECONDS,
) -> Iterator[Server]:
    """Start `tessera serve ARGS` on a free port of 127.0.0.1 and wait for its health check;
    stop it by its PID afterwards (SIGTERM, then SIGKILL). ``env`` defaults to
    ``cli_env(settings)``."""
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    environment = dict(env) if env is not None else cli_env(settings)
    for _ in range(PORT_ATTEMPTS):
        server = _start_server(settings.var_dir, args, environment, startup_timeout)
        if server is not None:
            break
    else:
        raise RuntimeError(f"no free port after {PORT_ATTEMPTS} attempts")
    try:
        yield server
    finally:
        stop_process(server.process)


def _start_server(
    var_dir: Path, args: tuple[str, ...], env: dict[str, str], startup_timeout: float
) -> Server | None:
    """A healthy server, or None when another process took its port first."""
    port = free_port()
    log_path = var_dir / f"server-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [TESSERA, "serve", "--host", "127.0.0.1", "--port", str(port), *args],
            env=env,
            cwd=var_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Server(base_url=f"http://127.0.0.1:{port}", process=process, log_path=log_path)
    deadline = time.monotonic() + startup_timeout
    try:
        while True:
            if process.poll() is not None:
                if PORT_TAKEN in server.output().lower():
                    return None
                raise RuntimeError(f"the server exited at start-up:\n{server.output()[-4000:]}")
            try:
                healthy = httpx.get(f"{server.base_url}/v1/health", timeout=1).status_code == 200
            except httpx.TransportError:
                healthy = False
            if healthy and listens_on(process.pid, port):  # not another run's server
                return server
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer in time:\n{server.output()[-4000:]}")
            time.sleep(0.05)
    except BaseException:
        stop_process(process)
        raise


def listens_on(pid: int, port: int) -> bool:
    """Whether process ``pid`` (or a child of it) listens on TCP ``port``."""
    try:
        parent = psutil.Process(pid)
        family = [parent, *parent.children(recursive=True)]
        return any(
            c.status == psutil.CONN_LISTEN and c.laddr.port == port
            for member in family
            for c in member.net_connections("tcp")
        )
    except psutil.Error:
        return False


def stop_process(process: subprocess.Popen[bytes], timeout: float = 20.0) -> int:
    """SIGTERM, wait, then SIGKILL; returns the exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
    return int(process.returncode)
