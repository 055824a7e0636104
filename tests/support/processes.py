"""The `tessera` command as a separate process: one-off commands and a real server on 127.0.0.1.

Both get the test's settings through the environment, so they share its database and secrets.
The rest of the test process's environment is kept (coverage measures the subprocesses through
it), except any variable the service reads as a setting: a developer's ``DATABASE_URL`` or the
Makefile's ``PORT`` never reaches a test's process. Each runs in the test's ``var_dir``, so no
``.env`` file is read either.

This is the one way tests start a server: ``serve`` (a ``with`` block) or ``start_server`` (a
server the test stops, kills and restarts itself), with ``tessera serve``'s own ARGS (``--prod``,
``--tls``), over HTTPS when given the CA, and optionally leading a process group of its own.
"""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
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
    """A running `tessera serve` and the file its output goes to. ``group``: the server leads a
    process group of its own, and is stopped (or killed) with every process it started."""

    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    group: bool = False

    def output(self) -> str:
        """Everything the server wrote so far (stdout and stderr)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM (the group), wait, then SIGKILL; returns the exit code."""
        return stop_process(self.process, timeout, group=self.group)

    def kill(self) -> None:
        """``kill -9`` the server (its whole group, if it leads one) and reap it: a crash."""
        if self.process.poll() is None:
            _signal(self.process, signal.SIGKILL, group=self.group)
        self.process.wait(10)


@contextmanager
def serve(
    settings: Settings,
    *args: str,
    env: Mapping[str, str] | None = None,
    startup_timeout: float = STARTUP_SECONDS,
    ca_file: Path | None = None,
    group: bool = False,
) -> Iterator[Server]:
    """``start_server`` for a ``with`` block: the server is stopped by its PID at the end."""
    server = start_server(
        settings, *args, env=env, startup_timeout=startup_timeout, ca_file=ca_file, group=group
    )
    try:
        yield server
    finally:
        server.stop()


def start_server(
    settings: Settings,
    *args: str,
    env: Mapping[str, str] | None = None,
    startup_timeout: float = STARTUP_SECONDS,
    ca_file: Path | None = None,
    group: bool = False,
) -> Server:
    """Start `tessera serve ARGS` on a free port of 127.0.0.1 and wait for its health check
    (within ``startup_timeout`` seconds); the caller stops it (``Server.stop``).

    ``env`` defaults to ``cli_env(settings)``. With ``ca_file`` the server is reached over
    HTTPS (ARGS hold ``--tls``), verified against that CA. With ``group`` it leads a process
    group of its own (``Server.kill`` is then a crash of everything it started). The output
    goes to a new file of ``settings.var_dir``.
    """
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    environment = dict(env) if env is not None else cli_env(settings)
    for _ in range(PORT_ATTEMPTS):
        server = _start(settings.var_dir, args, environment, startup_timeout, ca_file, group)
        if server is not None:
            return server
    raise RuntimeError(f"no free port after {PORT_ATTEMPTS} attempts")


def _start(
    var_dir: Path,
    args: tuple[str, ...],
    env: dict[str, str],
    startup_timeout: float,
    ca_file: Path | None,
    group: bool,
) -> Server | None:
    """A healthy server, or None when another process took its port first."""
    port = free_port()
    log_path = var_dir / f"server-{port}-{time.monotonic_ns()}.log"  # a restart has its own
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [TESSERA, "serve", "--host", "127.0.0.1", "--port", str(port), *args],
            env=env,
            cwd=var_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=group,
        )
    scheme = "https" if ca_file else "http"
    server = Server(f"{scheme}://127.0.0.1:{port}", process, log_path, group)
    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=ca_file) if ca_file else True
    deadline = time.monotonic() + startup_timeout
    try:
        while True:
            if process.poll() is not None:
                if PORT_TAKEN in server.output().lower():
                    return None
                raise RuntimeError(f"the server exited at start-up:\n{server.output()[-4000:]}")
            try:
                health = httpx.get(f"{server.base_url}/v1/health", timeout=1, verify=verify)
                healthy = health.status_code == 200
            except httpx.TransportError:
                healthy = False
            if healthy and listens_on(process.pid, port):  # not another run's server
                return server
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer in time:\n{server.output()[-4000:]}")
            time.sleep(0.05)
    except BaseException:
        server.stop()
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


def stop_process(
    process: subprocess.Popen[bytes], timeout: float = 20.0, *, group: bool = False
) -> int:
    """SIGTERM, wait, then SIGKILL; returns the exit code. With ``group`` the signals go to
    the process group that ``process`` leads (``start_new_session=True``)."""
    if process.poll() is None:
        _signal(process, signal.SIGTERM, group=group)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            _signal(process, signal.SIGKILL, group=group)
            process.wait(5)
    return int(process.returncode)


def _signal(process: subprocess.Popen[bytes], signum: signal.Signals, *, group: bool) -> None:
    if group:
        with suppress(ProcessLookupError):  # the group is already gone
            os.killpg(process.pid, signum)
    else:
        process.send_signal(signum)
