"""The error envelope everywhere: framework errors, bad bodies, oversized bodies, and 500s."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient

from tessera.app import create_app
from tessera.runtime import build_runtime
from tests.support.api import Api
from tests.support.logs import LogView
from tests.support.settings import make_settings


def _assert_envelope(body: dict[str, object], code: str) -> None:
    assert set(body) == {"error", "request_id"}
    error = body["error"]
    assert isinstance(error, dict)
    assert error["code"] == code
    assert isinstance(error["message"], str)
    assert error["message"]
    assert isinstance(error["details"], dict)
    assert isinstance(body["request_id"], str)
    assert body["request_id"]


class TestFrameworkErrors:
    def test_unknown_route_is_a_404_envelope(self, client: TestClient) -> None:
        response = client.get("/v1/does-not-exist")
        assert response.status_code == 404
        _assert_envelope(response.json(), "not_found")

    def test_wrong_method_is_a_405_envelope_with_allow(self, client: TestClient) -> None:
        response = client.delete("/v1/accounts")
        assert response.status_code == 405
        _assert_envelope(response.json(), "method_not_allowed")
        assert "GET" in response.headers["allow"]

    def test_unknown_api_post_is_404_not_405(self, client: TestClient) -> None:
        response = client.post("/v1/nothing-here", json={})
        assert response.status_code == 404

    def test_malformed_json_is_a_400(self, client: TestClient) -> None:
        response = client.post(
            "/v1/auth/login", content=b'{"email": ', headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400
        _assert_envelope(response.json(), "malformed_request")

    def test_non_json_body_is_a_415(self, client: TestClient) -> None:
        response = client.post(
            "/v1/auth/login", content=b"email=a", headers={"Content-Type": "text/plain"}
        )
        assert response.status_code == 415
        _assert_envelope(response.json(), "unsupported_media_type")

    def test_validation_errors_list_fields_without_echoing_input(self, client: TestClient) -> None:
        response = client.post(
            "/v1/auth/signup",
            json={"email": "4111111111111111", "password": "x", "first_name": "", "dob": "soon"},
        )
        assert response.status_code == 422
        body = response.json()
        _assert_envelope(body, "validation_error")
        fields = {f["field"] for f in body["error"]["details"]["fields"]}
        assert {"email", "password", "first_name", "last_name", "dob"} <= fields
        assert "4111111111111111" not in response.text


class TestBodyLimit:
    def test_declared_oversized_body_is_a_413(self, client: TestClient) -> None:
        response = client.post(
            "/v1/auth/login",
            content=b"{" + b" " * 2_000_000 + b"}",
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 413
        _assert_envelope(response.json(), "payload_too_large")

    def test_streamed_oversized_body_is_a_413(self, client: TestClient) -> None:
        def chunks():  # type: ignore[no-untyped-def]
            for _ in range(40):
                yield b" " * 65_536

        response = client.post(
            "/v1/auth/login", content=chunks(), headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 413


class TestInternalErrors:
    def test_500_hides_internals_but_carries_the_request_id(
        self, api: Api, logs: LogView, backend: str
    ) -> None:
        customer = api.customer()
        with api.runtime.db.engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE accounts RENAME TO accounts_moved"))
        try:
            response = customer.get("/v1/accounts", headers={"X-Request-Id": "trace-me-500"})
        finally:
            with api.runtime.db.engine.begin() as conn:
                conn.execute(sa.text("ALTER TABLE accounts_moved RENAME TO accounts"))
        assert response.status_code == 500
        body = response.json()
        _assert_envelope(body, "internal_error")
        assert body["request_id"] == "trace-me-500"
        for leak in ("SELECT", "accounts", "Traceback", "sqlite", "psycopg"):
            assert leak not in response.text
        errors = [r for r in logs.records() if r.get("event") == "unhandled_exception"]
        assert errors
        assert errors[0]["request_id"] == "trace-me-500"
        assert "Traceback" in errors[0]["exception"]


class TestHealth:
    def test_ok_with_the_database(self, client: TestClient) -> None:
        response = client.get("/v1/health")
        assert response.status_code == 200
        body = response.json()
        assert (body["status"], body["database"]) == ("ok", "ok")
        assert body["version"] == "0.1.0"
        assert body["timestamp"].endswith("Z")

    def test_503_when_the_database_does_not_answer(
        self, tmp_path: Path, backend: str, database_url: str
    ) -> None:
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path}/missing-dir/none.db"
        else:
            from tests.support.ports import free_port

            url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing"
        runtime = build_runtime(make_settings(url, tmp_path))
        app = create_app(runtime=runtime)
        response = TestClient(app, raise_server_exceptions=False).get("/v1/health")
        assert response.status_code == 503
        assert (response.json()["status"], response.json()["database"]) == (
            "unavailable",
            "unavailable",
        )


class TestWebApp:
    def test_root_serves_html(self, client: TestClient) -> None:
        response = client.get("/")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")

    def test_openapi_documents_the_routes(self, client: TestClient) -> None:
        spec = client.get("/openapi.json").json()
        assert "/v1/transfers" in spec["paths"]
        assert client.get("/docs").status_code == 200


class TestOpenApiErrors:
    def test_every_operation_declares_the_envelope_for_its_errors(self, client: TestClient) -> None:
        spec = client.get("/openapi.json").json()
        envelope = {"$ref": "#/components/schemas/ErrorEnvelope"}
        transfer = spec["paths"]["/v1/transfers"]["post"]["responses"]
        assert {"401", "403", "409", "422", "500"} <= set(transfer)
        assert transfer["409"]["content"]["application/json"]["schema"] == envelope
        login = spec["paths"]["/v1/auth/login"]["post"]["responses"]
        assert {"401", "429"} <= set(login)
        # 403 is declared on every operation (for schemathesis, issue 11); login's own 403 is
        # the web app's cookie mode refusing a request from another site.
        forbidden = login["403"]["content"]["application/json"]["examples"]
        assert set(forbidden) == {"forbidden", "csrf_rejected"}
        for path, item in spec["paths"].items():
            for method, operation in item.items():
                assert "500" in operation["responses"], (method, path)
