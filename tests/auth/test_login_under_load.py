"""A burst of failed logins against a real server leaves everyone else's requests fast.

The server runs as a subprocess (uvicorn on 127.0.0.1) with one hashing slot and hashes of
about a hundred milliseconds, so that forty queued hashes would take seconds. Requests name their
client through X-Forwarded-For, which the server believes because 127.0.0.1 is configured as its
trusted proxy: the attacker and the bystander are two different addresses.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import httpx2 as httpx
import pytest

from tessera.config import Settings
from tests.support.api import PASSWORD
from tests.support.processes import cli_env, serve

BURST = 40
BOUND_SECONDS = 2.0
ATTACKER = "203.0.113.7"
BYSTANDER = "198.51.100.20"


@dataclass
class Timed:
    status: int
    seconds: float
    retry_after: str | None


def _post_login(http: httpx.Client, email: str, password: str, address: str) -> Timed:
    started = time.perf_counter()
    response = http.post(
        "/v1/auth/login",
        json={"email": email, "password": password},
        headers={"X-Forwarded-For": address},
    )
    return Timed(
        response.status_code, time.perf_counter() - started, response.headers.get("Retry-After")
    )


def _signup(http: httpx.Client, email: str) -> None:
    body = {
        "email": email,
        "password": PASSWORD,
        "first_name": "Bea",
        "last_name": "Bystander",
        "dob": "1985-05-05",
    }
    response = http.post("/v1/auth/signup", json=body)
    assert response.status_code == 201, response.text


def _get_me(http: httpx.Client, token: str) -> Timed:
    started = time.perf_counter()
    response = http.get(
        "/v1/auth/me", headers={"Authorization": f"Bearer {token}", "X-Forwarded-For": BYSTANDER}
    )
    return Timed(response.status_code, time.perf_counter() - started, None)


def _during_burst(
    base_url: str, attempts: list[tuple[str, str]], bystander: httpx.Client, token: str, email: str
) -> tuple[list[Timed], Timed, Timed]:
    """Send the burst (email, address per attempt); meanwhile time a GET and a login."""
    # Each attacker has its client and an open connection before the burst, so that the burst
    # measures the server, not the set-up of forty clients.
    clients = [httpx.Client(base_url=base_url, timeout=60) for _ in attempts]
    try:
        for http in clients:
            assert http.get("/v1/health").status_code == 200
        barrier = threading.Barrier(len(attempts) + 1)
        answers: list[Timed] = []
        lock = threading.Lock()

        def attack(http: httpx.Client, email: str, address: str) -> None:
            barrier.wait(30)
            answer = _post_login(http, email, "wrong-password", address)
            with lock:
                answers.append(answer)

        threads = [
            threading.Thread(target=attack, args=(http, *attempt))
            for http, attempt in zip(clients, attempts, strict=True)
        ]
        for thread in threads:
            thread.start()
        barrier.wait(30)
        unrelated_get = _get_me(bystander, token)
        unrelated_login = _post_login(bystander, email, PASSWORD, BYSTANDER)
        for thread in threads:
            thread.join(120)
        assert len(answers) == len(attempts)
        return answers, unrelated_get, unrelated_login
    finally:
        for http in clients:
            http.close()


@pytest.mark.slow
class TestLoginBurst:
    def test_other_requests_stay_fast_while_a_burst_of_failed_logins_runs(
        self, settings: Settings
    ) -> None:
        env = cli_env(
            settings,
            ARGON2_TIME_COST="3",
            ARGON2_MEMORY_KIB="32768",
            ARGON2_PARALLELISM="1",
            PASSWORD_HASH_CONCURRENCY="1",
            PASSWORD_HASH_QUEUE="5",
            TRUSTED_PROXIES="127.0.0.1",
        )
        with (
            serve(settings, env=env) as server,
            httpx.Client(base_url=server.base_url, timeout=60) as http,
        ):
            victim, bystander = "victim@example.com", "bystander@example.com"
            _signup(http, victim)
            _signup(http, bystander)
            login = _post_login(http, bystander, PASSWORD, BYSTANDER)
            assert login.status == 200
            token = http.post(
                "/v1/auth/login",
                json={"email": bystander, "password": PASSWORD},
                headers={"X-Forwarded-For": BYSTANDER},
            ).json()["access_token"]
            quiet_get = _get_me(http, token)
            # The bound is 2 s; on a machine so loaded that one quiet login takes longer than a
            # fifth of that, it is ten quiet logins (forty queued hashes would be forty).
            bound = max(BOUND_SECONDS, 10 * login.seconds)
            print(f"quiet: login {login.seconds:.3f} s, get {quiet_get.seconds:.3f} s")

            # 1. Forty wrong passwords for one user from one address: five are checked, the
            # rest are refused before any hashing.
            answers, get, relogin = _during_burst(
                server.base_url, [(victim, ATTACKER)] * BURST, http, token, bystander
            )
            statuses = sorted(a.status for a in answers)
            print(f"one-user burst: get {get.seconds:.3f} s, login {relogin.seconds:.3f} s")
            assert statuses == [*[401] * 5, *[429] * (BURST - 5)]
            assert all(a.retry_after for a in answers if a.status == 429)
            assert get.status == 200
            assert get.seconds < bound
            assert relogin.status == 200
            assert relogin.seconds < bound

            # 2. Forty wrong logins from forty addresses, each under every limit: the hashing
            # queue takes what it can finish soon and refuses the rest at once (503).
            spread = [(f"nobody{i}@example.com", f"203.0.113.{i + 10}") for i in range(BURST)]
            answers, get, relogin = _during_burst(server.base_url, spread, http, token, bystander)
            print(f"spread burst: get {get.seconds:.3f} s, login {relogin.seconds:.3f} s")
            assert {a.status for a in answers} <= {401, 503}
            assert all(a.retry_after == "1" for a in answers if a.status == 503)
            assert get.status == 200
            assert get.seconds < bound
            assert relogin.status in (200, 503)
            assert relogin.seconds < bound
