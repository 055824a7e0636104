"""The scaled topology of docker-compose.yml, run natively on 127.0.0.1: PostgreSQL, two
production API processes behind HAProxy (the same deploy/haproxy.cfg), one `tessera worker`,
and redis-server holding the rate limits both APIs share."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.support.api import PASSWORD
from tests.support.postgres import free_port
from tests.support.processes import TESSERA, cli_env, serve, stop_process
from tests.support.redis import redis_server
from tests.support.settings import make_settings

ROOT = Path(__file__).parents[1]
STARTUP = 120.0  # per process, on a busy shared machine


def _wait(condition: object, *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


@pytest.mark.slow
def test_two_apis_behind_haproxy_share_a_login_limit_through_redis(
    database_url: str, tmp_path: Path, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("the scaled topology is the PostgreSQL deployment")
    haproxy = shutil.which("haproxy")
    if haproxy is None:
        pytest.fail("haproxy is missing: run `make system-deps`")
    with ExitStack() as stack:
        redis_url = stack.enter_context(redis_server(tmp_path))
        env = {
            "RATE_LIMIT_STORAGE": redis_url,
            "TRUSTED_PROXIES": "127.0.0.1",
            "LOGIN_FAILURES_PER_EMAIL_ADDRESS": "3/5 minutes",
        }
        apis = []
        for name in ("api1", "api2"):
            settings = make_settings(database_url, tmp_path / name)
            apis.append(
                stack.enter_context(
                    serve(
                        settings,
                        "--prod",
                        "--workers",
                        "1",
                        env=cli_env(settings, **env),
                        startup_timeout=STARTUP,
                    )
                )
            )
        worker_log = (tmp_path / "worker.log").open("wb")
        stack.callback(worker_log.close)
        worker = subprocess.Popen(
            [TESSERA, "worker"],
            env=cli_env(make_settings(database_url, tmp_path / "api1"), **env),
            stdout=worker_log,
            stderr=subprocess.STDOUT,
        )
        stack.callback(stop_process, worker)

        lb_port = free_port()
        lb_env = {
            "PATH": "/usr/sbin:/usr/bin:/bin",
            "LB_BIND": f"127.0.0.1:{lb_port}",
            "API1_ADDR": apis[0].base_url.removeprefix("http://"),
            "API2_ADDR": apis[1].base_url.removeprefix("http://"),
        }
        lb_log = (tmp_path / "haproxy.log").open("wb")
        stack.callback(lb_log.close)
        balancer = subprocess.Popen(
            [haproxy, "-db", "-f", str(ROOT / "deploy" / "haproxy.cfg")],
            env=lb_env,
            stdout=lb_log,
            stderr=subprocess.STDOUT,
        )
        stack.callback(stop_process, balancer)
        lb = f"http://127.0.0.1:{lb_port}"

        # HAProxy's health checks bring both servers up; then traffic reaches both.
        served: Counter[str] = Counter()

        def both_answer() -> bool:
            assert balancer.poll() is None, (tmp_path / "haproxy.log").read_text()
            try:
                response = httpx.get(f"{lb}/v1/health", timeout=5)
            except httpx.TransportError:
                return False
            if response.status_code == 200:
                served[response.headers["x-served-by"]] += 1
            return {"api1", "api2"} <= set(served)

        _wait(both_answer, seconds=60, what=f"both APIs never answered: {served}")
        for _ in range(10):
            response = httpx.get(f"{lb}/v1/health", timeout=10)
            assert response.status_code == 200
            served[response.headers["x-served-by"]] += 1
        assert served["api1"] >= 5, served
        assert served["api2"] >= 5, served
        for api in apis:  # each process's own access log saw its share
            assert '"route": "/v1/health"' in api.output()

        # The worker runs once, beside the APIs (which never start one of their own).
        assert worker.poll() is None
        _wait(
            lambda: "worker_started" in (tmp_path / "worker.log").read_text(),
            seconds=60,
            what="the worker did not start",
        )

        # One login limit across both processes: 3 failures per (email, address), counted in
        # Redis, so the 4th is refused whichever API answers it.
        email = "scaled-limit@example.com"
        signup = httpx.post(
            f"{lb}/v1/auth/signup",
            json={
                "email": email,
                "password": PASSWORD,
                "first_name": "Lim",
                "last_name": "It",
                "dob": "1990-01-01",
            },
            timeout=30,
        )
        assert signup.status_code == 201, signup.text
        answers = []
        for _ in range(6):
            response = httpx.post(
                f"{lb}/v1/auth/login", json={"email": email, "password": "wrong"}, timeout=30
            )
            answers.append((response.status_code, response.headers["x-served-by"]))
        assert [status for status, _ in answers[:3]] == [401, 401, 401], answers
        assert [status for status, _ in answers[3:]] == [429, 429, 429], answers
        assert {by for _, by in answers[3:]} == {"api1", "api2"}, answers
