"""Access tokens (expiry, tampering) and refresh-token rotation, reuse and logout."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import jwt
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tessera import rawsql
from tessera.models.base import utcnow
from tests.support.api import Api


def _session_of(token: str) -> str:
    """The login session (``sid``) an access token belongs to."""
    claims = jwt.decode(token, options={"verify_signature": False}, algorithms=["HS256"])
    return str(claims["sid"])


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "platform_admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


class TestAccessToken:
    def test_protected_route_needs_a_token(self, client: TestClient) -> None:
        response = client.get("/v1/accounts")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"] == "Bearer"

    def test_expired_token_is_refused_with_its_own_code(self, api: Api) -> None:
        customer = api.customer()
        stale = api.runtime.access_tokens.issue(
            subject=customer.user_id,
            firm=customer.firm_id,
            role="customer",
            session_id=_session_of(customer.access_token),
            now=utcnow() - timedelta(minutes=16),
        )
        response = api.client.get("/v1/auth/me", headers={"Authorization": f"Bearer {stale}"})
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "token_expired"

    def test_a_token_accepted_before_still_expires_on_time(self, api: Api) -> None:
        # Verified signatures are remembered; the expiry is not.
        customer = api.customer()
        assert customer.get("/v1/auth/me").status_code == 200
        api.runtime.clock = lambda: utcnow() + timedelta(minutes=16)
        response = customer.get("/v1/auth/me")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "token_expired"

    def test_token_still_valid_at_fourteen_minutes(self, api: Api) -> None:
        customer = api.customer()
        token = api.runtime.access_tokens.issue(
            subject=customer.user_id,
            firm=customer.firm_id,
            role="customer",
            session_id=_session_of(customer.access_token),
            now=utcnow() - timedelta(minutes=14),
        )
        response = api.client.get("/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200

    def test_tampered_token_is_refused(self, api: Api) -> None:
        customer = api.customer()
        forged = _tamper(customer.access_token)
        response = api.client.get("/v1/auth/me", headers={"Authorization": f"Bearer {forged}"})
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"

    def test_token_signed_with_another_key_or_none_is_refused(self, api: Api) -> None:
        customer = api.customer()
        claims = jwt.decode(
            customer.access_token, options={"verify_signature": False}, algorithms=["HS256"]
        )
        other = jwt.encode(claims, "another-secret-that-is-long-enough-1234", algorithm="HS256")
        unsigned = jwt.encode(claims, key=None, algorithm="none")  # type: ignore[arg-type]
        for token in (other, unsigned, "not-a-jwt"):
            response = api.client.get("/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 401, token

    def test_a_user_token_without_a_login_session_is_refused(self, api: Api) -> None:
        customer = api.customer()
        sessionless = api.runtime.access_tokens.issue(
            subject=customer.user_id, firm=customer.firm_id, role="customer", now=utcnow()
        )
        response = api.client.get("/v1/auth/me", headers={"Authorization": f"Bearer {sessionless}"})
        assert response.status_code == 401
        # Nor does another login's session id make it valid for someone else.
        other = api.customer()
        borrowed = api.runtime.access_tokens.issue(
            subject=customer.user_id,
            firm=customer.firm_id,
            role="customer",
            session_id=_session_of(other.access_token),
            now=utcnow(),
        )
        response = api.client.get("/v1/auth/me", headers={"Authorization": f"Bearer {borrowed}"})
        assert response.status_code == 401

    def test_the_caller_is_resolved_in_one_query(self, api: Api) -> None:
        # Every authenticated request pays for this: the session check rides on the user query.
        from tessera.identity.service import resolve_principal

        customer = api.customer()
        claims = api.runtime.access_tokens.verify(customer.access_token, now=utcnow())
        statements: list[str] = []

        def count(*args: object) -> None:
            statements.append(str(args[2]))

        class Counting(rawsql.Cursor):
            __slots__ = ()

            def execute(self, statement: rawsql.Statement, params: rawsql.Params = ()) -> Any:
                statements.append(statement.sqlite)
                return super().execute(statement, params)

        raw = api.runtime.db.engine.raw_connection()
        try:
            cursor = Counting(raw.cursor(), api.runtime.db.dialect)
            principal = resolve_principal(cursor, claims)
        finally:
            raw.close()
        assert principal.id == customer.user_id
        assert principal.session_id == claims.sid
        assert len(statements) == 1, statements

    def test_deleted_user_token_stops_working(self, api: Api) -> None:
        customer = api.customer()
        assert customer.delete(f"/v1/users/{customer.user_id}").status_code == 204
        assert customer.get("/v1/auth/me").status_code == 401


class TestMe:
    def test_shows_user_role_firm_and_holder(self, api: Api) -> None:
        customer = api.customer()
        data = customer.get("/v1/auth/me").json()
        assert data["user"]["id"] == customer.user_id
        assert data["role"] == "customer"
        assert data["firm"] == "firm_default"
        assert data["account_holder"]["id"] == customer.holder_id


class TestRefresh:
    def test_rotates_to_a_new_pair(self, api: Api) -> None:
        customer = api.customer()
        response = api.client.post(
            "/v1/auth/refresh", json={"refresh_token": customer.refresh_token}
        )
        assert response.status_code == 200
        pair = response.json()
        assert pair["refresh_token"] != customer.refresh_token
        me = api.client.get(
            "/v1/auth/me", headers={"Authorization": f"Bearer {pair['access_token']}"}
        )
        assert me.status_code == 200

    def test_reuse_of_a_rotated_token_revokes_the_family(self, api: Api) -> None:
        customer = api.customer()
        first = api.client.post("/v1/auth/refresh", json={"refresh_token": customer.refresh_token})
        newer = first.json()["refresh_token"]
        reused = api.client.post("/v1/auth/refresh", json={"refresh_token": customer.refresh_token})
        assert reused.status_code == 401
        # The thief's replay has burned the legitimate newer token too.
        after = api.client.post("/v1/auth/refresh", json={"refresh_token": newer})
        assert after.status_code == 401

    def test_reuse_ends_the_access_tokens_of_the_login_at_once(self, api: Api) -> None:
        customer = api.customer()
        first_access = customer.access_token
        rotated = api.client.post(
            "/v1/auth/refresh", json={"refresh_token": customer.refresh_token}
        ).json()
        for token in (first_access, rotated["access_token"]):
            me = api.client.get("/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 200
        reused = api.client.post("/v1/auth/refresh", json={"refresh_token": customer.refresh_token})
        assert reused.status_code == 401
        for token in (first_access, rotated["access_token"]):
            me = api.client.get("/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 401
            assert me.json()["error"]["code"] == "unauthorized"

    def test_unknown_and_expired_tokens_are_refused(self, api: Api) -> None:
        unknown = api.client.post("/v1/auth/refresh", json={"refresh_token": "rt_nope"})
        assert unknown.status_code == 401
        customer = api.customer()
        api.runtime.clock = lambda: utcnow() + timedelta(days=31)
        expired = api.client.post(
            "/v1/auth/refresh", json={"refresh_token": customer.refresh_token}
        )
        assert expired.status_code == 401

    def test_refresh_tokens_are_stored_only_as_hashes(self, api: Api) -> None:

        customer = api.customer()
        with api.runtime.db.engine.connect() as conn:
            stored = [r[0] for r in conn.execute(sa.text("SELECT token_hash FROM refresh_tokens"))]
        assert customer.refresh_token not in stored
        assert all(len(value) == 64 for value in stored)


class TestLogout:
    def test_revokes_the_family(self, api: Api) -> None:
        customer = api.customer()
        out = customer.post("/v1/auth/logout", json={"refresh_token": customer.refresh_token})
        assert out.status_code == 204
        assert out.content == b""
        again = api.client.post("/v1/auth/refresh", json={"refresh_token": customer.refresh_token})
        assert again.status_code == 401

    def test_the_access_token_stops_working_at_once(self, api: Api) -> None:
        customer = api.customer()
        assert customer.get("/v1/auth/me").status_code == 200
        out = customer.post("/v1/auth/logout", json={"refresh_token": customer.refresh_token})
        assert out.status_code == 204
        after = customer.get("/v1/auth/me")
        assert after.status_code == 401
        assert after.json()["error"]["code"] == "unauthorized"
        assert customer.get("/v1/accounts").status_code == 401

    def test_other_logins_of_the_user_keep_working(self, api: Api) -> None:
        customer = api.customer()
        laptop = api.login(customer.email)
        assert (
            customer.post(
                "/v1/auth/logout", json={"refresh_token": customer.refresh_token}
            ).status_code
            == 204
        )
        headers = {"Authorization": f"Bearer {laptop['access_token']}"}
        assert api.client.get("/v1/auth/me", headers=headers).status_code == 200
        refreshed = api.client.post(
            "/v1/auth/refresh", json={"refresh_token": laptop["refresh_token"]}
        )
        assert refreshed.status_code == 200

    def test_cannot_revoke_someone_elses_login(self, api: Api) -> None:
        alice, bob = api.customer(), api.customer()
        assert (
            bob.post("/v1/auth/logout", json={"refresh_token": alice.refresh_token}).status_code
            == 204
        )
        still = api.client.post("/v1/auth/refresh", json={"refresh_token": alice.refresh_token})
        assert still.status_code == 200
