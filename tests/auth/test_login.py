"""Login, the rate limits on failures, and what is audited."""

from __future__ import annotations

import json
import statistics
import threading
import time
from pathlib import Path

import httpx2 as httpx
import jwt
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.runtime import Runtime
from tests.support.api import PASSWORD, Api
from tests.support.logs import LogView
from tests.support.settings import TEST_JWT_SECRET, make_settings


def _from(app: FastAPI, address: str) -> TestClient:
    """A client of the app whose requests come from ``address``."""
    return TestClient(app, client=(address, 50_000), raise_server_exceptions=False)


def _failed_checks(runtime: Runtime) -> float:
    """How many passwords were checked and found wrong (the login metric)."""
    value = runtime.metrics.registry.get_sample_value(
        "tessera_logins_total", {"outcome": "failure"}
    )
    return value or 0.0


def _audit_rows(runtime: Runtime, action: str) -> list[dict[str, object]]:
    with runtime.db.engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT * FROM audit_events WHERE action = :action ORDER BY seq"),
            {"action": action},
        )
        return [dict(row._mapping) for row in rows]


class TestLogin:
    def test_returns_a_bearer_token_pair(self, api: Api) -> None:
        email = api.signup()["user"]["email"]
        response = api.client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert response.status_code == 200
        data = response.json()
        assert data["token_type"] == "bearer"
        assert data["expires_in"] == 900
        assert data["refresh_token"].startswith("rt_")
        claims = jwt.decode(data["access_token"], TEST_JWT_SECRET, algorithms=["HS256"])
        assert {"sub", "jti", "firm", "role", "iat", "exp"} <= set(claims)
        assert claims["exp"] - claims["iat"] == 900
        assert claims["role"] == "customer"
        assert claims["firm"] == "firm_default"

    def test_email_is_matched_case_insensitively(self, api: Api) -> None:
        email = api.signup()["user"]["email"]
        response = api.client.post(
            "/v1/auth/login", json={"email": email.upper(), "password": PASSWORD}
        )
        assert response.status_code == 200

    def test_wrong_password_and_unknown_email_get_the_same_answer(self, api: Api) -> None:
        email = api.signup()["user"]["email"]
        wrong = api.client.post("/v1/auth/login", json={"email": email, "password": "nope-nope"})
        unknown = api.client.post(
            "/v1/auth/login", json={"email": "ghost@example.com", "password": "nope-nope"}
        )
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json()["error"] == unknown.json()["error"]
        assert wrong.json()["error"]["code"] == "invalid_credentials"

    def test_logins_and_failures_are_audited(self, api: Api) -> None:
        from tessera.audit import repository
        from tessera.visibility import Visibility

        created = api.signup()
        email = created["user"]["email"]
        api.client.post("/v1/auth/login", json={"email": email, "password": "wrong-password"})
        api.login(email)
        with api.runtime.db.session_scope(write=False) as session:
            events, _ = repository.page(
                session, visibility=Visibility.everything(), action=None, limit=50, offset=0
            )
        actions = [e.action for e in events if e.target_id == created["user"]["id"]]
        assert "auth.login_failed" in actions
        assert "auth.login" in actions

    def test_a_failure_for_an_email_without_an_account_is_audited_but_not_the_password(
        self, api: Api, logs: LogView
    ) -> None:
        secret = "hunter2-and-then-some"
        response = api.client.post(
            "/v1/auth/login", json={"email": "Nobody@Example.com", "password": secret}
        )
        assert response.status_code == 401
        [entry] = _audit_rows(api.runtime, "auth.login_failed")
        assert entry["actor_type"] == "anonymous"
        assert entry["actor_id"] is None
        assert entry["target_type"] == "email"
        data = entry["data"] if isinstance(entry["data"], dict) else json.loads(str(entry["data"]))
        assert data["email"] == "nobody@example.com"
        assert entry["ip_address"] == "testclient"
        assert entry["request_id"] == response.json()["request_id"]
        assert secret not in json.dumps(entry, default=str)
        assert not [line for line in logs.lines if secret in line]


