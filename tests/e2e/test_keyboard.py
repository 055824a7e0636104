"""The main flow with the keyboard alone: every stop has a visible focus indicator, focus moves
to the new heading after each navigation, and nothing needs a mouse."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.service import PASSWORD, LiveService

pytestmark = pytest.mark.e2e

FOCUSED = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const style = getComputedStyle(el);
    const label = el.labels && el.labels.length ? el.labels[0].innerText : '';
    return {
        tag: el.tagName.toLowerCase(),
        text: (el.getAttribute('aria-label') || label || el.innerText || el.value || '').trim(),
        outline: style.outlineStyle === 'none' ? 0 : parseFloat(style.outlineWidth),
        shadow: style.boxShadow,
    };
}"""


def focused(page: Page) -> dict[str, object] | None:
    result = page.evaluate(FOCUSED)
    return dict(result) if result is not None else None


def tab_to(page: Page, text: str, *, limit: int = 30) -> None:
    """Tab until the focused element's name starts with ``text``; every stop must show focus."""
    seen: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        current = focused(page)
        assert current is not None, f"focus left the page after {seen}"
        assert current["outline"] >= 2 or current["shadow"] != "none", (
            f"no visible focus on {current}"
        )
        seen.append(str(current["text"]))
        if str(current["text"]).startswith(text):
            return
    raise AssertionError(f"{text!r} not reached with Tab; stops were {seen}")


def expect_heading_focused(page: Page, text: str) -> None:
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(text)
    expect(heading).to_be_focused()


class TestKeyboardOnly:
    def test_log_in_open_an_account_deposit_and_read_the_statement(
        self, page: Page, live_service: LiveService
    ) -> None:
        email = live_service.signup()["user"]["email"]
        page.goto(live_service.base_url)  # redirects to /login without taking focus
        expect(page.get_by_role("heading", level=1)).to_have_text("Log in")

        page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="Skip to main content")
        expect(skip).to_be_focused()
        expect(skip).to_be_in_viewport()
        page.keyboard.press("Enter")
        expect(page.locator("main")).to_be_focused()

        tab_to(page, "Email address")
        page.keyboard.type(email)
        tab_to(page, "Password")
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        expect_heading_focused(page, "Overview")
        expect(page.get_by_role("link", name="Open your first account")).to_be_visible()

        tab_to(page, "Open your first account")
        page.keyboard.press("Enter")
        expect_heading_focused(page, "Open an account")
        tab_to(page, "Checking")
        page.keyboard.press("ArrowDown")  # radios move with the arrow keys
        expect(page.get_by_role("radio", name="Savings")).to_be_checked()
        tab_to(page, "Currency")
        tab_to(page, "Open account")
        page.keyboard.press("Enter")
        expect_heading_focused(page, "Your accounts")
        expect(page.get_by_test_id("accounts-table")).to_contain_text("Savings")

        tab_to(page, "Deposit or withdraw")
        page.keyboard.press("Enter")
        expect_heading_focused(page, "Deposit or withdraw")
        account = page.get_by_label("Account", exact=True)
        expect(account.locator("option")).to_have_count(2)  # the accounts have loaded
        tab_to(page, "Account")
        page.keyboard.press("ArrowDown")
        expect(account).not_to_have_value("")
        tab_to(page, "Deposit")
        expect(page.get_by_role("radio", name="Deposit")).to_be_checked()
        tab_to(page, "Amount")
        page.keyboard.type("50.00")
        page.keyboard.press("Enter")
        expect(page.get_by_test_id("movement-result")).to_have_text(
            "Deposited 50.00 USD. The balance is now 50.00 USD."
        )

        # Back to the statement through the main navigation, still by keyboard.
        page.get_by_role("heading", level=1).focus()
        page.keyboard.press("Shift+Tab")
        for _ in range(30):
            current = focused(page)
            if current and current["text"] == "Statements":
                break
            page.keyboard.press("Shift+Tab")
        page.keyboard.press("Enter")
        expect_heading_focused(page, "Statement")
        expect(account.locator("option")).to_have_count(2)
        tab_to(page, "Account")
        page.keyboard.press("ArrowDown")
        expect(account).not_to_have_value("")
        tab_to(page, "Show statement")
        page.keyboard.press("Enter")
        expect(page.get_by_test_id("closing-balance")).to_have_text("50.00 USD")
