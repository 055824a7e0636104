"""The `tessera` command as a separate process: one-off commands and a real server on 127.0.0.1.

Both get the test's settings through the environment, so they share its database and secrets.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx

from tessera.config import Settings
from tests.support.postgres import free_port

TESSERA = str(Path(sys.executable).with_name("tessera"))


def cli_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that makes a `tessera` process use the test's database and secrets."""
    secret = settings.jwt_secret.get_secret_value() if settings.jwt_secret else ""
    master = settings.master_key.get_secret_value() if settings.master_key else ""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", str(settings.var_dir)),
        "APP_ENV": "test",
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
    env.update(extra)
    return env


def run_cli(
    settings: Settings, *args: str, timeout: float = 120, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `tessera ARGS` to completion (bounded by ``timeout``)."""
    return subprocess.run(
        [TESSERA, *args],
        env=cli_env(settings),
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
def serve(settings: Settings, *, startup_timeout: float = 30) -> Iterator[Server]:
    """Start `tessera serve` on a free port of 127.0.0.1; stop it by its PID afterwards."""
    port = free_port()
    log_path = settings.var_dir / f"server-{port}.log"
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [TESSERA, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=cli_env(settings),
            cwd=settings.var_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Server(base_url=f"http://127.0.0.1:{port}", process=process, log_path=log_path)
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited at start-up:\n{server.output()}")
            try:
                if httpx.get(f"{server.base_url}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer in time:\n{server.output()}")
            time.sleep(0.05)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
