"""Firm staff: their own navigation, the audit log for admins, and pages customers cannot open.

The registration queue, card registration and delivery lookup call endpoints that other
branches add (cards, registrations, deliveries); the tests of those screens run once the
endpoints answer and are skipped, saying so, while they do not.
"""

from __future__ import annotations

import httpx2 as httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.screens import check_accessibility, heading, log_in, nav
from tests.e2e.service import ADMIN_PASSWORD, LiveService

pytestmark = pytest.mark.e2e

# Published test numbers (no real card), each used by one test only: a firm refuses a number
# it already holds.
VISA = "4012888888881881"
MASTERCARD = "5200828282828210"
CUSTOMER_MASTERCARD = "5105 1051 0510 5100"


def api_token(live_service: LiveService, email: str, password: str) -> str:
    answer = httpx.post(
        f"{live_service.base_url}/v1/auth/login",
        json={"email": email, "password": password},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def require_endpoint(live_service: LiveService, token: str, path: str) -> None:
    """Skip when the service has no route for ``path`` (a feature not merged yet)."""
    answer = httpx.get(
        f"{live_service.base_url}{path}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    if answer.status_code == 404 and answer.json()["error"]["message"] == (
        "No route matches this path."
    ):
        pytest.skip(f"the service has no {path} yet (built on another branch)")


class TestStaffScreens:
    def test_an_admin_gets_the_staff_navigation_and_the_audit_log(
        self, page: Page, live_service: LiveService, platform_admin: str
    ) -> None:
        live_service.signup()  # so that the log has a sign-up to filter on
        log_in(page, live_service.base_url, platform_admin, ADMIN_PASSWORD)
        heading(page, "Card registrations")
        expect(page.get_by_test_id("session-bar")).to_contain_text("(Platform admin)")
        main_nav = page.get_by_role("navigation", name="Main")
        expect(main_nav.get_by_role("link")).to_have_text(
            [
                "Registrations",
                "Register a card",
                "Card delivery",
                "Accounts",
                "Account holders",
                "Certificates",
                "Audit log",
            ]
        )
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
        token = api_token(live_service, platform_admin, ADMIN_PASSWORD)
        require_endpoint(live_service, token, "/v1/card-registrations")
        for number, name in ((VISA, "Queue Visa"), (MASTERCARD, "Queue Master")):
            created = httpx.post(
                f"{live_service.base_url}/v1/card-registrations",
                headers={"Authorization": f"Bearer {token}"},
                json={"card_number": number, "expiry_date": "12/39", "cardholder_name": name},
                timeout=10,
            )
            assert created.status_code == 201, created.text

        log_in(page, live_service.base_url, platform_admin, ADMIN_PASSWORD)
        heading(page, "Card registrations")
        table = page.get_by_test_id("registrations-table")
        visa_row = table.locator("tr", has_text="Queue Visa")
        master_row = table.locator("tr", has_text="Queue Master")
        expect(visa_row).to_contain_text("Visa ending 1881")
        check_accessibility(page, "staff: registration queue")

        visa_row.get_by_role("button", name="Approve Visa ending 1881").click()
        expect(visa_row).to_have_count(0)  # no longer pending

        master_row.get_by_role("button", name="Reject Mastercard ending 8210").click()
        dialog = page.get_by_role("dialog", name="Reject the Mastercard ending 8210 card")
        expect(dialog).to_be_visible()
        dialog.get_by_role("button", name="Reject registration").click()
        expect(dialog.get_by_label("Reason")).to_have_attribute("aria-invalid", "true")
        check_accessibility(page, "staff: reject dialog")
        dialog.get_by_label("Reason").fill("Name does not match the customer")
        dialog.get_by_role("button", name="Reject registration").click()
        expect(dialog).not_to_be_visible()
        expect(master_row).to_have_count(0)

        page.get_by_label("Status").select_option("all")
        page.get_by_role("button", name="Show").click()
        expect(table.locator("tr", has_text="Queue Visa")).to_contain_text("approved")
        expect(table.locator("tr", has_text="Queue Master")).to_contain_text(
            "rejected — Name does not match the customer"
        )

    def test_a_customer_registers_a_card_and_sees_it_masked(
        self, page: Page, live_service: LiveService
    ) -> None:
        created = live_service.signup()
        email = created["user"]["email"]
        require_endpoint(
            live_service,
            api_token(live_service, email, "correct horse battery"),
            "/v1/card-registrations",
        )
        log_in(page, live_service.base_url, email)
        nav(page, "Register a card")
        page.get_by_label("Card number").fill(CUSTOMER_MASTERCARD)
        page.get_by_label("Expiry date").fill("12/39")
        page.get_by_label("Security code").fill("123")
        page.get_by_role("button", name="Register card").click()
        expect(page.get_by_test_id("registration-result")).to_contain_text(
            "Mastercard card ending 5100 registered"
        )
        assert CUSTOMER_MASTERCARD.replace(" ", "") not in page.content()
