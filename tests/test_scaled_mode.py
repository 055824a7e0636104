"""Scaled mode: several API worker processes on one database, with shared metrics."""

from __future__ import annotations

import httpx2 as httpx
import pytest

from tessera.config import Settings
from tests.support.api import PASSWORD
from tests.support.processes import cli_env, serve, stop_process


@pytest.mark.slow
class TestSeveralWorkers:
    @pytest.mark.postgres_only  # several API processes are the PostgreSQL deployment
    def test_two_uvicorn_workers_serve_and_share_metrics(
        self, settings: Settings, backend: str
    ) -> None:
        env = cli_env(settings, PROMETHEUS_MULTIPROC_DIR=str(settings.var_dir / "prom"))
        with serve(settings, "--workers", "2", env=env) as server:
            base = server.base_url
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
            assert stop_process(server.process) == 0  # both workers stop cleanly
