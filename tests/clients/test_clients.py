"""Machine clients: created with scopes, secrets shown once and stored hashed, disabled at once."""

from __future__ import annotations

import base64
import hashlib
import threading

import httpx2 as httpx
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tessera.runtime import Runtime
from tests.support.api import Api
from tests.support.firms import create_tenant, machine_client


def firm_client(api: Api) -> tuple[str, str, str]:
    """A new firm and a client of it with cards scopes: (firm id, client id, secret)."""
    tenant = create_tenant(api)
    body = tenant.admin.post(
        f"/v1/firms/{tenant.id}/clients",
        json={"name": "x", "scopes": ["cards:read", "cards:write"]},
    ).json()
    return tenant.id, body["client_id"], body["client_secret"]


class TestCreateClient:
    def test_secret_is_shown_once_and_stored_only_as_a_hash(
        self, api: Api, runtime: Runtime
    ) -> None:
        tenant = create_tenant(api)
        response = tenant.admin.post(
            f"/v1/firms/{tenant.id}/clients",
            json={"name": "billing", "scopes": ["cards:read", "cards:write", "cards:read"]},
        )
        assert response.status_code == 201, response.text
        assert response.headers["cache-control"] == "no-store"
        body = response.json()
        assert body["scopes"] == ["cards:read", "cards:write"]
        secret = body["client_secret"]
        with runtime.db.engine.connect() as conn:
            stored = conn.execute(
                sa.text("SELECT secret_hash FROM api_clients WHERE id = :id"),
                {"id": body["client_id"]},
            ).scalar_one()
        assert stored == hashlib.sha256(secret.encode()).hexdigest()
        listed = tenant.admin.get(f"/v1/firms/{tenant.id}/clients").json()
        assert listed["items"][0]["client_id"] == body["client_id"]
        assert "client_secret" not in listed["items"][0]
        assert secret not in str(listed)

    def test_unknown_scope_is_422(self, api: Api) -> None:
        tenant = create_tenant(api)
        response = tenant.admin.post(
            f"/v1/firms/{tenant.id}/clients", json={"name": "x", "scopes": ["cards:everything"]}
        )
        assert response.status_code == 422

    def test_operator_without_clients_manage_is_403(self, api: Api) -> None:
        tenant = create_tenant(api)
        response = tenant.staff("firm_operator").post(
            f"/v1/firms/{tenant.id}/clients", json={"name": "x", "scopes": ["cards:read"]}
        )
        assert response.status_code == 403

    def test_a_client_cannot_create_a_client_with_more_scopes(self, api: Api) -> None:
        tenant = create_tenant(api)
        manager = tenant.client("clients:manage", "cards:read")
        wider = manager.post(
            f"/v1/firms/{tenant.id}/clients",
            json={"name": "x", "scopes": ["cards:read", "cards:reveal"]},
        )
        assert wider.status_code == 403
        assert wider.json()["error"]["details"]["scopes"] == ["cards:reveal"]
        same = manager.post(
            f"/v1/firms/{tenant.id}/clients", json={"name": "y", "scopes": ["cards:read"]}
        )
        assert same.status_code == 201


