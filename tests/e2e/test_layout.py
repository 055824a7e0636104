"""Every screen reflows to a 320 px wide window without scrolling sideways (WCAG 1.4.10) and
passes axe-core there too."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.screens import check_accessibility, heading, log_in, nav, open_account
from tests.e2e.service import ADMIN_PASSWORD, LiveService

pytestmark = pytest.mark.e2e

CUSTOMER_SCREENS = [
    ("Accounts", "Your accounts"),
    ("Open an account", "Open an account"),
    ("Deposit or withdraw", "Deposit or withdraw"),
    ("Transfer", "Transfer money"),
    ("Statements", "Statement"),
    ("Cards", "Your cards"),
    ("Register a card", "Register a card"),
    ("Card delivery", "Card delivery status"),
    ("Certificates", "Certificates"),
]
STAFF_SCREENS = [
    ("Registrations", "Card registrations"),
    ("Cards", "Cards of the firm"),
    ("Courier files", "Courier files"),
    ("Account holders", "Account holders"),
    ("Staff", "Staff"),
    ("Audit log", "Audit log"),
]


def assert_no_sideways_scroll(page: Page, screen: str) -> None:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{screen} scrolls sideways at 320 px: {widths}"


class TestNarrowScreens:
    def test_customer_screens_reflow_at_320_px(
        self, browser: Browser, live_service: LiveService
    ) -> None:
        context = browser.new_context(viewport={"width": 320, "height": 640})
        try:
            page = context.new_page()
            log_in(page, live_service.base_url, live_service.signup()["user"]["email"])
            open_account(page, "checking", "USD")
            for link, title in CUSTOMER_SCREENS:
                nav(page, link)
                heading(page, title)
                expect(page.get_by_role("status").filter(has_text="Loading")).to_have_count(0)
                assert_no_sideways_scroll(page, title)
                check_accessibility(page, f"{title.lower()} (320 px)")
        finally:
            context.close()

    def test_staff_screens_reflow_at_320_px(
        self, browser: Browser, live_service: LiveService, platform_admin: str
    ) -> None:
        context = browser.new_context(viewport={"width": 320, "height": 640})
        try:
            page = context.new_page()
            log_in(page, live_service.base_url, platform_admin, ADMIN_PASSWORD)
            for link, title in STAFF_SCREENS:
                nav(page, link)
                heading(page, title)
                expect(page.get_by_role("status").filter(has_text="Loading")).to_have_count(0)
                assert_no_sideways_scroll(page, title)
                check_accessibility(page, f"staff: {title.lower()} (320 px)")
        finally:
            context.close()