class TestLoginHoldsNoConnectionWhileHashing:
    def test_no_database_connection_is_checked_out_during_the_hash(
        self, api: Api, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        email = api.signup()["user"]["email"]
        hashing = api.runtime.passwords
        original = hashing._verify
        checked_out: list[int] = []

        def verify(stored: str | None, password: str) -> bool:
            checked_out.append(api.runtime.db.engine.pool.checkedout())  # type: ignore[attr-defined]
            return original(stored, password)

        monkeypatch.setattr(hashing, "_verify", verify)
        assert (
            api.client.post(
                "/v1/auth/login", json={"email": email, "password": PASSWORD}
            ).status_code
            == 200
        )
        for body in (
            {"email": email, "password": "wrong"},
            {"email": "no@example.com", "password": "x"},
        ):
            assert api.client.post("/v1/auth/login", json=body).status_code == 401
        assert checked_out == [0, 0, 0]


class TestUnknownEmailTiming:
    """An unknown email costs a password check too, so timing does not tell whether it exists."""

    @pytest.fixture
    def settings(self, database_url: str, tmp_path: Path) -> Settings:
        # A hash slow enough (tens of ms) to stand out from everything else a login does.
        return make_settings(database_url, tmp_path, argon2_time_cost=4, argon2_memory_kib=8192)

    def test_unknown_email_takes_as_long_as_a_wrong_password(self, api: Api) -> None:
        email = api.signup()["user"]["email"]

        def timed(body: dict[str, str]) -> float:
            started = time.perf_counter()
            assert api.client.post("/v1/auth/login", json=body).status_code == 401
            return time.perf_counter() - started

        wrong, unknown = [], []
        for index in range(4):
            wrong.append(timed({"email": email, "password": f"wrong-password-{index}"}))
            unknown.append(timed({"email": f"ghost{index}@example.com", "password": "nope-nope"}))
        assert statistics.median(unknown) > 0.5 * statistics.median(wrong)
        assert statistics.median(wrong) > 0.5 * statistics.median(unknown)


class TestLoginRateLimit:
    def test_sixth_failure_for_one_email_is_refused_with_retry_after(self, api: Api) -> None:
        email = api.signup()["user"]["email"]
        bad = {"email": email, "password": "wrong-password"}
        codes = [api.client.post("/v1/auth/login", json=bad).status_code for _ in range(5)]
        assert codes == [401] * 5
        limited = api.client.post("/v1/auth/login", json=bad)
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "rate_limited"
        retry_after = int(limited.headers["Retry-After"])
        assert 1 <= retry_after <= 300
        # Even the right password waits until the window has passed.
        right = api.client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert right.status_code == 429

    def test_one_address_is_limited_across_many_emails(self, api: Api) -> None:
        statuses = []
        for index in range(21):
            body = {"email": f"spray{index}@example.com", "password": "wrong-password"}
            statuses.append(api.client.post("/v1/auth/login", json=body).status_code)
        assert statuses[:20] == [401] * 20
        assert statuses[20] == 429

    def test_success_clears_the_email_count(self, api: Api) -> None:
        email = api.signup()["user"]["email"]
        bad = {"email": email, "password": "wrong-password"}
        for _ in range(4):
            assert api.client.post("/v1/auth/login", json=bad).status_code == 401
        api.login(email)
        for _ in range(4):
            assert api.client.post("/v1/auth/login", json=bad).status_code == 401


class TestLockOutIsNotADenialOfService:
    """Failures count per (email, address); the per-email ceiling across addresses is higher."""

    def test_failures_from_one_address_do_not_lock_the_user_out_elsewhere(
        self, api: Api, app: FastAPI
    ) -> None:
        email = api.signup()["user"]["email"]
        attacker, user = _from(app, "203.0.113.7"), _from(app, "198.51.100.20")
        bad = {"email": email, "password": "wrong-password"}
        assert [attacker.post("/v1/auth/login", json=bad).status_code for _ in range(6)] == [
            *[401] * 5,
            429,
        ]
        right = user.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert right.status_code == 200
        # The attacker's own address stays locked for that email, even with the right password.
        assert (
            attacker.post("/v1/auth/login", json={**bad, "password": PASSWORD}).status_code == 429
        )

    def test_the_per_email_ceiling_stops_guessing_from_many_addresses(
        self, api: Api, app: FastAPI
    ) -> None:
        email = api.signup()["user"]["email"]
        bad = {"email": email, "password": "wrong-password"}
        for index in range(10):  # ten addresses, five failures each: the ceiling of 50
            client = _from(app, f"203.0.113.{index + 1}")
            assert [client.post("/v1/auth/login", json=bad).status_code for _ in range(5)] == [
                401
            ] * 5
        limited = _from(app, "203.0.113.99").post("/v1/auth/login", json=bad)
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["Retry-After"]) <= 300

    def test_ipv6_addresses_count_per_64_block(self, api: Api, app: FastAPI) -> None:
        email = api.signup()["user"]["email"]
        bad = {"email": email, "password": "wrong-password"}
        # Each attempt from a new address of one /64: one subscriber, one count.
        codes = [
            _from(app, f"2001:db8:1:2::{index + 1:x}").post("/v1/auth/login", json=bad).status_code
            for index in range(6)
        ]
        assert codes == [*[401] * 5, 429]
        other_block = _from(app, "2001:db8:1:3::1").post("/v1/auth/login", json=bad)
        assert other_block.status_code == 401


class TestConcurrentLogins:
    """A burst is counted before any password is checked, in memory and in a real Redis."""

    BURST = 30

    @pytest.fixture(params=["memory", "redis"])
    def settings(
        self, request: pytest.FixtureRequest, database_url: str, tmp_path: Path
    ) -> Settings:
        storage = "memory://" if request.param == "memory" else request.getfixturevalue("redis_url")
        # Hashes of some milliseconds each, so that a burst really overlaps with them.
        return make_settings(
            database_url,
            tmp_path,
            rate_limit_storage=storage,
            argon2_time_cost=2,
            argon2_memory_kib=8192,
        )

    def _burst(self, api: Api, body: dict[str, str]) -> list[httpx.Response]:
        barrier = threading.Barrier(self.BURST)
        answers: list[httpx.Response] = []
        lock = threading.Lock()

        def send() -> None:
            barrier.wait(10)
            response = api.client.post("/v1/auth/login", json=body)
            with lock:
                answers.append(response)

        threads = [threading.Thread(target=send) for _ in range(self.BURST)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert len(answers) == self.BURST
        return answers

    def test_a_burst_of_wrong_passwords_checks_at_most_the_limit(self, api: Api) -> None:
        email = api.signup()["user"]["email"]
        before = _failed_checks(api.runtime)
        answers = self._burst(api, {"email": email, "password": "wrong-password"})
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [*[401] * 5, *[429] * (self.BURST - 5)]
        assert _failed_checks(api.runtime) - before == 5
        for answer in answers:
            if answer.status_code == 429:
                assert 1 <= int(answer.headers["Retry-After"]) <= 300
        assert len(_audit_rows(api.runtime, "auth.login_failed")) == 5
