"""The web app as a product: the customer's and the staff's overviews (with the chart and its text
alternative), the phone layout, webhook endpoints against a real receiver, API clients, and the
screenshots the README shows (docs/screenshots/*.png)."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx2 as httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.api_setup import (
    SAMPLE_FILES,
    Firm,
    bearer,
    call,
    create_firm,
    import_courier_file,
    login,
    register_card,
)
from tests.e2e.screens import (
    account_menu,
    check_accessibility,
    heading,
    log_in,
    nav,
    open_account,
)
from tests.e2e.service import ADMIN_PASSWORD, REPO, LiveService

pytestmark = pytest.mark.e2e

SCREENSHOTS = REPO / "docs" / "screenshots"
PHONE = {"width": 375, "height": 812}
DEADLINE_SECONDS = 30


def screenshot(page: Page, name: str) -> None:
    """A screenshot of the whole page for the README, under a fixed name."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, animations="disabled")


def assert_no_sideways_scroll(page: Page, screen: str) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{screen} scrolls sideways: {width}"


def money(live_service: LiveService, headers: dict[str, str], account: str, amount: int) -> None:
    call(
        live_service,
        "POST",
        "/v1/transactions",
        headers,
        expect=201,
        json={"account_id": account, "type": "deposit", "amount": amount, "currency": "USD"},
    )


@dataclass
class Receiver:
    """A real HTTP server on 127.0.0.1 that takes webhook deliveries: it fails the first
    ``fail_first`` of them (HTTP 500), then answers 204."""

    url: str
    fail_first: int
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="", fail_first=1)

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.received.append((dict(self.headers.items()), body))
            self.send_response(500 if len(state.received) <= state.fail_first else 204)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/tessera/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def signed_with(secret: str, headers: dict[str, str], body: bytes) -> bool:
    fields = [part.split("=", 1) for part in headers["Tessera-Signature"].split(",")]
    stamp = next(value for key, value in fields if key == "t")
    expected = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, value) for key, value in fields if key == "v1")


def delete_endpoints_when_done(
    request: pytest.FixtureRequest, live_service: LiveService, firm: Firm
) -> None:
    """Delete the firm's webhook endpoints when the test ends, passed or failed: their receiver
    goes with the test, and the shared service's worker would go on retrying them."""

    def delete() -> None:
        headers = login(live_service, firm.admin_email)
        listed = call(live_service, "GET", "/v1/webhook-endpoints", headers, expect=200)
        for endpoint in listed["items"]:
            path = f"/v1/webhook-endpoints/{endpoint['id']}"
            call(live_service, "DELETE", path, headers, expect=204)

    request.addfinalizer(delete)


