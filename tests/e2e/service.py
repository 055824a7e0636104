"""The service under test as a subprocess: start, wait for health, stop by PID, and its CLI."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from tests.support.ports import free_port

REPO = Path(__file__).resolve().parents[2]
WEB = REPO / "web"
WEB_DIST = WEB / "dist"
AXE_SCRIPT = WEB / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct horse battery"
ADMIN_PASSWORD = "staff-password-0123"
E2E_JWT_SECRET = "e2e-jwt-secret-0123456789-abcdefghijklmnop"
E2E_MASTER_KEY = "ZTJlLXRlc3NlcmEtbWFzdGVyLWtleS0zMi1ieXRlcyE="  # 32 bytes, base64
QUEUED_IMPORT_BYTES = 8192
STARTUP_SECONDS = 90  # a loaded CI machine takes far longer than a laptop to import and migrate
STOP_SECONDS = 15

_emails = itertools.count(1)


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{os.getpid()}-{next(_emails)}@example.com"


def _tessera() -> str:
    return str(Path(sys.executable).with_name("tessera"))


@dataclass
class LiveService:
    """The running service: its URL, and its CLI on the same database."""

    base_url: str
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes]

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [_tessera(), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )

    def signup(self, *, email: str | None = None, **fields: Any) -> dict[str, Any]:
        """A customer created through the API (for tests that do not test sign-up itself)."""
        body = {
            "email": email or unique_email(),
            "password": PASSWORD,
            "first_name": "Ada",
            "last_name": "Lovelace",
            "dob": "1990-12-10",
            **fields,
        }
        response = httpx.post(f"{self.base_url}/v1/auth/signup", json=body, timeout=10)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def _wait_until_healthy(service: LiveService) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            pytest.fail(f"the service exited at start-up:\n{service.log_tail()}")
        try:
            if httpx.get(f"{service.base_url}/v1/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"the service did not become healthy in {STARTUP_SECONDS}s:\n{service.log_tail()}")


def start_service(workdir: Path) -> LiveService:
    """Migrate a fresh SQLite database in ``workdir`` and start ``tessera serve`` on a free port."""
    port = free_port()
    env = {
        **os.environ,
        "APP_ENV": "test",
        "DATABASE_URL": f"sqlite:///{workdir / 'tessera.db'}",
        "VAR_DIR": str(workdir),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "JWT_SECRET": E2E_JWT_SECRET,
        "TESSERA_MASTER_KEY": E2E_MASTER_KEY,
        "ARGON2_MEMORY_KIB": "1024",
        "ARGON2_TIME_COST": "1",
        "ARGON2_PARALLELISM": "1",
        "LOG_LEVEL": "INFO",
        "CORS_ORIGINS": "",
        # Courier files above 8 KiB are queued for the in-process worker (202), so that a test
        # can upload one and watch the screen follow its import; the samples are far smaller.
        "DELIVERY_SYNC_MAX_BYTES": str(QUEUED_IMPORT_BYTES),
    }
    subprocess.run(
        [_tessera(), "migrate"], env=env, cwd=workdir, check=True, capture_output=True, timeout=60
    )
    log_path = workdir / "service.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [_tessera(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    service = LiveService(f"http://127.0.0.1:{port}", env, log_path, process)
    try:
        _wait_until_healthy(service)
    except BaseException:
        stop_service(service)
        raise
    return service


def stop_service(service: LiveService) -> None:
    """Stop the service by its PID: SIGTERM, then SIGKILL if it has not exited in time."""
    process = service.process
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
