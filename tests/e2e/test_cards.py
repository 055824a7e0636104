"""Issued cards: a customer issues virtual and physical cards on an account and blocks one; the
couriers' reports show on the physical card; staff unblock and close. The full number never
reaches the page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.api_setup import call, create_firm, import_courier_file, login
from tests.e2e.screens import check_accessibility, heading, log_in, nav, open_account
from tests.e2e.service import ADMIN_PASSWORD, PASSWORD, LiveService
from tests.support.browser import BrowserLog

pytestmark = pytest.mark.e2e

CARD = re.compile(r"Visa (virtual|physical) card ending \d{4}")


def card_row(page: Page, kind: str) -> Locator:
    return page.get_by_test_id("card-row").filter(
        has=page.get_by_role("rowheader", name=re.compile(f"^Visa {kind} card ending"))
    )


def row_buttons(row: Locator) -> Locator:
    return row.get_by_role("button")


class TestIssuedCards:
    def test_issue_block_follow_the_delivery_unblock_and_close(
        self, page: Page, live_service: LiveService, platform_admin: str, browser_log: BrowserLog
    ) -> None:
        firm = create_firm(live_service, platform_admin, "cards")
        operator = firm.grant(live_service, "firm_operator")
        customer = firm.customer(live_service, phone="0501234567", first_name="Grace")

        log_in(page, live_service.base_url, customer)
        open_account(page, "checking", "USD")
        nav(page, "Cards")
        heading(page, "Your cards")
        section = page.get_by_test_id("account-cards")
        expect(section.get_by_role("heading")).to_have_text(re.compile(r"^Checking \d{4}, USD$"))
        expect(section).to_contain_text("No cards on this account yet.")
        check_accessibility(page, "cards (none yet)")

        # The only account is chosen already; a virtual card is the default.
        expect(page.get_by_role("radio", name="Virtual")).to_be_checked()
        page.get_by_role("button", name="Issue card").click()
        expect(page.get_by_test_id("issue-result")).to_have_text(
            re.compile(r"^Visa virtual card ending \d{4} issued, expiring \d{2}/\d{4}\.$")
        )
        page.get_by_role("radio", name="Physical").check()
        page.get_by_label("Name on the card (optional)").fill("G. Lovelace")
        page.get_by_role("button", name="Issue card").click()
        expect(page.get_by_test_id("issue-result")).to_contain_text("It will be sent by courier")

        virtual, physical = card_row(page, "virtual"), card_row(page, "physical")
        expect(section.get_by_role("table")).to_have_accessible_name(
            re.compile(r"^2 cards on the Checking \d{4}, USD")
        )
        expect(virtual.locator("td").nth(0)).to_have_text("Grace Lovelace")
        expect(physical.locator("td").nth(0)).to_have_text("G. Lovelace")
        expect(virtual.get_by_test_id("card-delivery")).to_have_text(
            "Not delivered: a virtual card"
        )
        expect(physical.get_by_test_id("card-delivery")).to_contain_text(
            "Not reported by the courier yet"
        )
        expect(physical.get_by_test_id("card-delivery")).to_contain_text(
            re.compile(r"Courier reference TSR\w{10}")
        )
        check_accessibility(page, "cards")

        virtual_name = virtual.get_by_role("rowheader").inner_text()
        virtual.get_by_role("button", name=f"Block the {virtual_name}").click()
        outcome = page.get_by_test_id("cards-outcome")
        expect(outcome).to_be_focused()
        expect(outcome).to_have_text(f"{virtual_name} is now blocked.")
        expect(virtual.locator(".badge")).to_have_text("blocked")
        expect(virtual).to_contain_text("Only the firm can unblock it")
        # Customers may block and close, never unblock: the screen offers what the service allows.
        expect(row_buttons(virtual)).to_have_text([f"Close the {virtual_name}"])
        customer_api = login(live_service, customer, PASSWORD)
        cards = call(live_service, "GET", "/v1/cards", customer_api, expect=200)["items"]
        by_type = {card["type"]: card for card in cards}
        refused = call(
            live_service,
            "PATCH",
            f"/v1/cards/{by_type['virtual']['id']}",
            customer_api,
            expect=403,
            json={"status": "active"},
        )
        assert refused["error"]["message"] == "Only the firm can unblock a card."

        # The courier reports on the physical card by its reference: one failed try, then delivered.
        reference = by_type["physical"]["reference"]
        import_courier_file(
            live_service,
            firm.admin,
            "exceptions.csv",
            b"ID ,Card ID,User contact,Timestamp,Comment\n"
            + f'E1,{reference},"""0501234567""",13-11-2023 14:00,User not available\n'.encode(),
        )
        import_courier_file(
            live_service,
            firm.admin,
            "delivered.csv",
            b"ID ,Card ID,User contact,Timestamp,Comment\n"
            + f"D1,{reference},0501234567,2023-11-14T09:00:00Z,DELIVERED\n".encode(),
        )
        nav(page, "Accounts")
        nav(page, "Cards")
        delivery = physical.get_by_test_id("card-delivery")
        expect(delivery).to_contain_text("Delivered, 1 failed attempt (14 Nov 2023, 09:00 UTC)")
        physical_name = physical.get_by_role("rowheader").inner_text()
        delivery.get_by_role("link", name=f"Delivery history of the {physical_name}").click()
        heading(page, "Card delivery status")
        history = page.get_by_role("table", name=f"History of card {reference}, oldest first")
        expect(history.get_by_role("rowheader")).to_have_text(["Delivery exception", "Delivered"])

        # Staff unblock the card the customer blocked, then close it (asked first).
        log_in(page, live_service.base_url, operator, ADMIN_PASSWORD)
        nav(page, "Cards")
        heading(page, "Cards of the firm")
        check_accessibility(page, "cards of the firm")
        expect(row_buttons(virtual)).to_have_text(
            [f"Unblock the {virtual_name}", f"Close the {virtual_name}"]
        )
        virtual.get_by_role("button", name=f"Unblock the {virtual_name}").click()
        expect(outcome).to_have_text(f"{virtual_name} is now active.")
        expect(virtual.locator(".badge")).to_have_text("active")

        close = virtual.get_by_role("button", name=f"Close the {virtual_name}")
        close.click()
        dialog = page.get_by_role("dialog", name=f"Close the {virtual_name}?")
        expect(dialog).to_be_visible()
        expect(
            dialog.get_by_role("button", name="Keep the card")
        ).to_be_focused()  # the safe choice
        check_accessibility(page, "cards: close dialog")
        page.keyboard.press("Escape")
        expect(dialog).not_to_be_visible()
        expect(close).to_be_focused()
        expect(virtual.locator(".badge")).to_have_text("active")

        close.click()
        dialog.get_by_role("button", name="Close the card").click()
        expect(outcome).to_be_focused()
        expect(outcome).to_have_text(f"{virtual_name} is now closed.")
        expect(virtual.locator(".badge")).to_have_text("closed")
        expect(row_buttons(virtual)).to_have_count(0)

        # Neither full number ever reached the page (the admin's audited reveal knows them).
        html = page.content()
        for card in cards:
            revealed = call(
                live_service,
                "POST",
                f"/v1/vault/cards/{card['token']}/reveal",
                firm.admin,
                expect=200,
            )
            number = revealed["card_number"]
            assert CARD.search(html)
            assert number not in html
            assert number[-4:] == card["last4"]
            for line in browser_log.console:
                assert number not in line