def refresh_until(page: Page, locator_text: str, table_test_id: str) -> None:
    """Press Refresh until the delivery log shows ``locator_text`` (bounded)."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    table = page.get_by_test_id(table_test_id)
    while time.monotonic() < deadline:
        if table.count() and locator_text in table.inner_text():
            return
        page.get_by_role("button", name="Refresh", exact=True).click()
        page.wait_for_timeout(500)
    raise AssertionError(f"{locator_text!r} not in the delivery log within {DEADLINE_SECONDS}s")


class TestCustomerOverview:
    def test_totals_named_accounts_activity_and_the_chart_with_its_text_alternative(
        self, page: Page, live_service: LiveService, browser: Browser
    ) -> None:
        created = live_service.signup(first_name="Ada", last_name="Lovelace")
        email = created["user"]["email"]
        log_in(page, live_service.base_url, email)
        heading(page, "Overview")
        open_account(page, "checking", "USD")
        open_account(page, "savings", "USD")
        headers = login(live_service, email, password="correct horse battery")
        accounts = call(live_service, "GET", "/v1/accounts", headers, expect=200)["items"]
        checking = next(a for a in accounts if a["type"] == "checking")
        savings = next(a for a in accounts if a["type"] == "savings")
        money(live_service, headers, checking["id"], 125_000)
        call(
            live_service,
            "POST",
            "/v1/transfers",
            headers,
            expect=201,
            json={
                "from_account_id": checking["id"],
                "to_account_id": savings["id"],
                "amount": 25_000,
                "currency": "USD",
                "description": "Rainy day",
            },
        )

        nav(page, "Overview")
        heading(page, "Overview")
        expect(page.get_by_test_id("totals")).to_have_text(re.compile(r"In USD\s*1,250\.00"))
        names = page.get_by_test_id("overview-accounts").get_by_test_id("account-name")
        expect(names).to_have_text(
            [f"Savings {savings['number']}", f"Checking {checking['number']}"]
        )
        activity = page.get_by_test_id("recent-activity")
        expect(activity.locator("li")).to_have_count(3)
        expect(activity.locator("li").first).to_contain_text("Transfer")

        figure = page.get_by_role("figure", name=re.compile(r"^Balance of Savings \d{4}"))
        expect(figure).to_be_visible()
        expect(page.get_by_test_id("balance-chart").locator("svg").first).to_be_visible()
        page.get_by_label("Account", exact=True).select_option(
            label=f"Checking {checking['number']}, USD"
        )
        page.get_by_label("Period", exact=True).select_option(label="Last 7 days")
        figure = page.get_by_role(
            "figure", name=re.compile(r"^Balance of Checking \d{4} \(USD\) over the last 7 days")
        )
        expect(figure).to_be_visible()
        expect(page.get_by_test_id("history-summary")).to_contain_text("to 1,000.00 USD today")
        page.get_by_text("Show the data as a table").click()
        table = page.get_by_role("table", name=re.compile(r"^Balance of Checking"))
        expect(table.locator("tbody tr")).to_have_count(7)
        expect(table.locator("tbody tr").last.locator("td")).to_have_text("1,000.00 USD")
        check_accessibility(page, "customer overview with chart and table")
        screenshot(page, "customer-overview-desktop")

        # Rename, with the keyboard only.
        page.get_by_role(
            "button", name=re.compile(rf"^Rename Checking {checking['number']}")
        ).focus()
        page.keyboard.press("Enter")
        dialog = page.get_by_role("dialog", name=f"Rename Checking {checking['number']}")
        expect(dialog.get_by_label("Name")).to_be_focused()
        page.keyboard.type("Everyday money")
        page.keyboard.press("Enter")
        expect(dialog).not_to_be_visible()
        expect(names.filter(has_text="Everyday money")).to_have_count(1)

        phone = browser.new_context(viewport=PHONE, timezone_id="Asia/Dubai")
        try:
            small = phone.new_page()
            log_in(small, live_service.base_url, email)
            heading(small, "Overview")
            expect(small.get_by_test_id("balance-chart").locator("svg").first).to_be_visible()
            assert_no_sideways_scroll(small, "overview at 375 px")
            check_accessibility(small, "customer overview (375 px)")
            screenshot(small, "customer-overview-phone")
        finally:
            phone.close()


class TestPhoneLayout:
    @pytest.mark.parametrize("width", [320, 375])
    def test_the_menu_button_and_stacked_tables_without_sideways_scrolling(
        self, browser: Browser, live_service: LiveService, platform_admin: str, width: int
    ) -> None:
        firm = create_firm(live_service, platform_admin, f"phone{width}")
        register_card(live_service, firm.admin, "4012888888881881", "Phone Queue")
        context = browser.new_context(viewport={"width": width, "height": 800})
        try:
            page = context.new_page()
            log_in(page, live_service.base_url, firm.admin_email, ADMIN_PASSWORD)
            heading(page, "Today")
            menu = page.get_by_role("button", name="Menu", exact=True)
            expect(menu).to_have_attribute("aria-expanded", "false")
            main_nav = page.get_by_role("navigation", name="Main")
            expect(main_nav.get_by_role("link", name="Registrations")).to_be_hidden()
            header_height = page.locator(".site-header").bounding_box()
            assert header_height is not None
            assert header_height["height"] < 120
            check_accessibility(page, f"staff overview ({width} px, menu closed)")

            menu.click()
            expect(menu).to_have_attribute("aria-expanded", "true")
            expect(main_nav.get_by_role("link", name="Registrations")).to_be_visible()
            check_accessibility(page, f"phone menu open ({width} px)")
            main_nav.get_by_role("link", name="Registrations").click()
            heading(page, "Card registrations")
            expect(menu).to_have_attribute("aria-expanded", "false")

            row = page.get_by_test_id("registrations-table").locator("tbody tr").first
            for label in ("Card", "Name on card", "Expiry", "Received", "Status"):
                expect(row.locator(f'[data-label="{label}"]')).to_be_visible()
            approve = row.get_by_role("button", name=re.compile("^Approve"))
            expect(approve).to_be_in_viewport()
            box = approve.bounding_box()
            assert box is not None
            assert box["x"] + box["width"] <= width
            assert_no_sideways_scroll(page, f"registrations at {width} px")
            check_accessibility(page, f"stacked registrations ({width} px)")
            if width == 375:
                screenshot(page, "registrations-phone")

            for link, title in (
                ("Courier files", "Courier files"),
                ("Webhooks", "Webhooks"),
                ("API clients", "API clients"),
                ("Audit log", "Audit log"),
            ):
                nav(page, link)
                heading(page, title)
                expect(page.get_by_role("status").filter(has_text="Loading")).to_have_count(0)
                assert_no_sideways_scroll(page, f"{title} at {width} px")

            account_menu(page)
            check_accessibility(page, f"account menu ({width} px)")
            page.keyboard.press("Escape")
            expect(page.get_by_test_id("account-panel")).to_be_hidden()
            expect(page.get_by_role("button", name=re.compile("^Account menu"))).to_be_focused()
        finally:
            context.close()


class TestStaffOverview:
    def test_pending_registrations_todays_imports_failing_webhooks_and_expiring_certificates(
        self, page: Page, own_service: LiveService, own_platform_admin: str, receiver: Receiver
    ) -> None:
        # On a service of the test's own, whose worker attempts this endpoint's delivery at once
        # instead of after whatever the other browser tests left in the shared service's queue.
        receiver.fail_first = 1_000_000  # every delivery fails with HTTP 500
        firm = create_firm(own_service, own_platform_admin, "today")
        register_card(own_service, firm.admin, "5200828282828210", "Overview Card")
        import_courier_file(
            own_service, firm.admin, "pickup.csv", SAMPLE_FILES["pickup"].read_bytes()
        )
        call(
            own_service,
            "POST",
            "/v1/certificates",
            firm.admin,
            expect=201,
            json={"common_name": "soon.example.com", "validity_days": 5},
        )
        call(
            own_service,
            "POST",
            "/v1/webhook-endpoints",
            firm.admin,
            expect=201,
            json={"url": receiver.url, "events": ["*"]},
        )
        # An event for the endpoint to fail on.
        customer = login(own_service, firm.customer(own_service), password="correct horse battery")
        call(
            own_service,
            "POST",
            "/v1/accounts",
            customer,
            expect=201,
            json={"type": "checking", "currency": "USD"},
        )

        log_in(page, own_service.base_url, firm.admin_email, ADMIN_PASSWORD)
        heading(page, "Today")
        expect(page.get_by_test_id("tile-pending")).to_have_text("1 pending registration")
        expect(page.get_by_test_id("tile-imports")).to_have_text(
            re.compile(r"^1 import, \d+ rejected rows?$")
        )
        expect(page.get_by_test_id("tile-certificates")).to_have_text(
            "1 certificate expiring within 30 days"
        )
        expect(page.get_by_test_id("expiring-certificates")).to_contain_text("soon.example.com")
        expect(page.get_by_test_id("today-imports")).to_contain_text("pickup.csv")
        deadline = time.monotonic() + 2 * DEADLINE_SECONDS  # the worker's first attempt
        tile = page.get_by_test_id("tile-webhooks")
        while True:
            expect(tile).not_to_have_text("…")  # loaded
            if (said := tile.inner_text()) == "1 failing endpoint":
                break
            assert time.monotonic() < deadline, f"the webhooks tile still says {said!r}"
            page.wait_for_timeout(500)
            page.reload()
        expect(page.get_by_test_id("failing-endpoints")).to_contain_text(receiver.url)
        expect(page.get_by_test_id("failing-endpoints")).to_contain_text("HTTP 500")
        check_accessibility(page, "staff overview")
        screenshot(page, "staff-overview")

        nav(page, "Registrations")
        heading(page, "Card registrations")
        expect(page.get_by_test_id("registrations-table")).to_contain_text("1 pending registration")
        screenshot(page, "registrations")
        nav(page, "Courier files")
        heading(page, "Courier files")
        screenshot(page, "courier-files")
        nav(page, "Cards")
        screenshot(page, "cards")


class TestWebhooks:
    def test_create_with_a_filter_see_the_secret_once_rotate_it_and_redeliver(
        self,
        request: pytest.FixtureRequest,
        page: Page,
        live_service: LiveService,
        platform_admin: str,
        receiver: Receiver,
    ) -> None:
        firm = create_firm(live_service, platform_admin, "hooks")
        delete_endpoints_when_done(request, live_service, firm)
        log_in(page, live_service.base_url, firm.admin_email, ADMIN_PASSWORD)
        nav(page, "Webhooks")
        heading(page, "Webhooks")
        expect(page.get_by_text("The firm has no webhook endpoints yet.")).to_be_visible()
        check_accessibility(page, "webhooks (none)")

        page.get_by_role("button", name="Create endpoint").click()
        expect(page.get_by_test_id("error-summary")).to_be_focused()
        check_accessibility(page, "webhooks (form errors)")

        # Keyboard only: the address, one event, submit.
        page.get_by_label("Endpoint URL").focus()
        page.keyboard.type(receiver.url)
        page.get_by_label("account.created").focus()
        page.keyboard.press("Space")
        page.get_by_role("button", name="Create endpoint").focus()
        page.keyboard.press("Enter")
        shown = page.get_by_test_id("created-secret-value")
        expect(shown).to_have_text(re.compile(r"^whsec_"))
        first_secret = shown.inner_text()
        check_accessibility(page, "webhooks (secret shown once)")
        page.get_by_role("button", name="I have stored it").click()
        expect(page.get_by_test_id("created-secret")).to_have_count(0)
        row = page.get_by_test_id("webhooks-table").locator("tbody tr")
        expect(row).to_contain_text("account.created")
        assert first_secret not in page.content()
        screenshot(page, "webhooks")

        row.get_by_role("button", name=re.compile("^Rotate secret")).click()
        dialog = page.get_by_role("dialog", name="Rotate the signing secret?")
        expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
        check_accessibility(page, "webhooks (rotate dialog)")
        dialog.get_by_role("button", name="Rotate secret").click()
        rotated = page.get_by_test_id("rotated-secret-value")
        expect(rotated).to_have_text(re.compile(r"^whsec_"))
        new_secret = rotated.inner_text()
        assert new_secret != first_secret
        expect(row).to_contain_text("the old one signs too until")

        customer = firm.customer(live_service)
        headers = login(live_service, customer, password="correct horse battery")
        call(
            live_service,
            "POST",
            "/v1/accounts",
            headers,
            expect=201,
            json={"type": "checking", "currency": "USD"},
        )

        row.get_by_role("link", name=re.compile("^Delivery log")).click()
        heading(page, "Delivery log")
        refresh_until(page, "HTTP 500", "deliveries-table")
        delivery = page.get_by_test_id("deliveries-table").locator("tbody tr").first
        expect(delivery).to_contain_text("account.created")
        check_accessibility(page, "webhook delivery log")
        delivery.get_by_role("button", name="Redeliver account.created event").click()
        expect(page.get_by_test_id("deliveries-outcome")).to_have_text(
            "The account.created event is queued to be sent again."
        )
        refresh_until(page, "succeeded", "deliveries-table")
        expect(page.get_by_test_id("deliveries-table").locator("tbody tr").first).to_contain_text(
            "(sent again)"
        )

        assert len(receiver.received) >= 2
        headers_sent, body = receiver.received[-1]
        assert json.loads(body)["type"] == "account.created"
        assert signed_with(new_secret, headers_sent, body)
        assert signed_with(first_secret, headers_sent, body)  # during the overlap, both sign


class TestApiClients:
    def test_create_with_scopes_see_the_secret_once_and_revoke_by_keyboard(
        self, page: Page, live_service: LiveService, platform_admin: str
    ) -> None:
        firm = create_firm(live_service, platform_admin, "clients")
        log_in(page, live_service.base_url, firm.admin_email, ADMIN_PASSWORD)
        nav(page, "API clients")
        heading(page, "API clients")
        check_accessibility(page, "api clients (none)")

        page.get_by_label("Name").fill("Core banking")
        page.get_by_label("cards:read").check()
        page.get_by_label("deliveries:write").check()
        page.get_by_role("button", name="Create client").click()
        secret = page.get_by_test_id("client-secret-value").inner_text()
        client_id = re.search(r"client_id=(\S+)", secret)
        client_secret = re.search(r"client_secret=(\S+)", secret)
        assert client_id
        assert client_secret
        check_accessibility(page, "api clients (secret shown once)")
        page.get_by_role("button", name="I have stored it").click()
        row = page.get_by_test_id("clients-table").locator("tbody tr", has_text="Core banking")
        expect(row).to_contain_text("cards:read, deliveries:write")
        screenshot(page, "api-clients")

        token = httpx.post(
            f"{live_service.base_url}/v1/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(client_id[1], client_secret[1]),
            timeout=10,
        )
        assert token.status_code == 200, token.text
        assert token.json()["scope"] == "cards:read deliveries:write"

        # Revoke with the keyboard alone.
        row.get_by_role("button", name="Revoke Core banking").focus()
        page.keyboard.press("Enter")
        dialog = page.get_by_role("dialog", name="Revoke Core banking?")
        expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
        page.keyboard.press("Shift+Tab")
        expect(dialog.get_by_role("button", name="Revoke client")).to_be_focused()
        page.keyboard.press("Enter")
        outcome = page.get_by_test_id("clients-outcome")
        expect(outcome).to_be_focused()
        expect(outcome).to_have_text(
            "Core banking was revoked: its secret and tokens no longer work."
        )
        expect(row).to_contain_text("revoked")
        check_accessibility(page, "api clients (revoked)")

        refused = httpx.post(
            f"{live_service.base_url}/v1/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(client_id[1], client_secret[1]),
            timeout=10,
        )
        assert refused.status_code == 401
        still = httpx.get(
            f"{live_service.base_url}/v1/cards",
            headers=bearer(token.json()["access_token"]),
            timeout=10,
        )
        assert still.status_code == 401


class TestDetails:
    def test_statement_transfers_name_the_other_account_and_the_audit_log_names_emails(
        self, page: Page, live_service: LiveService, platform_admin: str
    ) -> None:
        firm = create_firm(live_service, platform_admin, "details")
        email = firm.customer(live_service)
        headers = login(live_service, email, password="correct horse battery")
        first = call(
            live_service,
            "POST",
            "/v1/accounts",
            headers,
            expect=201,
            json={"type": "checking", "currency": "USD"},
        )
        second = call(
            live_service,
            "POST",
            "/v1/accounts",
            headers,
            expect=201,
            json={"type": "savings", "currency": "USD"},
        )
        money(live_service, headers, first["id"], 10_000)
        call(
            live_service,
            "POST",
            "/v1/transfers",
            headers,
            expect=201,
            json={
                "from_account_id": first["id"],
                "to_account_id": second["id"],
                "amount": 2_500,
                "currency": "USD",
            },
        )
        log_in(page, live_service.base_url, email)
        page.goto(f"{live_service.base_url}/statements/{first['id']}")
        heading(page, "Statement")
        expect(page.get_by_test_id("statement-table")).to_contain_text(
            f"to Savings {second['number']}"
        )
        check_accessibility(page, "statement with a transfer")

        account_menu(page)
        page.get_by_role("button", name="Log out").click()
        log_in(page, live_service.base_url, firm.admin_email, ADMIN_PASSWORD)
        nav(page, "Audit log")
        heading(page, "Audit log")
        expect(page.get_by_test_id("audit-table")).to_contain_text(email)
