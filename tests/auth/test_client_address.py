"""X-Forwarded-For counts only from trusted proxies, for the rate limits and the audit log alike."""

from __future__ import annotations

from pathlib import Path

import httpx2 as httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tessera.config import Settings
from tessera.runtime import Runtime
from tests.support.api import Api
from tests.support.processes import serve
from tests.support.settings import make_settings


def _failed_login_addresses(runtime: Runtime) -> list[str | None]:
    with runtime.db.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT ip_address FROM audit_events"
                " WHERE action = 'auth.login_failed' ORDER BY seq"
            )
        )
        return [row[0] for row in rows]


def _local(app: FastAPI) -> TestClient:
    """A client connecting from 127.0.0.1, where a reverse proxy on the same host would sit."""
    return TestClient(app, client=("127.0.0.1", 50_000), raise_server_exceptions=False)


def _spray(client: TestClient, count: int, forwarded_for: str | None = None) -> list[int]:
    """Failed logins for ``count`` different emails, each claiming a new address."""
    codes = []
    for index in range(count):
        headers = {"X-Forwarded-For": forwarded_for or f"198.51.100.{index + 1}"}
        body = {"email": f"spray{index}@example.com", "password": "wrong-password"}
        codes.append(client.post("/v1/auth/login", json=body, headers=headers).status_code)
    return codes


class TestUntrustedForwardedFor:
    def test_a_client_cannot_choose_its_address(self, api: Api, app: FastAPI) -> None:
        codes = _spray(_local(app), 21)
        # The per-address limit (20) held although every request claimed another address,
        assert codes == [*[401] * 20, 429]
        # and the audit log recorded where the requests really came from.
        recorded = set(_failed_login_addresses(api.runtime))
        assert recorded == {"127.0.0.1"}


class TestTrustedProxy:
    @pytest.fixture
    def settings(self, database_url: str, tmp_path: Path) -> Settings:
        return make_settings(database_url, tmp_path, trusted_proxies=["127.0.0.1"])

    def test_the_forwarded_client_is_counted_and_audited(self, api: Api, app: FastAPI) -> None:
        proxy = _local(app)
        assert _spray(proxy, 21) == [401] * 21  # 21 different clients behind one proxy
        assert _failed_login_addresses(api.runtime)[:2] == ["198.51.100.1", "198.51.100.2"]
        # One forwarded client is held to its own limit, whatever else the header says.
        assert _spray(proxy, 21, forwarded_for="6.6.6.6, 203.0.113.5")[-1] == 429
        assert _failed_login_addresses(api.runtime)[-1] == "203.0.113.5"

    def test_a_client_that_is_not_a_proxy_is_still_not_believed(
        self, api: Api, app: FastAPI
    ) -> None:
        outsider = TestClient(app, client=("203.0.113.9", 50_000))
        assert _spray(outsider, 21)[-1] == 429
        assert set(_failed_login_addresses(api.runtime)) == {"203.0.113.9"}


@pytest.mark.slow
class TestServeIgnoresForwardedFor:
    def test_tessera_serve_believes_no_header_by_default(
        self, settings: Settings, database_url: str
    ) -> None:
        # Uvicorn on its own trusts X-Forwarded-For from 127.0.0.1: any local client could name
        # its address. The app reads it, and only from TRUSTED_PROXIES.
        with serve(settings) as server:
            response = httpx.post(
                f"{server.base_url}/v1/auth/login",
                json={"email": "ghost@example.com", "password": "wrong-password"},
                headers={"X-Forwarded-For": "198.51.100.77"},
                timeout=30,
            )
            assert response.status_code == 401
        engine = sa.create_engine(database_url)
        try:
            with engine.connect() as conn:
                recorded = conn.execute(
                    sa.text(
                        "SELECT ip_address FROM audit_events WHERE action = 'auth.login_failed'"
                    )
                ).scalar_one()
        finally:
            engine.dispose()
        assert recorded == "127.0.0.1"
