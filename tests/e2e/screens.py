"""Steps through the web app as a person takes them, and the accessibility check of a screen."""

from __future__ import annotations

import json
import re
from typing import Any

from playwright.sync_api import Page, expect

from tests.e2e.service import AXE_SCRIPT, PASSWORD

# axe-core impacts that fail a test; "moderate" and "minor" findings are reported, not fatal.
BLOCKING_IMPACTS = ("serious", "critical")
# The main navigation of a firm operator, in order; a firm admin's adds ADMIN_NAV.
OPERATOR_NAV = [
    "Today",
    "Registrations",
    "Register a card",
    "Cards",
    "Card delivery",
    "Courier files",
    "Accounts",
    "Account holders",
    "Certificates",
]
ADMIN_NAV = ["Staff", "Webhooks", "API clients", "Audit log"]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

# Every screen checked, with its non-blocking findings, for the summary at the end of the run.
AXE_RESULTS: dict[str, dict[str, int]] = {}


def check_accessibility(page: Page, screen: str) -> None:
    """Run axe-core on the page as it is now; fail on any serious or critical violation."""
    assert AXE_SCRIPT.is_file(), f"{AXE_SCRIPT} is missing: run `make web` (npm ci installs it)"
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, not added as a <script>: the service's CSP
        # refuses inline scripts, which is what add_script_tag would insert.
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8") + "\n;undefined")
    result: dict[str, Any] = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        AXE_TAGS,
    )
    violations = result["violations"]
    counts: dict[str, int] = {}
    for violation in violations:
        impact = violation["impact"] or "unknown"
        counts[impact] = counts.get(impact, 0) + 1
    AXE_RESULTS[screen] = counts
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"axe found on {screen}:\n" + json.dumps(
        [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "targets": [node["target"] for node in v["nodes"]][:5],
            }
            for v in blocking
        ],
        indent=2,
    )


def heading(page: Page, text: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def log_in(page: Page, base_url: str, email: str, password: str = PASSWORD) -> None:
    """As a fresh browser (no refresh cookie from an earlier login): log in, land on home."""
    page.context.clear_cookies()
    page.goto(f"{base_url}/login")
    heading(page, "Log in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("session-user")).to_be_visible()


def open_account(page: Page, account_type: str, currency: str) -> None:
    nav(page, "Open an account")
    heading(page, "Open an account")
    page.get_by_role("radio", name=account_type.capitalize()).check()
    page.get_by_label("Currency").select_option(currency)
    page.get_by_role("button", name="Open account").click()
    heading(page, "Your accounts")
    expect(page.get_by_test_id("flash")).to_have_text(
        f"{account_type.capitalize()} account in {currency} opened."
    )


def choose_account(page: Page, label: str, name: str) -> None:
    """Pick the account whose option text starts with ``name`` ("Checking", "Savings")."""
    select = page.get_by_label(label, exact=True)
    option = select.locator("option", has_text=re.compile(rf"^{name}\b")).first
    select.select_option(value=option.get_attribute("value"))


def nav(page: Page, name: str) -> None:
    """Follow a link of the main navigation, opening the phone menu first on a narrow screen."""
    toggle = page.get_by_role("button", name="Menu", exact=True)
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false":
        toggle.click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()


def account_menu(page: Page) -> None:
    """Open the account menu (session, switch user, refresh, add user, log out)."""
    toggle = page.get_by_role("button", name=re.compile(r"^Account menu"))
    if toggle.get_attribute("aria-expanded") == "false":
        toggle.click()
    expect(page.get_by_test_id("account-panel")).to_be_visible()
