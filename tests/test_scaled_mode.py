"""Scaled mode: several API worker processes on one database, with shared metrics."""

from __future__ import annotations

from pathlib import Path

import httpx2 as httpx
import pytest

from tests.support.api import PASSWORD
from tests.support.postgres import free_port
from tests.support.server import TESSERA, server_env, stop_process


@pytest.mark.slow
class TestSeveralWorkers:
    def test_two_uvicorn_workers_serve_and_share_metrics(
        self, database_url: str, tmp_path: Path, backend: str
    ) -> None:
        import subprocess
        import time

        if backend != "postgresql":
            pytest.skip("several API processes are the PostgreSQL deployment")
        port = free_port()
        env = server_env(database_url, tmp_path, PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prom"))
        log_path = tmp_path / "server.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [TESSERA, "serve", "--port", str(port), "--workers", "2"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/v1/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, log_path.read_text()[-3000:]
                time.sleep(0.2)
            body = {
                "email": "scaled@example.com",
                "password": PASSWORD,
                "first_name": "Sca",
                "last_name": "Led",
                "dob": "1990-01-01",
            }
            assert httpx.post(f"{base}/v1/auth/signup", json=body).status_code == 201
            for _ in range(20):
                assert httpx.get(f"{base}/v1/health").status_code == 200
            metrics = httpx.get(f"{base}/metrics").text
            line = next(
                row
                for row in metrics.splitlines()
                if row.startswith("tessera_http_requests_total")
                and 'route="/v1/health"' in row
                and 'status="200"' in row
            )
            # Every health check counted, whichever worker answered it (and the startup probes).
            assert float(line.rsplit(" ", 1)[1]) >= 20
        finally:
            assert stop_process(process) == 0
