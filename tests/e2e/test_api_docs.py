"""/docs in Chromium: Swagger UI comes from the service itself and runs under its CSP."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.conftest import BrowserLog
from tests.e2e.service import LiveService

pytestmark = pytest.mark.e2e


class TestApiDocs:
    def test_docs_render_operations_with_no_network_beyond_loopback(
        self, page: Page, live_service: LiveService, browser_log: BrowserLog
    ) -> None:
        requested: list[str] = []
        elsewhere: list[str] = []

        def only_loopback(route: Route) -> None:
            url = route.request.url
            requested.append(url)
            if urlsplit(url).hostname == "127.0.0.1" or url.startswith("data:"):
                route.continue_()
            else:
                elsewhere.append(url)
                route.abort()

        page.route("**/*", only_loopback)
        page.goto(f"{live_service.base_url}/docs")

        # Operations of the document, rendered and expandable.
        operation = page.locator(".opblock").filter(has_text="/v1/accounts").first
        expect(operation).to_be_visible(timeout=30_000)  # a large document on a busy machine
        expect(page.locator(".opblock")).not_to_have_count(0)
        operation.locator(".opblock-summary").first.click()
        expect(page.get_by_role("button", name="Try it out").first).to_be_visible()

        assert elsewhere == [], f"/docs reached beyond 127.0.0.1: {elsewhere}"
        assert any(u.endswith("/swagger-ui/swagger-ui-bundle.js") for u in requested)
        violations = [line for line in browser_log.console if "Content Security Policy" in line]
        assert violations == [], violations


class TestWebAppUnderItsPolicy:
    def test_the_web_app_runs_with_no_policy_violation(
        self, page: Page, live_service: LiveService, browser_log: BrowserLog
    ) -> None:
        response = page.goto(f"{live_service.base_url}/login")
        assert response is not None
        assert "script-src 'self'" in response.headers["content-security-policy"]
        expect(page.get_by_role("button", name="Log in")).to_be_visible()
        violations = [line for line in browser_log.console if "Content Security Policy" in line]
        assert violations == [], violations
