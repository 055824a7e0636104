"""Errors are shown next to their fields, announced, linked for assistive technology, and the
rules of money and cards are checked in the browser before anything is sent."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.screens import check_accessibility, choose_account, heading, log_in, nav
from tests.e2e.screens import open_account as open_account_ui
from tests.e2e.service import PASSWORD, LiveService
from tests.support.browser import BrowserLog

pytestmark = pytest.mark.e2e


def expect_field_error(field: Locator, message: str) -> None:
    """The field is marked invalid and its description includes the error text."""
    expect(field).to_have_attribute("aria-invalid", "true")
    described_by = field.get_attribute("aria-describedby") or ""
    error_ids = [i for i in described_by.split() if i.endswith("-error")]
    assert error_ids, f"no error linked with aria-describedby ({described_by!r})"
    page = field.page
    expect(page.locator(f"#{error_ids[0]}")).to_have_text(f"Error: {message}")


class TestSignupErrors:
    def test_client_side_errors_are_summarised_focused_and_linked(
        self, page: Page, live_service: LiveService
    ) -> None:
        page.goto(f"{live_service.base_url}/signup")
        page.get_by_label("Password").fill("short")
        page.get_by_label("Date of birth").fill("2999-01-01")
        page.get_by_role("button", name="Create account").click()

        summary = page.get_by_role("alert").filter(has_text="There is a problem")
        expect(summary).to_be_visible()
        expect(summary).to_be_focused()
        expect(summary.get_by_role("link")).to_have_text(
            [
                "Enter your email address.",
                "The password must have at least 8 characters.",
                "Enter your first name.",
                "Enter your last name.",
                "The date of birth must be in the past.",
            ]
        )
        expect_field_error(page.get_by_label("Email address"), "Enter your email address.")
        expect_field_error(
            page.get_by_label("Password"), "The password must have at least 8 characters."
        )
        expect_field_error(
            page.get_by_label("Date of birth"), "The date of birth must be in the past."
        )
        expect(page.get_by_label("Phone number")).not_to_have_attribute("aria-invalid", "true")
        check_accessibility(page, "sign up with errors")

        summary.get_by_role("link", name="Enter your last name.").click()
        expect(page.get_by_label("Last name")).to_be_focused()

        page.get_by_label("Last name").fill("Hopper")
        expect(page.get_by_label("Last name")).not_to_have_attribute("aria-invalid", "true")

    def test_a_taken_email_is_reported_next_to_the_email_field(
        self, page: Page, live_service: LiveService
    ) -> None:
        taken = live_service.signup()["user"]["email"]
        page.goto(f"{live_service.base_url}/signup")
        page.get_by_label("Email address").fill(taken)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_label("First name").fill("Ada")
        page.get_by_label("Last name").fill("Lovelace")
        page.get_by_label("Date of birth").fill("1990-12-10")
        page.get_by_role("button", name="Create account").click()

        summary = page.get_by_test_id("error-summary")
        expect(summary).to_be_focused()
        expect(summary).to_have_attribute("role", "alert")
        email = page.get_by_label("Email address")
        expect_field_error(email, "An account with this email already exists.")
        summary.get_by_role("link").click()
        expect(email).to_be_focused()


class TestLoginErrors:
    def test_wrong_password_is_a_form_error_and_the_password_is_cleared(
        self, page: Page, live_service: LiveService
    ) -> None:
        email = live_service.signup()["user"]["email"]
        page.goto(f"{live_service.base_url}/login")
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Log in").click()

        summary = page.get_by_test_id("error-summary")
        expect(summary).to_be_focused()
        expect(summary).to_contain_text("The email or password is not correct.")
        expect(page.get_by_label("Password")).to_have_value("")
        expect(page.get_by_test_id("session-bar")).to_have_count(0)
        check_accessibility(page, "log in with an error")


class TestAmounts:
    def test_amounts_follow_the_exponent_of_the_account_currency(
        self, page: Page, live_service: LiveService
    ) -> None:
        log_in(page, live_service.base_url, live_service.signup()["user"]["email"])
        open_account_ui(page, "checking", "JPY")
        open_account_ui(page, "savings", "KWD")
        nav(page, "Deposit or withdraw")
        amount = page.get_by_label("Amount")

        choose_account(page, "Account", "Checking")
        expect(page.locator("#movement-amount-hint")).to_have_text(
            "In JPY, a whole number, for example 1500."
        )
        amount.fill("1.5")
        page.get_by_role("button", name="Deposit", exact=True).click()
        expect_field_error(amount, "JPY has no minor unit: enter a whole number.")
        amount.fill("1500")
        page.get_by_role("button", name="Deposit", exact=True).click()
        expect(page.get_by_test_id("movement-result")).to_have_text(
            "Deposited 1,500 JPY. The balance is now 1,500 JPY."
        )

        choose_account(page, "Account", "Savings")
        amount.fill("1.2345")
        page.get_by_role("button", name="Deposit", exact=True).click()
        expect_field_error(amount, "KWD amounts have at most 3 decimal places.")
        amount.fill("1.234")
        page.get_by_role("button", name="Deposit", exact=True).click()
        expect(page.get_by_test_id("movement-result")).to_have_text(
            "Deposited 1.234 KWD. The balance is now 1.234 KWD."
        )

        page.get_by_role("radio", name="Withdraw").check()
        amount.fill("2")
        page.get_by_role("button", name="Withdraw", exact=True).click()
        expect_field_error(amount, "The balance is 1.234 KWD; you cannot withdraw more.")
        check_accessibility(page, "deposit or withdraw with an error")

    def test_a_transfer_between_currencies_is_refused_before_sending(
        self, page: Page, live_service: LiveService
    ) -> None:
        log_in(page, live_service.base_url, live_service.signup()["user"]["email"])
        open_account_ui(page, "checking", "USD")
        open_account_ui(page, "savings", "EUR")
        nav(page, "Transfer")
        choose_account(page, "From", "Checking")
        choose_account(page, "To", "Savings")
        page.get_by_label("Amount").fill("1.00")
        sent: list[str] = []
        page.on("request", lambda r: sent.append(r.url) if "/v1/transfers" in r.url else None)
        page.get_by_role("button", name="Transfer", exact=True).click()
        expect_field_error(
            page.get_by_label("To", exact=True), "Both accounts must hold the same currency (USD)."
        )
        assert sent == []


class TestCardRegistrationForm:
    NUMBER = "4111 1111 1111 1111"
    NUMBER_DIGITS = "4111111111111111"

    def test_fields_are_checked_as_they_are_typed(
        self, page: Page, live_service: LiveService
    ) -> None:
        log_in(page, live_service.base_url, live_service.signup()["user"]["email"])
        nav(page, "Register a card")
        heading(page, "Register a card")
        check_accessibility(page, "register a card")
        number = page.get_by_label("Card number")
        expiry = page.get_by_label("Expiry date")
        cvv = page.get_by_label("Security code")

        number.fill("4111 1111 1111 1112")
        number.blur()
        expect_field_error(number, "The card number is not valid; check it for typing mistakes.")
        expect(page.get_by_test_id("announcer")).to_have_text(
            "Card number: The card number is not valid; check it for typing mistakes."
        )
        expect(page.get_by_test_id("card-brand")).to_have_text("Visa card")
        expect(page.get_by_test_id("card-brand")).to_have_attribute("aria-live", "polite")
        number.fill(self.NUMBER)
        expect(number).not_to_have_attribute("aria-invalid", "true")

        number.fill("3782 822463 10005")
        expect(page.get_by_test_id("card-brand")).to_have_text("American Express card")
        cvv.fill("123")
        cvv.blur()
        expect_field_error(
            cvv, "American Express cards have a security code of exactly four digits."
        )
        cvv.fill("1234")
        expect(cvv).not_to_have_attribute("aria-invalid", "true")

        expiry.fill("01/20")
        expiry.blur()
        expect_field_error(expiry, "The card has expired.")
        expiry.fill("13/30")
        expect_field_error(expiry, "The month must be between 01 and 12.")
        check_accessibility(page, "register a card with errors")

    def test_the_number_and_code_are_not_kept_logged_or_stored(
        self, page: Page, live_service: LiveService, browser_log: BrowserLog
    ) -> None:
        log_in(page, live_service.base_url, live_service.signup()["user"]["email"])
        nav(page, "Register a card")
        page.get_by_label("Card number").fill(self.NUMBER)
        page.get_by_label("Expiry date").fill("12/39")
        page.get_by_label("Security code").fill("737")
        page.get_by_label("Name on the card").fill("Ada Lovelace")
        page.get_by_role("button", name="Register card").click()

        expect(page.get_by_test_id("registration-result")).to_contain_text(
            "Visa card ending 1111 registered"
        )
        expect(page.get_by_label("Card number")).to_have_value("")
        expect(page.get_by_label("Security code")).to_have_value("")
        html = page.content()
        assert self.NUMBER_DIGITS not in html
        assert self.NUMBER not in html
        storage = page.evaluate(
            """async () => ({
                local: JSON.stringify(Object.entries(localStorage)),
                session: JSON.stringify(Object.entries(sessionStorage)),
                cookie: document.cookie,
                databases: JSON.stringify(await indexedDB.databases()),
                url: location.href,
            })"""
        )
        for where, value in storage.items():
            assert self.NUMBER_DIGITS not in value, where
            assert "737" not in value or where == "url", where
        assert storage["local"] == "[]"
        assert storage["session"] == "[]"
        assert storage["cookie"] == ""
        for line in browser_log.console:
            assert self.NUMBER_DIGITS not in line.replace(" ", "")
            assert "737" not in line
