"""A firm admin's staff screen: granting and removing roles, and what a new operator may and may
not open."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.api_setup import call, create_firm, login, register_card
from tests.e2e.screens import OPERATOR_NAV, check_accessibility, heading, log_in, nav
from tests.e2e.service import ADMIN_PASSWORD, LiveService, unique_email

pytestmark = pytest.mark.e2e

# Published test number (no real card); firms are separate, so it may repeat in other tests.
DISCOVER = "6011000990139424"


def go_to(page: Page, path: str) -> None:
    """An in-app navigation by address (a reload would sign out: tokens live in memory)."""
    page.evaluate(
        "(path) => { history.pushState(null, '', path);"
        " dispatchEvent(new PopStateEvent('popstate')); }",
        path,
    )


class TestStaffRoles:
    def test_an_admin_grants_roles_and_the_new_operator_sees_only_operator_screens(
        self, page: Page, live_service: LiveService, platform_admin: str
    ) -> None:
        firm = create_firm(live_service, platform_admin, "team")
        customer = firm.customer(live_service)
        log_in(page, live_service.base_url, firm.admin_email, ADMIN_PASSWORD)
        nav(page, "Staff")
        heading(page, "Staff")
        table = page.get_by_test_id("staff-table")
        expect(table.get_by_role("rowheader")).to_have_text([firm.admin_email])
        expect(table.locator("tbody tr").first).to_contain_text("You")
        check_accessibility(page, "staff")

        # A new person needs a password; the service says so at the password field.
        operator = unique_email("operator")
        page.get_by_label("Email address").fill(operator)
        page.get_by_role("button", name="Grant role").click()
        summary = page.get_by_test_id("error-summary")
        expect(summary).to_be_focused()
        expect(page.get_by_test_id("grant-password-error")).to_have_text(
            "Error: No user has this email; give a password to create one."
        )
        check_accessibility(page, "staff with an error")

        page.get_by_label("Password for a new login (optional)").fill(ADMIN_PASSWORD)
        expect(page.get_by_role("radio", name="Firm operator")).to_be_checked()
        page.get_by_role("button", name="Grant role").click()
        outcome = page.get_by_test_id("staff-outcome")
        expect(outcome).to_be_focused()
        expect(outcome).to_have_text(f"{operator} is now a firm operator.")
        expect(page.get_by_label("Email address")).to_have_value("")
        expect(page.get_by_label("Password for a new login (optional)")).to_have_value("")

        # An existing customer of the firm becomes an admin (no password needed).
        page.get_by_label("Email address").fill(customer)
        page.get_by_role("radio", name="Firm admin").check()
        page.get_by_role("button", name="Grant role").click()
        expect(outcome).to_have_text(f"{customer} is now a firm admin.")
        rows = table.locator("tbody tr")
        expect(rows).to_have_count(3)
        expect(rows.filter(has_text=operator).locator("td").first).to_have_text("Firm operator")
        expect(rows.filter(has_text=customer).locator("td").first).to_have_text("Firm admin")

        # A pending registration for the operator's queue.
        register_card(live_service, firm.admin, DISCOVER, "Team Card")

        log_in(page, live_service.base_url, operator, ADMIN_PASSWORD)
        heading(page, "Today")
        expect(page.get_by_test_id("session-bar")).to_contain_text("(Firm operator)")
        expect(page.get_by_role("navigation", name="Main").get_by_role("link")).to_have_text(
            OPERATOR_NAV
        )
        nav(page, "Registrations")
        heading(page, "Card registrations")
        queue_row = page.get_by_test_id("registrations-table").locator("tr", has_text="Team Card")
        expect(queue_row.get_by_role("button")).to_have_text(
            ["Approve Discover ending 9424", "Reject Discover ending 9424"]
        )  # and no "Reveal number"
        check_accessibility(page, "operator: registrations")
        for screen, title in (("Courier files", "Courier files"), ("Cards", "Cards of the firm")):
            nav(page, screen)
            heading(page, title)

        for path in ("/staff/audit", "/staff/team"):
            go_to(page, path)
            heading(page, "Not available to you")
            expect(page.get_by_text("This page is for firm administrators.")).to_be_visible()
        # The screens hide exactly what the service refuses an operator.
        operator_api = login(live_service, operator)
        call(live_service, "GET", "/v1/audit-events", operator_api, expect=403)
        call(live_service, "GET", f"/v1/firms/{firm.id}/staff", operator_api, expect=403)

        # The admin takes the role away again.
        log_in(page, live_service.base_url, firm.admin_email, ADMIN_PASSWORD)
        nav(page, "Staff")
        remove = page.get_by_role("button", name=f"Remove staff role of {operator}")
        remove.click()
        dialog = page.get_by_role("dialog", name=f"Remove the staff role of {operator}?")
        expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
        check_accessibility(page, "staff: remove dialog")
        dialog.get_by_role("button", name="Remove staff role").click()
        expect(outcome).to_be_focused()
        expect(outcome).to_have_text(f"{operator} no longer has a staff role.")
        expect(rows).to_have_count(2)
        call(live_service, "GET", "/v1/cards", operator_api, expect=200)  # still a login...
        me = call(live_service, "GET", "/v1/auth/me", operator_api, expect=200)
        assert me["role"] == "customer"  # ...without staff rights
