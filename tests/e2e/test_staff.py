"""Firm staff: their own navigation, the audit log for admins, pages customers cannot open, the
registration queue (approve, or reject with a reason through a dialog), and the admin-only reveal
of a registered card's number, audited and gone once hidden."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.api_setup import call, create_firm, login, register_card
from tests.e2e.screens import (
    ADMIN_NAV,
    OPERATOR_NAV,
    check_accessibility,
    heading,
    log_in,
    nav,
)
from tests.e2e.service import ADMIN_PASSWORD, PASSWORD, LiveService
from tests.support.browser import BrowserLog

pytestmark = pytest.mark.e2e

# Published test numbers (no real card), each used by one test only: a firm refuses a number
# it already holds.
VISA = "4012888888881881"
MASTERCARD = "5200828282828210"
CUSTOMER_MASTERCARD = "5105 1051 0510 5100"
DISCOVER = "6011000990139424"  # registered in a firm of its own


class TestStaffScreens:
    def test_an_admin_gets_the_staff_navigation_and_the_audit_log(
        self, page: Page, live_service: LiveService, platform_admin: str
    ) -> None:
        live_service.signup()  # so that the log has a sign-up to filter on
        log_in(page, live_service.base_url, platform_admin, ADMIN_PASSWORD)
        heading(page, "Today")
        expect(page.get_by_test_id("session-bar")).to_contain_text("(Platform admin)")
        main_nav = page.get_by_role("navigation", name="Main")
        expect(main_nav.get_by_role("link")).to_have_text([*OPERATOR_NAV, *ADMIN_NAV])
        nav(page, "Registrations")
        heading(page, "Card registrations")
        check_accessibility(page, "staff: registrations")

        nav(page, "Audit log")
        heading(page, "Audit log")
        table = page.get_by_test_id("audit-table")
        expect(table.locator("tbody tr").first).to_be_visible()
        expect(table).to_contain_text("auth.login")
        check_accessibility(page, "staff: audit log")

        page.get_by_label("Action").fill("user.signed_up")
        page.get_by_role("button", name="Filter").click()
        actions = table.locator("tbody th")
        expect(actions.filter(has_not_text="user.signed_up")).to_have_count(0)
        expect(actions.first).to_have_text("user.signed_up")

        nav(page, "Account holders")
        heading(page, "Account holders")
        check_accessibility(page, "staff: account holders")

        nav(page, "Register a card")
        heading(page, "Register a card")
        expect(page.get_by_label("Security code (optional)")).to_be_visible()
        expect(page.get_by_label("Customer (optional)")).to_be_visible()
        check_accessibility(page, "staff: register a card")

        nav(page, "Card delivery")
        heading(page, "Card delivery status")
        check_accessibility(page, "card delivery status")

    def test_customers_cannot_open_staff_pages(self, page: Page, live_service: LiveService) -> None:
        log_in(page, live_service.base_url, live_service.signup()["user"]["email"])
        page.evaluate(
            "() => { history.pushState(null, '', '/staff/audit');"
            " dispatchEvent(new PopStateEvent('popstate')); }"
        )
        heading(page, "Not available to you")
        expect(page.get_by_text("This page is for firm administrators.")).to_be_visible()
        expect(
            page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log")
        ).to_have_count(0)


class TestRegistrationQueue:
    def test_staff_approve_one_registration_and_reject_another(
        self, page: Page, live_service: LiveService, platform_admin: str
    ) -> None:
        headers = login(live_service, platform_admin)
        for number, name in ((VISA, "Queue Visa"), (MASTERCARD, "Queue Master")):
            created = register_card(live_service, headers, number, name)
            assert created["status"] == "pending"

        log_in(page, live_service.base_url, platform_admin, ADMIN_PASSWORD)
        nav(page, "Registrations")
        heading(page, "Card registrations")
        table = page.get_by_test_id("registrations-table")
        visa_row = table.locator("tr", has_text="Queue Visa")
        master_row = table.locator("tr", has_text="Queue Master")
        expect(visa_row).to_contain_text("Visa ending 1881")
        check_accessibility(page, "staff: registration queue")

        outcome = page.get_by_test_id("registrations-outcome")
        visa_row.get_by_role("button", name="Approve Visa ending 1881").click()
        expect(visa_row).to_have_count(0)  # no longer pending
        # The button went with its row: focus is on what happened, not lost on the page.
        expect(outcome).to_be_focused()
        expect(outcome).to_have_text("Registration of the Visa ending 1881 card approved.")

        reject = master_row.get_by_role("button", name="Reject Mastercard ending 8210")
        reject.click()
        dialog = page.get_by_role("dialog", name="Reject the Mastercard ending 8210 card")
        expect(dialog).to_be_visible()
        reason = dialog.get_by_label("Reason")
        expect(reason).to_be_focused()  # the dialog's first control
        page.keyboard.press("Escape")  # changed my mind
        expect(dialog).not_to_be_visible()
        expect(reject).to_be_focused()

        reject.click()
        dialog.get_by_role("button", name="Reject registration").click()
        expect(reason).to_have_attribute("aria-invalid", "true")
        expect(reason).to_be_focused()
        expect(page.get_by_test_id("reject-reason-error")).to_have_text(
            "Error: Enter the reason; the customer and the firm's systems see it."
        )
        check_accessibility(page, "staff: reject dialog")
        reason.fill("Name does not match the customer")
        dialog.get_by_role("button", name="Reject registration").click()
        expect(dialog).not_to_be_visible()
        expect(master_row).to_have_count(0)
        expect(outcome).to_be_focused()
        expect(outcome).to_have_text("Registration of the Mastercard ending 8210 card rejected.")

        page.get_by_label("Status").select_option("all")
        page.get_by_role("button", name="Show").click()
        expect(table.locator("tr", has_text="Queue Visa")).to_contain_text("approved")
        expect(table.locator("tr", has_text="Queue Master")).to_contain_text(
            "rejected — Name does not match the customer"
        )

    def test_a_customer_registers_a_card_and_staff_see_it_pending_and_masked(
        self, page: Page, live_service: LiveService, platform_admin: str, browser_log: BrowserLog
    ) -> None:
        created = live_service.signup(first_name="Mary", last_name="Somerville")
        email = created["user"]["email"]
        log_in(page, live_service.base_url, email)
        nav(page, "Register a card")
        expect(page.get_by_label("Name on the card")).to_have_value("Mary Somerville")
        page.get_by_label("Card number").fill(CUSTOMER_MASTERCARD)
        page.get_by_label("Expiry date").fill("12/39")
        page.get_by_label("Security code").fill("123")
        with page.expect_response("**/v1/card-registrations") as answer:
            page.get_by_role("button", name="Register card").click()
        expect(page.get_by_test_id("registration-result")).to_have_text(
            "Mastercard card ending 5100 registered;"
            " its registration is pending review by the firm."
        )
        digits = CUSTOMER_MASTERCARD.replace(" ", "")
        body = answer.value.text()
        assert answer.value.status == 201
        assert digits not in body  # the service answers masked
        assert '"cvv"' not in body
        registration_id = answer.value.json()["id"]
        expect(page.get_by_text(registration_id)).to_be_visible()
        for text in (page.content(), *browser_log.console):
            assert digits not in text.replace(" ", "")
            assert CUSTOMER_MASTERCARD not in text

        # It is in the firm's queue, masked, under the customer's name.
        log_in(page, live_service.base_url, platform_admin, ADMIN_PASSWORD)
        nav(page, "Registrations")
        row = page.get_by_test_id("registrations-table").locator("tr", has_text="Mary Somerville")
        expect(row.get_by_role("rowheader")).to_have_text("Mastercard ending 5100")
        expect(row).to_contain_text(re.compile(r"pending"))
        assert digits not in page.content()
        mine = call(
            live_service,
            "GET",
            "/v1/card-registrations",
            login(live_service, email, PASSWORD),
            expect=200,
        )
        assert [r["id"] for r in mine["items"]] == [registration_id]


class TestReveal:
    def test_an_admin_reveals_a_number_which_is_audited_and_then_gone(
        self,
        page: Page,
        live_service: LiveService,
        platform_admin: str,
        browser_log: BrowserLog,
    ) -> None:
        firm = create_firm(live_service, platform_admin, "reveal")
        register_card(live_service, firm.admin, DISCOVER, "Shown Once")
        log_in(page, live_service.base_url, firm.admin_email, ADMIN_PASSWORD)
        nav(page, "Registrations")
        heading(page, "Card registrations")
        opener = page.get_by_role("button", name="Reveal number of the Discover ending 9424 card")
        opener.click()
        dialog = page.get_by_role("dialog", name="Full number of the Discover ending 9424 card")
        expect(dialog).to_contain_text("Each reveal is recorded in the audit log")
        assert DISCOVER not in page.content()  # nothing is fetched until asked for

        with page.expect_response("**/reveal") as answer:
            dialog.get_by_role("button", name="Reveal the number").click()
        assert answer.value.headers["cache-control"] == "no-store"
        number = dialog.get_by_test_id("revealed-number")
        expect(number).to_have_text("6011 0009 9013 9424")
        hide = dialog.get_by_role("button", name="Hide the number")
        expect(hide).to_be_focused()
        check_accessibility(page, "registrations: revealed number")

        hide.click()
        expect(dialog).not_to_be_visible()
        expect(opener).to_be_focused()
        html = page.content()
        assert DISCOVER not in html
        assert "6011 0009 9013 9424" not in html
        stored = page.evaluate(
            "async () => JSON.stringify([Object.entries(localStorage),"
            " Object.entries(sessionStorage), document.cookie, await indexedDB.databases(),"
            " location.href])"
        )
        assert "9013" not in stored
        for line in browser_log.console:
            assert "9013" not in line

        nav(page, "Audit log")
        page.get_by_label("Action").fill("vault.card_revealed")
        page.get_by_role("button", name="Filter").click()
        entries = page.get_by_test_id("audit-table").locator("tbody tr")
        expect(entries).to_have_count(1)
        # The actor is named by email, not by an id.
        expect(entries.first).to_contain_text(
            re.compile(rf"vault\.card_revealed.*{re.escape(firm.admin_email)}")
        )
