"""Sessions: tokens in memory only, the expiry indicator, manual and automatic refresh, the idle
time-out with its warning, logout, and several users in one tab."""

from __future__ import annotations

import re

import httpx2 as httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.screens import check_accessibility, heading, log_in, nav
from tests.e2e.service import PASSWORD, LiveService

pytestmark = pytest.mark.e2e


def expect_renewed(page: Page) -> None:
    """The countdown shows a fresh 15-minute token: at least 14 minutes left.

    The countdown redraws on its own tick, so this waits for it instead of reading it once
    right after the refresh answers."""
    expect(page.get_by_test_id("session-expiry")).to_have_text(re.compile(r"^(14:\d\d|15:00)$"))


class TestTokensInMemory:
    def test_nothing_is_stored_and_a_reload_signs_out(
        self, page: Page, live_service: LiveService
    ) -> None:
        email = live_service.signup()["user"]["email"]
        with page.expect_response("**/v1/auth/login") as login:
            log_in(page, live_service.base_url, email)
        tokens = login.value.json()

        stored = page.evaluate(
            """async () => JSON.stringify([
                Object.entries(localStorage), Object.entries(sessionStorage), document.cookie,
                await indexedDB.databases(), location.href,
            ])"""
        )
        assert tokens["access_token"] not in stored
        assert tokens["refresh_token"] not in stored
        assert stored.startswith('[[],[],"",[],')
        assert page.context.cookies() == []

        page.reload()
        heading(page, "Log in")
        expect(page).to_have_url(re.compile(r"/login\?next=%2Faccounts$"))


class TestRefresh:
    def test_the_manual_refresh_renews_the_session(
        self, page: Page, live_service: LiveService
    ) -> None:
        page.clock.install()
        log_in(page, live_service.base_url, live_service.signup()["user"]["email"])
        page.clock.fast_forward("05:00")
        expect(page.get_by_test_id("session-expiry")).to_have_text(re.compile(r"^(9|10):\d\d$"))

        with page.expect_response("**/v1/auth/refresh") as refreshed:
            page.get_by_role("button", name="Refresh session").click()
        assert refreshed.value.status == 200
        expect_renewed(page)
        expect(page.get_by_test_id("announcer")).to_have_text("Session refreshed.")

        nav(page, "Accounts")  # the API answers with the renewed token
        expect(page.get_by_text("You have no accounts yet.")).to_be_visible()

    def test_an_active_person_is_renewed_before_expiry(
        self, page: Page, live_service: LiveService
    ) -> None:
        page.clock.install()
        log_in(page, live_service.base_url, live_service.signup()["user"]["email"])
        page.keyboard.press("Tab")  # the person is here

        with page.expect_response("**/v1/auth/refresh") as refreshed:
            page.clock.fast_forward("14:05")
        assert refreshed.value.status == 200
        expect(page.get_by_test_id("idle-warning")).to_have_count(0)
        expect_renewed(page)
        nav(page, "Accounts")
        expect(page.get_by_text("You have no accounts yet.")).to_be_visible()

    def test_an_idle_person_is_warned_and_can_stay_signed_in(
        self, page: Page, live_service: LiveService
    ) -> None:
        page.clock.install()
        log_in(page, live_service.base_url, live_service.signup()["user"]["email"])

        page.clock.fast_forward("14:05")
        warning = page.get_by_test_id("idle-warning")
        expect(warning.get_by_role("alert")).to_have_text(
            "You have been inactive, so for your security you will be signed out in about a minute."
        )
        check_accessibility(page, "idle warning")

        with page.expect_response("**/v1/auth/refresh"):
            warning.get_by_role("button", name="Stay signed in").click()
        expect(warning).to_have_count(0)
        expect_renewed(page)

    def test_an_idle_session_ends_and_is_revoked(
        self, page: Page, live_service: LiveService
    ) -> None:
        page.clock.install()
        with page.expect_response("**/v1/auth/login") as login:
            log_in(page, live_service.base_url, live_service.signup()["user"]["email"])
        refresh_token = login.value.json()["refresh_token"]

        page.clock.fast_forward("14:05")
        expect(page.get_by_test_id("idle-warning")).to_be_visible()
        with page.expect_response("**/v1/auth/logout") as logout:
            page.clock.fast_forward("01:00")
        assert logout.value.status == 204

        heading(page, "Log in")
        expect(page.get_by_role("status").filter(has_text="inactive")).to_have_text(
            "You were signed out because you were inactive for a while. Please log in again."
        )
        answer = httpx.post(
            f"{live_service.base_url}/v1/auth/refresh",
            json={"refresh_token": refresh_token},
            timeout=10,
        )
        assert answer.status_code == 401


class TestLogout:
    def test_logout_revokes_the_session_and_guards_the_pages(
        self, page: Page, live_service: LiveService
    ) -> None:
        with page.expect_response("**/v1/auth/login") as login:
            log_in(page, live_service.base_url, live_service.signup()["user"]["email"])
        refresh_token = login.value.json()["refresh_token"]

        with page.expect_response("**/v1/auth/logout") as logout:
            page.get_by_role("button", name="Log out").click()
        assert logout.value.status == 204
        heading(page, "Log in")
        expect(page.get_by_text("You have logged out.")).to_be_visible()
        expect(page.get_by_test_id("session-bar")).to_have_count(0)

        answer = httpx.post(
            f"{live_service.base_url}/v1/auth/refresh",
            json={"refresh_token": refresh_token},
            timeout=10,
        )
        assert answer.status_code == 401

        page.go_back()
        heading(page, "Log in")
        expect(page).to_have_url(re.compile(r"/login\?next=%2Faccounts$"))


class TestSeveralUsers:
    def test_two_users_in_one_tab_and_switching_between_them(
        self, page: Page, live_service: LiveService
    ) -> None:
        ada = live_service.signup(first_name="Ada", last_name="Lovelace")["user"]["email"]
        alan = live_service.signup(first_name="Alan", last_name="Turing")["user"]["email"]
        log_in(page, live_service.base_url, ada)

        page.get_by_role("link", name="Add user").click()
        heading(page, "Log in another user")
        page.get_by_label("Email address").fill(alan)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_test_id("session-user")).to_have_text("Alan Turing")
        check_accessibility(page, "accounts with two users")

        switch = page.get_by_label("Switch user")
        switch.select_option(label="Ada Lovelace (Customer)")
        expect(page.get_by_test_id("session-user")).to_have_text("Ada Lovelace")
        heading(page, "Your accounts")

        page.get_by_role("button", name="Log out").click()
        # Alan is still signed in; Ada is gone from the selector.
        expect(page.get_by_test_id("session-user")).to_have_text("Alan Turing")
        expect(page.get_by_label("Switch user")).to_have_count(0)