class TestOAuthToken:
    def test_form_credentials_give_a_bearer_token_with_the_client_scopes(self, api: Api) -> None:
        _, client_id, secret = firm_client(api)
        response = api.client.post(
            "/v1/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
            },
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["token_type"] == "bearer"
        assert body["scope"] == "cards:read cards:write"
        assert body["expires_in"] == 900
        assert response.headers["cache-control"] == "no-store"
        me = api.client.get(
            "/v1/card-registrations", headers={"Authorization": f"Bearer {body['access_token']}"}
        )
        assert me.status_code == 200

    def test_http_basic_authentication_works_too(self, api: Api) -> None:
        _, client_id, secret = firm_client(api)
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        response = api.client.post(
            "/v1/oauth/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}"},
        )
        assert response.status_code == 200, response.text

    def test_scope_narrows_and_the_token_is_held_to_it(self, api: Api) -> None:
        tenant = create_tenant(api)
        reader = machine_client(
            tenant.admin, tenant.id, ["cards:read", "cards:write"], scope="cards:read"
        )
        assert reader.extra["scope"] == "cards:read"
        assert reader.get("/v1/card-registrations").status_code == 200
        denied = reader.post("/v1/card-registrations", json={})
        assert denied.status_code == 403
        assert denied.json()["error"]["details"]["scope"] == "cards:write"

    def test_scope_beyond_the_client_is_invalid_scope(self, api: Api) -> None:
        _, client_id, secret = firm_client(api)
        response = api.client.post(
            "/v1/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
                "scope": "cards:read cards:reveal",
            },
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_scope"

    def test_wrong_secret_unknown_client_and_missing_credentials_are_invalid_client(
        self, api: Api
    ) -> None:
        _, client_id, secret = firm_client(api)
        for form in (
            {"client_id": client_id, "client_secret": secret + "x"},
            {"client_id": "cli_nope", "client_secret": secret},
            {"client_id": client_id},
            {},
        ):
            response = api.client.post(
                "/v1/oauth/token", data={"grant_type": "client_credentials", **form}
            )
            assert response.status_code == 401, form
            assert response.json()["error"]["code"] == "invalid_client"
            assert response.headers["www-authenticate"].startswith("Basic")

    def test_other_grants_are_unsupported_grant_type(self, api: Api) -> None:
        _, client_id, secret = firm_client(api)
        response = api.client.post(
            "/v1/oauth/token",
            data={"grant_type": "password", "client_id": client_id, "client_secret": secret},
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "unsupported_grant_type"

    def test_missing_grant_type_or_a_json_body_is_invalid_request(self, api: Api) -> None:
        _, client_id, secret = firm_client(api)
        missing = api.client.post(
            "/v1/oauth/token", data={"client_id": client_id, "client_secret": secret}
        )
        assert missing.status_code == 400
        assert missing.json()["error"]["code"] == "invalid_request"
        as_json = api.client.post(
            "/v1/oauth/token",
            json={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
            },
        )
        assert as_json.status_code == 400
        assert as_json.json()["error"]["code"] == "invalid_request"

    def test_two_ways_of_authenticating_at_once_is_invalid_request(self, api: Api) -> None:
        _, client_id, secret = firm_client(api)
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        response = api.client.post(
            "/v1/oauth/token",
            data={"grant_type": "client_credentials", "client_id": client_id},
            headers={"Authorization": f"Basic {basic}"},
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_request"


class TestClientAuthRateLimit:
    """Failed client authentications are limited like failed logins (10 per client id and
    address, 100 per client id, 20 per address in 5 minutes by default), apart from them."""

    def _token(
        self, api: Api, client_id: str, secret: str, *, via: TestClient | None = None
    ) -> httpx.Response:
        return (via or api.client).post(
            "/v1/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
            },
        )

    def test_failures_from_one_address_do_not_lock_the_client_out_elsewhere(
        self, api: Api, app: FastAPI
    ) -> None:
        _, client_id, secret = firm_client(api)
        attacker = TestClient(app, client=("203.0.113.7", 50_000))
        service = TestClient(app, client=("198.51.100.20", 50_000))
        codes = [self._token(api, client_id, "guess", via=attacker).status_code for _ in range(11)]
        assert codes == [*[401] * 10, 429]
        assert self._token(api, client_id, secret, via=service).status_code == 200

    def test_a_burst_of_wrong_secrets_checks_at_most_the_limit(self, api: Api) -> None:
        _, client_id, secret = firm_client(api)
        barrier = threading.Barrier(30)
        codes: list[int] = []

        def send() -> None:
            barrier.wait(10)
            codes.append(self._token(api, client_id, secret + "x").status_code)

        threads = [threading.Thread(target=send) for _ in range(30)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert sorted(codes) == [*[401] * 10, *[429] * 20]

    def test_the_eleventh_failure_for_a_client_is_refused_with_retry_after(self, api: Api) -> None:
        _, client_id, secret = firm_client(api)
        _, other_id, other_secret = firm_client(api)
        codes = [self._token(api, client_id, secret + "x").status_code for _ in range(10)]
        assert codes == [401] * 10
        limited = self._token(api, client_id, secret + "x")
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(limited.headers["Retry-After"]) <= 300
        # Even the right secret waits; another client of the same address does not.
        assert self._token(api, client_id, secret).status_code == 429
        assert self._token(api, other_id, other_secret).status_code == 200

    def test_a_success_clears_the_client_count(self, api: Api) -> None:
        _, client_id, secret = firm_client(api)
        first = [self._token(api, client_id, "wrong").status_code for _ in range(9)]
        assert self._token(api, client_id, secret).status_code == 200
        again = [self._token(api, client_id, "wrong").status_code for _ in range(9)]
        assert first + again == [401] * 18

    def test_one_address_is_limited_across_many_client_ids(self, api: Api) -> None:
        codes = [self._token(api, f"cli_guess{n}", "secret").status_code for n in range(21)]
        assert codes[:20] == [401] * 20
        assert codes[20] == 429

    def test_failed_logins_do_not_count_against_clients(self, api: Api) -> None:
        _, client_id, secret = firm_client(api)
        for n in range(20):
            body = {"email": f"spray{n}@example.com", "password": "wrong-password"}
            assert api.client.post("/v1/auth/login", json=body).status_code == 401
        assert self._token(api, client_id, secret).status_code == 200


class TestDisableClient:
    def test_a_disabled_client_loses_its_tokens_and_its_secret(self, api: Api) -> None:
        tenant = create_tenant(api)
        client = tenant.client("cards:read")
        assert client.get("/v1/card-registrations").status_code == 200
        disabled = tenant.admin.delete(f"/v1/firms/{tenant.id}/clients/{client.user_id}")
        assert disabled.status_code == 204
        after = client.get("/v1/card-registrations")
        assert after.status_code == 401
        assert after.json()["error"]["code"] == "unauthorized"
        token = api.client.post(
            "/v1/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client.user_id,
                "client_secret": client.extra["client_secret"],
            },
        )
        assert token.status_code == 401
        listed = tenant.admin.get(f"/v1/firms/{tenant.id}/clients").json()["items"]
        assert listed[0]["status"] == "disabled"
        actions = [e["action"] for e in tenant.admin.get("/v1/audit-events").json()["items"]]
        assert "client.disabled" in actions

    def test_a_token_cannot_be_replayed_against_another_firm(self, api: Api) -> None:
        first, second = create_tenant(api), create_tenant(api)
        client = first.client("cards:read", "clients:manage")
        assert client.get(f"/v1/firms/{second.id}/clients").status_code == 404
        assert client.get(f"/v1/firms/{first.id}/clients").status_code == 200
