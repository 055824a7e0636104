"""Login, the rate limit on failures, and what is audited."""

from __future__ import annotations

import json

import jwt
import sqlalchemy as sa

from tessera.runtime import Runtime
from tests.conftest import TEST_JWT_SECRET, LogView
from tests.support.api import PASSWORD, Api


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

        created = api.signup()
        email = created["user"]["email"]
        api.client.post("/v1/auth/login", json={"email": email, "password": "wrong-password"})
        api.login(email)
        with api.runtime.db.session_scope(write=False) as session:
            events, _ = repository.page(session, firm_id=None, action=None, limit=50, offset=0)
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
