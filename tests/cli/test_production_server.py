"""`tessera serve --prod`: the production server (granian), its workers, logs and shutdown."""

from __future__ import annotations

import json
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import httpx2 as httpx
import psutil
import pytest

from tessera.cli.serve import production_workers
from tessera.config import Settings
from tests.support.api import PASSWORD
from tests.support.processes import cli_env, serve, stop_process

# The production server takes longer to start on a busy machine: a master and its workers.
STARTUP = 120.0
# What the embedded server's access line carries (tessera.observability.write_access_line).
ACCESS_KEYS = {
    "status_code",
    "duration_ms",
    "route",
    "event",
    "level",
    "timestamp",
    "request_id",
    "user_id",
    "method",
}


class TestWorkerCount:
    def test_flag_then_web_concurrency_then_one_per_core(self) -> None:
        import os

        assert production_workers(Settings(web_concurrency=3), 5) == 5
        assert production_workers(Settings(web_concurrency=3), None) == 3
        assert production_workers(Settings(), None) == (os.cpu_count() or 1)


@pytest.mark.slow
class TestProductionServer:
    def test_workers_log_json_access_lines_and_never_run_the_worker(
        self, settings: Settings
    ) -> None:
        # RUN_WORKER_IN_PROCESS=true as a careless operator might leave it: with --prod the
        # workers still must not each start a background worker (`tessera worker` does that).
        env = cli_env(settings, WEB_CONCURRENCY="2", RUN_WORKER_IN_PROCESS="true")
        with serve(settings, "--prod", env=env, startup_timeout=STARTUP) as server:
            workers = psutil.Process(server.process.pid).children()
            assert len(workers) == 2, workers
            for _ in range(6):
                assert httpx.get(f"{server.base_url}/v1/health").status_code == 200
            assert httpx.get(f"{server.base_url}/v1/nowhere").status_code == 404
            assert stop_process(server.process) == 0
            output = server.output()

        lines = [json.loads(line) for line in output.splitlines() if line.strip()]
        access = [line for line in lines if line["event"] == "request"]
        assert {(a["route"], a["status_code"]) for a in access} >= {
            ("/v1/health", 200),
            ("unmatched", 404),
        }
        for line in access:
            assert set(line) >= ACCESS_KEYS, line
            assert line["method"] == "GET"
        events = [line["event"] for line in lines]
        assert events.count("started") == 2, events  # each worker ran the app's lifespan
        assert "worker_started" not in events
        assert events.count("stopped") == 2

    def test_sigterm_lets_the_request_in_flight_finish(self, settings: Settings) -> None:
        # A signup hashes its password with argon2 at a real cost: a slow request with nothing
        # staged. One hashing slot and no queue: while the signup hashes, another login is
        # answered 503 at once, which tells the test the signup is in flight.
        env = cli_env(
            settings,
            ARGON2_TIME_COST="16",
            ARGON2_MEMORY_KIB="65536",
            PASSWORD_HASH_CONCURRENCY="1",
            PASSWORD_HASH_QUEUE="0",
            SHUTDOWN_GRACE_SECONDS="300",
        )
        prod = ("--prod", "--workers", "1")
        with serve(settings, *prod, env=env, startup_timeout=STARTUP) as server:
            body = {
                "email": "graceful@example.com",
                "password": PASSWORD,
                "first_name": "Grace",
                "last_name": "Ful",
                "dob": "1990-01-01",
            }
            probe = {"email": "nobody@example.com", "password": "not the password"}
            with ThreadPoolExecutor(1) as pool:
                signup = pool.submit(
                    httpx.post, f"{server.base_url}/v1/auth/signup", json=body, timeout=300
                )
                time.sleep(0.5)
                deadline = time.monotonic() + 60
                while not signup.done():
                    busy = httpx.post(f"{server.base_url}/v1/auth/login", json=probe, timeout=60)
                    if busy.status_code == 503:
                        break
                    assert time.monotonic() < deadline, "the signup never occupied the hasher"
                assert not signup.done(), signup.result().text
                server.process.send_signal(signal.SIGTERM)
                sent = time.monotonic()
                response = signup.result(timeout=300)
                answered = time.monotonic()
            code = server.process.wait(60)
            output = server.output()
        assert response.status_code == 201, response.text
        assert answered > sent
        assert code == 0, output[-3000:]
        access = [json.loads(x) for x in output.splitlines() if '"event": "request"' in x]
        assert any(a["route"] == "/v1/auth/signup" and a["status_code"] == 201 for a in access)
