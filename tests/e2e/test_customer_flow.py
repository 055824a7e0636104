"""The customer demo flow of the source brief, through the web app only."""

from __future__ import annotations

import csv
import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.screens import (
    check_accessibility,
    choose_account,
    heading,
    log_in,
    nav,
    open_account,
)
from tests.e2e.service import PASSWORD, LiveService, unique_email

pytestmark = pytest.mark.e2e


class TestDemoFlow:
    def test_sign_up_log_in_deposit_transfer_and_read_both_statements(
        self, page: Page, live_service: LiveService
    ) -> None:
        email = unique_email("demo")
        page.goto(live_service.base_url)
        heading(page, "Log in")
        check_accessibility(page, "log in")

        page.get_by_role("link", name="Create an account").first.click()
        heading(page, "Create an account")
        check_accessibility(page, "sign up")
        page.get_by_label("Email address").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_label("First name").fill("Grace")
        page.get_by_label("Last name").fill("Hopper")
        page.get_by_label("Date of birth").fill("1986-12-09")
        page.get_by_role("button", name="Create account").click()

        # Signing up signs the new customer in.
        heading(page, "Overview")
        expect(page.get_by_test_id("flash")).to_have_text(
            "Welcome, Grace Hopper. Your account was created and you are signed in."
        )
        expect(page.get_by_test_id("session-user")).to_have_text("Grace Hopper")
        check_accessibility(page, "overview (no accounts)")

        open_account(page, "checking", "USD")
        check_accessibility(page, "open an account")
        open_account(page, "savings", "USD")
        rows = page.get_by_test_id("accounts-table").locator("tbody tr")
        expect(rows).to_have_count(2)
        check_accessibility(page, "accounts")

        nav(page, "Deposit or withdraw")
        heading(page, "Deposit or withdraw")
        choose_account(page, "Account", "Checking")
        page.get_by_role("radio", name="Deposit").check()
        page.get_by_label("Amount").fill("100.00")
        page.get_by_role("button", name="Deposit", exact=True).click()
        expect(page.get_by_test_id("movement-result")).to_have_text(
            "Deposited 100.00 USD. The balance is now 100.00 USD."
        )
        check_accessibility(page, "deposit or withdraw")

        nav(page, "Transfer")
        heading(page, "Transfer money")
        choose_account(page, "From", "Checking")
        choose_account(page, "To", "Savings")
        page.get_by_label("Amount").fill("25.00")
        page.get_by_label("Description").fill("rent pot")
        page.get_by_role("button", name="Transfer", exact=True).click()
        expect(page.get_by_test_id("transfer-result")).to_contain_text("Transferred 25.00 USD")
        check_accessibility(page, "transfer")

        nav(page, "Accounts")
        heading(page, "Your accounts")
        checking_row = rows.filter(has_text="Checking")
        savings_row = rows.filter(has_text="Savings")
        expect(checking_row.get_by_test_id("balance")).to_have_text("75.00 USD")
        expect(savings_row.get_by_test_id("balance")).to_have_text("25.00 USD")

        checking_row.get_by_role("link", name=re.compile(r"^Statement")).click()
        heading(page, "Statement")
        expect(page.get_by_test_id("closing-balance")).to_have_text("75.00 USD")
        statement = page.get_by_test_id("statement-table").locator("tbody tr")
        expect(statement).to_have_count(2)
        expect(statement.nth(0)).to_contain_text("Deposit")
        expect(statement.nth(0)).to_contain_text("100.00 USD")
        expect(statement.nth(1)).to_contain_text("Transfer out")
        expect(statement.nth(1)).to_contain_text("rent pot")
        expect(statement.nth(1)).to_contain_text("25.00 USD")
        check_accessibility(page, "statement")

        with page.expect_download() as download_info:
            page.get_by_role("button", name="Download CSV").click()
        download = download_info.value
        assert re.fullmatch(r"statement-acc_\w+\.csv", download.suggested_filename)
        csv_text = download.path().read_text(encoding="utf-8")
        rows = list(csv.reader(csv_text.splitlines()))
        assert rows[0][:5] == ["id", "created_at", "type", "amount", "amount_decimal"]
        assert sorted(row[2:6] for row in rows[1:]) == [
            ["deposit", "10000", "100.00", "USD"],
            ["transfer_out", "2500", "25.00", "USD"],
        ]

        nav(page, "Statements")
        choose_account(page, "Account", "Savings")
        page.get_by_role("button", name="Show statement").click()
        expect(page.get_by_test_id("closing-balance")).to_have_text("25.00 USD")
        expect(page.get_by_test_id("statement-table").locator("tbody tr")).to_have_count(1)
        expect(page.get_by_test_id("statement-table")).to_contain_text("Transfer in")

    def test_statement_period_filter_excludes_other_days(
        self, page: Page, live_service: LiveService
    ) -> None:
        created = live_service.signup()
        log_in(page, live_service.base_url, created["user"]["email"])
        open_account(page, "checking", "USD")
        nav(page, "Deposit or withdraw")
        choose_account(page, "Account", "Checking")
        page.get_by_label("Amount").fill("12.34")
        page.get_by_role("button", name="Deposit", exact=True).click()
        expect(page.get_by_test_id("movement-result")).to_be_visible()

        nav(page, "Statements")
        choose_account(page, "Account", "Checking")
        page.get_by_label("From").fill("2020-01-01")
        page.get_by_label("To").fill("2020-12-31")
        page.get_by_role("button", name="Show statement").click()
        expect(page).to_have_url(re.compile(r"/statements/acc_\w+\?from=2020-01-01&to=2020-12-31$"))
        expect(page.get_by_test_id("statement-summary")).to_contain_text("2020-01-01 to 2020-12-31")
        expect(page.get_by_text("No transactions in this period.")).to_be_visible()
        expect(page.get_by_test_id("closing-balance")).to_have_text("0.00 USD")
        expect(page.get_by_test_id("current-balance")).to_have_text("12.34 USD")

        page.get_by_label("From").fill("2020-12-31")
        page.get_by_label("To").fill("2020-01-01")
        page.get_by_role("button", name="Show statement").click()
        expect(page.get_by_test_id("statement-to-error")).to_have_text(
            "Error: The last day must be on or after the first day."
        )


class TestIdempotentMoneyMovement:
    def test_a_double_click_deposits_once_and_sends_an_idempotency_key(
        self, page: Page, live_service: LiveService
    ) -> None:
        created = live_service.signup()
        log_in(page, live_service.base_url, created["user"]["email"])
        open_account(page, "checking", "USD")
        nav(page, "Deposit or withdraw")
        choose_account(page, "Account", "Checking")
        page.get_by_label("Amount").fill("10.00")

        keys: list[str | None] = []
        page.on(
            "request",
            lambda request: (
                keys.append(request.headers.get("idempotency-key"))
                if request.url.endswith("/v1/transactions") and request.method == "POST"
                else None
            ),
        )
        page.get_by_role("button", name="Deposit", exact=True).dblclick()
        expect(page.get_by_test_id("movement-result")).to_have_text(
            "Deposited 10.00 USD. The balance is now 10.00 USD."
        )

        assert len(keys) == 1, keys
        assert keys[0] is not None
        assert re.fullmatch(r"[0-9a-f]{32}", keys[0])
        nav(page, "Accounts")
        expect(page.get_by_test_id("balance")).to_have_text("10.00 USD")
