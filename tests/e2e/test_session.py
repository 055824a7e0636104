"""Sessions: tokens in memory only, the expiry indicator, manual and automatic refresh, the idle
time-out with its warning, logout, and several users in one tab."""

from __future__ import annotations

import re

import httpx2 as httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.screens import account_menu, check_accessibility, heading, log_in, nav
from tests.e2e.service import PASSWORD, LiveService

pytestmark = pytest.mark.e2e


def expect_renewed(page: Page) -> None:
    """The countdown shows a fresh 15-minute token: at least 14 minutes left.

    The countdown redraws on its own tick, so this waits for it instead of reading it once
    right after the refresh answers."""
    expect(page.get_by_test_id("session-expiry")).to_have_text(re.compile(r"^(14:\d\d|15:00)$"))


class TestSessionsSurviveAReload:
    def test_no_script_can_read_a_token_and_a_reload_or_a_new_tab_stays_signed_in(
        self, page: Page, live_service: LiveService
    ) -> None:
        email = live_service.signup(first_name="Ada", last_name="Lovelace")["user"]["email"]
        with page.expect_response("**/v1/auth/login") as login:
            log_in(page, live_service.base_url, email)
        tokens = login.value.json()
        assert "refresh_token" not in tokens  # it went into an HttpOnly cookie

        stored = page.evaluate(
            """async () => JSON.stringify([
                Object.entries(localStorage), Object.entries(sessionStorage), document.cookie,
                await indexedDB.databases(), location.href, JSON.stringify(history.state),
            ])"""
        )
        assert tokens["access_token"] not in stored
        assert stored.startswith('[[],[],"",[],')
        (cookie,) = page.context.cookies()
        assert cookie["name"].startswith("tessera_rt_")
        assert cookie["httpOnly"] is True
        assert cookie["secure"] is True  # kept by Chromium on http://127.0.0.1
        assert cookie["sameSite"] == "Strict"
        assert cookie["path"] == "/v1/auth/refresh"
        assert cookie["value"] not in stored

        nav(page, "Accounts")
        with page.expect_response("**/v1/auth/refresh/sessions") as restored:
            page.reload()
        assert restored.value.status == 200
        heading(page, "Your accounts")
        expect(page.get_by_test_id("session-user")).to_have_text("Ada Lovelace")
        expect(page).to_have_url(re.compile(r"/accounts$"))

        second = page.context.new_page()
        second.goto(f"{live_service.base_url}/statements")
        heading(second, "Statement")
        expect(second.get_by_test_id("session-user")).to_have_text("Ada Lovelace")
        check_accessibility(second, "statement after a new tab")
        second.close()

    def test_a_logout_in_one_tab_signs_the_other_out_and_says_why(
        self, page: Page, live_service: LiveService
    ) -> None:
        log_in(page, live_service.base_url, live_service.signup()["user"]["email"])
        other = page.context.new_page()
        other.goto(f"{live_service.base_url}/accounts")
        heading(other, "Your accounts")

        account_menu(page)
        page.get_by_role("button", name="Log out").click()
        heading(page, "Log in")

        heading(other, "Log in")
        expect(other.get_by_role("status").filter(has_text="another tab")).to_have_text(
            "You were signed out because you logged out in another tab or window."
        )
        other.reload()
        heading(other, "Log in")  # the cookie is gone too
        assert page.context.cookies() == []
        other.close()


class TestRefresh:
    def test_the_manual_refresh_renews_the_session(
        self, page: Page, live_service: LiveService
    ) -> None:
        page.clock.install()
        log_in(page, live_service.base_url, live_service.signup()["user"]["email"])
        page.clock.fast_forward("05:00")
        expect(page.get_by_test_id("session-expiry")).to_have_text(re.compile(r"^(9|10):\d\d$"))

        with page.expect_response("**/v1/auth/refresh/sessions") as refreshed:
            account_menu(page)
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

        with page.expect_response("**/v1/auth/refresh/sessions") as refreshed:
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

        with page.expect_response("**/v1/auth/refresh/sessions"):
            warning.get_by_role("button", name="Stay signed in").click()
        expect(warning).to_have_count(0)
        expect_renewed(page)

    def test_an_idle_session_ends_and_is_revoked(
        self, page: Page, live_service: LiveService
    ) -> None:
        page.clock.install()
        log_in(page, live_service.base_url, live_service.signup()["user"]["email"])
        (cookie,) = page.context.cookies()

        page.clock.fast_forward("14:05")
        expect(page.get_by_test_id("idle-warning")).to_be_visible()
        with page.expect_response("**/v1/auth/refresh/sessions/*") as logout:
            page.clock.fast_forward("01:00")
        assert logout.value.status == 204

        heading(page, "Log in")
        expect(page.get_by_role("status").filter(has_text="inactive")).to_have_text(
            "You were signed out because you were inactive for a while. Please log in again."
        )
        answer = httpx.post(
            f"{live_service.base_url}/v1/auth/refresh",
            json={"refresh_token": cookie["value"]},
            timeout=10,
        )
        assert answer.status_code == 401
        assert page.context.cookies() == []


class TestLogout:
    def test_logout_revokes_the_session_and_guards_the_pages(
        self, page: Page, live_service: LiveService
    ) -> None:
        log_in(page, live_service.base_url, live_service.signup()["user"]["email"])
        (cookie,) = page.context.cookies()

        account_menu(page)
        with page.expect_response("**/v1/auth/refresh/sessions/*") as logout:
            page.get_by_role("button", name="Log out").click()
        assert logout.value.status == 204
        heading(page, "Log in")
        expect(page.get_by_text("You have logged out.")).to_be_visible()
        expect(page.get_by_test_id("session-bar")).to_have_count(0)

        answer = httpx.post(
            f"{live_service.base_url}/v1/auth/refresh",
            json={"refresh_token": cookie["value"]},
            timeout=10,
        )
        assert answer.status_code == 401

        page.reload()  # the cookie is gone: a reload does not sign back in
        heading(page, "Log in")


class TestSeveralUsers:
    def test_two_users_in_one_tab_and_switching_between_them(
        self, page: Page, live_service: LiveService
    ) -> None:
        ada = live_service.signup(first_name="Ada", last_name="Lovelace")["user"]["email"]
        alan = live_service.signup(first_name="Alan", last_name="Turing")["user"]["email"]
        log_in(page, live_service.base_url, ada)

        account_menu(page)
        page.get_by_role("link", name="Add user").click()
        heading(page, "Log in another user")
        page.get_by_label("Email address").fill(alan)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_test_id("session-user")).to_have_text("Alan Turing")
        check_accessibility(page, "accounts with two users")

        account_menu(page)
        switch = page.get_by_label("Switch user")
        switch.select_option(label="Ada Lovelace (Customer)")
        expect(page.get_by_test_id("session-user")).to_have_text("Ada Lovelace")
        heading(page, "Overview")

        # Both stay signed in after a reload, with Ada still the one acting.
        page.reload()
        expect(page.get_by_test_id("session-user")).to_have_text("Ada Lovelace")
        account_menu(page)
        expect(page.get_by_label("Switch user")).to_have_value(re.compile(r"^usr_"))

        page.get_by_role("button", name="Log out").click()
        # Alan is still signed in; Ada is gone from the selector.
        expect(page.get_by_test_id("session-user")).to_have_text("Alan Turing")
        expect(page.get_by_label("Switch user")).to_have_count(0)
