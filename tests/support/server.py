"""A real Tessera server in a subprocess (uvicorn on 127.0.0.1), for tests that need one."""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx

from tests.support.postgres import free_port

TESSERA = str(Path(sys.executable).parent / "tessera")


def server_env(database_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a test server: test mode, cheap argon2, fixed secrets."""
    from tests.support.settings import TEST_JWT_SECRET, TEST_MASTER_KEY

    env = {
        **os.environ,
        "APP_ENV": "test",
        "DATABASE_URL": database_url,
        "JWT_SECRET": TEST_JWT_SECRET,
        "TESSERA_MASTER_KEY": TEST_MASTER_KEY,
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "1024",
        "ARGON2_PARALLELISM": "1",
        "VAR_DIR": str(var_dir),
        "LOG_LEVEL": "INFO",
        "RUN_WORKER_IN_PROCESS": "false",
    }
    env.update(extra)
    return env


@dataclass
class LiveServer:
    """A running server: its base URL, process and log file."""

    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@contextmanager
def live_server(
    database_url: str,
    var_dir: Path,
    *,
    env: Mapping[str, str] | None = None,
    startup_timeout: float = 90.0,  # a shared, busy machine can take a minute to start one
    args: Sequence[str] = (),
    ca_file: Path | None = None,
) -> Iterator[LiveServer]:
    """Start ``tessera serve ARGS`` on a free port; stop it by PID (SIGTERM, then SIGKILL).

    With ``ca_file`` the server is reached over HTTPS (``--tls``), verified against that CA.
    """
    port = free_port()
    log_path = var_dir / f"server-{port}.log"
    environment = server_env(database_url, var_dir, **dict(env or {}))
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [TESSERA, "serve", "--host", "127.0.0.1", "--port", str(port), *args],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    scheme = "https" if ca_file else "http"
    server = LiveServer(f"{scheme}://127.0.0.1:{port}", process, log_path)
    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=ca_file) if ca_file else True
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{server.log_text()[-4000:]}")
            try:
                health = httpx.get(f"{server.base_url}/v1/health", timeout=1, verify=verify)
                if health.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not start:\n{server.log_text()[-4000:]}")
            time.sleep(0.1)
        yield server
    finally:
        stop_process(process)


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


def run_cli(
    *args: str, env: Mapping[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run a `tessera` command and capture its output."""
    return subprocess.run(
        [TESSERA, *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
