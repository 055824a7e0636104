"""Security headers on every answer (the web app, the API, /docs), HSTS only over TLS."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tessera.app import create_app
from tessera.runtime import build_runtime
from tessera.web import web_dist_dir
from tests.support.settings import make_settings

PATHS = ["/", "/login", "/docs", "/openapi.json", "/v1/health", "/v1/accounts", "/v1/nothing"]


def _assert_protected(headers: dict[str, str] | object) -> None:
    get = headers.get  # type: ignore[attr-defined]
    csp = get("content-security-policy")
    assert csp is not None
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert get("x-frame-options") == "DENY"
    assert get("x-content-type-options") == "nosniff"
    assert get("referrer-policy") == "no-referrer"


class TestSecurityHeaders:
    @pytest.mark.parametrize("path", PATHS)
    def test_every_answer_carries_them_and_no_hsts_over_plain_http(
        self, client: TestClient, path: str
    ) -> None:
        response = client.get(path)
        _assert_protected(response.headers)
        assert "strict-transport-security" not in response.headers

    def test_errors_framework_answers_and_posts_carry_them(self, client: TestClient) -> None:
        for response in (
            client.delete("/v1/accounts"),  # 405
            client.post(
                "/v1/auth/login", content=b"{", headers={"Content-Type": "application/json"}
            ),
            client.post("/v1/auth/login", json={"email": "a@example.com", "password": "wrong"}),
        ):
            _assert_protected(response.headers)

    def test_hsts_when_the_request_came_over_https(self, app: FastAPI) -> None:
        with TestClient(app, base_url="https://testserver") as secure:
            response = secure.get("/v1/health")
        assert response.headers["strict-transport-security"].startswith("max-age=31536000")
        _assert_protected(response.headers)

    def test_hsts_on_every_answer_when_the_setting_says_so(
        self, database_url: str, tmp_path: Path
    ) -> None:
        runtime = build_runtime(make_settings(database_url, tmp_path, served_over_tls=True))
        try:
            with TestClient(create_app(runtime=runtime)) as plain:
                response = plain.get("/v1/health")
        finally:
            runtime.db.dispose()
        assert "max-age=" in response.headers["strict-transport-security"]


_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S | re.I)


def _scripts(html: str) -> list[tuple[str, str]]:
    return [(attributes, body) for attributes, body in _SCRIPT.findall(html)]


class TestNoInlineScript:
    def test_docs_load_swagger_ui_from_this_service_only(self, client: TestClient) -> None:
        html = client.get("/docs").text
        scripts = _scripts(html)
        if not (web_dist_dir() / "swagger-ui").is_dir():
            pytest.skip("web/dist is not built (make web)")
        assert scripts, html
        for attributes, body in scripts:
            assert body.strip() == "", "an inline script would be refused by the CSP"
            source = re.search(r'src="([^"]+)"', attributes)
            assert source is not None
            assert source.group(1).startswith("/swagger-ui/")
        assert "//" not in html.replace("<!doctype", ""), "nothing from another origin"
        for asset in ("/swagger-ui/swagger-ui-bundle.js", "/swagger-ui/swagger-ui.css"):
            answer = client.get(asset)
            assert answer.status_code == 200, asset
            _assert_protected(answer.headers)

    def test_the_web_build_has_no_inline_script(self) -> None:
        index = web_dist_dir() / "index.html"
        if not index.is_file():
            pytest.skip("web/dist is not built (make web)")
        scripts = _scripts(index.read_text())
        assert scripts
        assert all(body.strip() == "" for _, body in scripts)
