"""The web app's sessions: refresh tokens in HttpOnly cookies, renewed and ended by the browser,
and refused to any other site (CSRF)."""

from __future__ import annotations

from collections.abc import Iterator
from http.cookies import SimpleCookie

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support.api import PASSWORD, Api
from tests.support.settings import make_settings

ORIGIN = "https://bank.example"
WEB_APP = {"X-Tessera-Session": "cookie", "Origin": ORIGIN}


@pytest.fixture
def browser(app: FastAPI) -> Iterator[TestClient]:
    """A browser on the service's own https origin: it keeps cookies like Chromium does."""
    with TestClient(app, base_url=ORIGIN, raise_server_exceptions=False) as client:
        yield client


def set_cookies(response: httpx.Response) -> dict[str, SimpleCookie]:
    """Each Set-Cookie of an answer, by cookie name, with its attributes."""
    found: dict[str, SimpleCookie] = {}
    for header in response.headers.get_list("set-cookie"):
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        for name in cookie:
            found[name] = cookie
    return found


def sign_in(browser: TestClient, email: str) -> httpx.Response:
    answer = browser.post(
        "/v1/auth/login", json={"email": email, "password": PASSWORD}, headers=WEB_APP
    )
    assert answer.status_code == 200, answer.text
    return answer


def renew(browser: TestClient, **body: str) -> httpx.Response:
    return browser.post("/v1/auth/refresh/sessions", json=body, headers=WEB_APP)


def cookie_value(browser: TestClient, user_id: str) -> str:
    value = browser.cookies.get(f"tessera_rt_{user_id}", path="/v1/auth/refresh")
    assert value, f"no refresh cookie for {user_id}"
    return str(value)


class TestCookieLogin:
    def test_the_refresh_token_goes_into_an_httponly_strict_cookie_and_not_the_body(
        self, api: Api, browser: TestClient
    ) -> None:
        created = api.signup()
        answer = sign_in(browser, created["user"]["email"])

        body = answer.json()
        assert set(body) == {"access_token", "token_type", "expires_in"}
        assert answer.headers["Cache-Control"] == "no-store"
        name = f"tessera_rt_{created['user']['id']}"
        morsel = set_cookies(answer)[name][name]
        assert morsel.value.startswith("rt_")
        assert morsel["httponly"] is True
        assert morsel["secure"] is True
        assert morsel["samesite"] == "strict"
        assert morsel["path"] == "/v1/auth/refresh"
        assert int(morsel["max-age"]) == api.runtime.settings.refresh_token_ttl_seconds

    def test_api_clients_still_get_both_tokens_in_the_body_and_no_cookie(self, api: Api) -> None:
        email = api.signup()["user"]["email"]
        answer = api.client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert answer.status_code == 200
        assert answer.json()["refresh_token"].startswith("rt_")
        assert "set-cookie" not in answer.headers
        rotated = api.client.post(
            "/v1/auth/refresh", json={"refresh_token": answer.json()["refresh_token"]}
        )
        assert rotated.status_code == 200
        assert rotated.json()["refresh_token"].startswith("rt_")

    def test_a_wrong_password_sets_no_cookie(self, api: Api, browser: TestClient) -> None:
        email = api.signup()["user"]["email"]
        answer = browser.post(
            "/v1/auth/login", json={"email": email, "password": "wrong-password"}, headers=WEB_APP
        )
        assert answer.status_code == 401
        assert "set-cookie" not in answer.headers


class TestRenewal:
    def test_a_reload_renews_every_signed_in_user_and_rotates_their_cookies(
        self, api: Api, browser: TestClient
    ) -> None:
        ada = api.signup()["user"]
        alan = api.signup()["user"]
        sign_in(browser, ada["email"])
        sign_in(browser, alan["email"])
        before = cookie_value(browser, ada["id"])

        answer = renew(browser)

        assert answer.status_code == 200, answer.text
        assert answer.headers["Cache-Control"] == "no-store"
        sessions = answer.json()["sessions"]
        assert sorted(s["user_id"] for s in sessions) == sorted([ada["id"], alan["id"]])
        assert answer.json()["ended"] == []
        me = browser.get(
            "/v1/auth/me", headers={"Authorization": f"Bearer {sessions[0]['access_token']}"}
        )
        assert me.json()["user"]["id"] == sessions[0]["user_id"]
        assert cookie_value(browser, ada["id"]) != before
        # The cookie held the same rotating token an API client would: the old one is spent.
        reused = api.client.post("/v1/auth/refresh", json={"refresh_token": before})
        assert reused.status_code == 401

    def test_one_user_can_be_renewed_alone(self, api: Api, browser: TestClient) -> None:
        ada = api.signup()["user"]
        alan = api.signup()["user"]
        sign_in(browser, ada["email"])
        sign_in(browser, alan["email"])
        alans = cookie_value(browser, alan["id"])

        answer = renew(browser, user_id=ada["id"])

        assert [s["user_id"] for s in answer.json()["sessions"]] == [ada["id"]]
        assert cookie_value(browser, alan["id"]) == alans

    def test_a_browser_without_cookies_has_no_session(self, browser: TestClient) -> None:
        answer = renew(browser)
        assert answer.status_code == 200
        assert answer.json() == {"sessions": [], "ended": []}

    def test_a_reused_cookie_ends_the_session_and_revokes_the_family(
        self, api: Api, browser: TestClient
    ) -> None:
        ada = api.signup()["user"]
        sign_in(browser, ada["email"])
        stolen = cookie_value(browser, ada["id"])
        assert renew(browser).status_code == 200
        current = cookie_value(browser, ada["id"])

        browser.cookies.set(
            f"tessera_rt_{ada['id']}", stolen, domain="bank.example", path="/v1/auth/refresh"
        )
        answer = renew(browser)

        assert answer.json() == {"sessions": [], "ended": [ada["id"]]}
        cleared = set_cookies(answer)[f"tessera_rt_{ada['id']}"][f"tessera_rt_{ada['id']}"]
        assert cleared["max-age"] == "0"
        # The legitimate holder's newer token went with the family.
        later = api.client.post("/v1/auth/refresh", json={"refresh_token": current})
        assert later.status_code == 401


class TestSignOut:
    def test_signing_out_revokes_the_family_and_clears_the_cookie_without_an_access_token(
        self, api: Api, browser: TestClient
    ) -> None:
        ada = api.signup()["user"]
        sign_in(browser, ada["email"])
        token = cookie_value(browser, ada["id"])

        answer = browser.delete(f"/v1/auth/refresh/sessions/{ada['id']}", headers=WEB_APP)

        assert answer.status_code == 204
        name = f"tessera_rt_{ada['id']}"
        assert set_cookies(answer)[name][name]["max-age"] == "0"
        assert browser.cookies.get(name, path="/v1/auth/refresh") is None
        assert api.client.post("/v1/auth/refresh", json={"refresh_token": token}).status_code == 401

    def test_signing_out_one_user_keeps_the_others(self, api: Api, browser: TestClient) -> None:
        ada = api.signup()["user"]
        alan = api.signup()["user"]
        sign_in(browser, ada["email"])
        sign_in(browser, alan["email"])
        browser.delete(f"/v1/auth/refresh/sessions/{ada['id']}", headers=WEB_APP)
        assert [s["user_id"] for s in renew(browser).json()["sessions"]] == [alan["id"]]


class TestCrossSiteRequests:
    @pytest.mark.parametrize(
        "headers",
        [
            {"Origin": ORIGIN},  # no custom header: a form post or a simple fetch
            {"X-Tessera-Session": "cookie", "Origin": "https://evil.example"},
            {"X-Tessera-Session": "cookie", "Origin": "null"},
            {"X-Tessera-Session": "cookie", "Sec-Fetch-Site": "cross-site"},
            {"X-Tessera-Session": "yes", "Origin": ORIGIN},
        ],
        ids=["no-header", "other-origin", "null-origin", "cross-site", "wrong-value"],
    )
    def test_the_cookie_routes_refuse_another_site(
        self, api: Api, browser: TestClient, headers: dict[str, str]
    ) -> None:
        ada = api.signup()["user"]
        sign_in(browser, ada["email"])
        before = cookie_value(browser, ada["id"])

        refreshed = browser.post("/v1/auth/refresh/sessions", json={}, headers=headers)
        ended = browser.delete(f"/v1/auth/refresh/sessions/{ada['id']}", headers=headers)

        for answer in (refreshed, ended):
            assert answer.status_code == 403
            assert answer.json()["error"]["code"] == "csrf_rejected"
            assert "set-cookie" not in answer.headers
        assert cookie_value(browser, ada["id"]) == before
        assert renew(browser).json()["sessions"][0]["user_id"] == ada["id"]

    def test_a_cookie_login_from_another_site_is_refused(
        self, api: Api, browser: TestClient
    ) -> None:
        email = api.signup()["user"]["email"]
        answer = browser.post(
            "/v1/auth/login",
            json={"email": email, "password": PASSWORD},
            headers={"X-Tessera-Session": "cookie", "Origin": "https://evil.example"},
        )
        assert answer.status_code == 403
        assert "set-cookie" not in answer.headers

    def test_an_origin_listed_in_cors_origins_is_the_web_app_too(
        self, database_url: str, tmp_path_factory: pytest.TempPathFactory
    ) -> None:
        from tessera.app import create_app
        from tessera.runtime import build_runtime

        settings = make_settings(
            database_url,
            tmp_path_factory.mktemp("cors"),
            cors_origins=["https://app.bank.example"],
        )
        runtime = build_runtime(settings)
        try:
            with TestClient(create_app(runtime=runtime), base_url=ORIGIN) as client:
                answer = client.post(
                    "/v1/auth/refresh/sessions",
                    json={},
                    headers={"X-Tessera-Session": "cookie", "Origin": "https://app.bank.example"},
                )
            assert answer.status_code == 200
        finally:
            runtime.db.dispose()
