"""Card delivery: looking a card up by its courier id or a phone number, and the courier files
screen where staff upload a CSV file and read its import report.

The lookups run against the courier's real sample files, imported unmodified through the API
by a firm admin. Each class has a firm of its own, so imports in one do not turn the other's
rows into duplicates.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.api_setup import SAMPLE_FILES, Firm, call, create_firm, import_courier_file, login
from tests.e2e.screens import check_accessibility, heading, log_in, nav
from tests.e2e.service import ADMIN_PASSWORD, PASSWORD, QUEUED_IMPORT_BYTES, LiveService
from tests.support.browser import BrowserLog

pytestmark = pytest.mark.e2e

DELIVERED_FILE = SAMPLE_FILES["delivered"]


@pytest.fixture(scope="module")
def courier_firm(live_service: LiveService, platform_admin: str) -> Firm:
    """A firm whose admin imported the four sample files, pickups last (order does not matter)."""
    firm = create_firm(live_service, platform_admin, "couriers")
    for kind in ("delivered", "returned", "delivery_exception", "pickup"):
        path = SAMPLE_FILES[kind]
        import_courier_file(live_service, firm.admin, path.name, path.read_bytes())
    return firm


def look_up(page: Page, by: str, value: str) -> None:
    page.get_by_role("radio", name=by).check()
    page.get_by_role("textbox", name=by, exact=True).fill(value)
    page.get_by_role("button", name="Look up").click()


def summary_value(result: Locator, term: str) -> Locator:
    """The <dd> of a result's summary whose <dt> is ``term``."""
    return (
        result.locator("dl > div")
        .filter(has=result.page.locator("dt", has_text=re.compile(f"^{re.escape(term)}$")))
        .locator("dd")
    )


def history_rows(result: Locator) -> list[tuple[str | None, str]]:
    """Each history row's <time datetime> and its event, top to bottom."""
    rows = result.get_by_role("table").locator("tbody tr")
    return [
        (row.locator("time").get_attribute("datetime"), row.get_by_role("rowheader").inner_text())
        for row in rows.all()
    ]


class TestDeliveryLookup:
    def test_staff_find_a_card_by_its_id_and_by_phone_with_its_history(
        self, page: Page, live_service: LiveService, courier_firm: Firm
    ) -> None:
        log_in(page, live_service.base_url, courier_firm.admin_email, ADMIN_PASSWORD)
        nav(page, "Card delivery")
        heading(page, "Card delivery status")

        look_up(page, "Card id", "ZYW8827")
        result = page.get_by_role("region", name="Card ZYW8827", exact=True)
        expect(summary_value(result, "Status")).to_have_text("Delivered")
        expect(summary_value(result, "Delivery attempts that failed")).to_have_text("0")
        since = summary_value(result, "Since").locator("time")
        expect(since).to_have_attribute("datetime", "2023-11-13T09:34:56Z")
        expect(since).to_have_text("13 Nov 2023, 09:34:56 UTC")
        expect(result).to_contain_text("+971585949014")
        table = result.get_by_role("table", name="History of card ZYW8827, oldest first")
        expect(table.get_by_role("columnheader")).to_have_text(
            ["When", "Event", "Courier's comment", "Reported by"]
        )
        expect(table.locator("tbody tr")).to_have_count(2)
        # The pickup at 11:59 PM Dubai time is 19:59 UTC; oldest first, whatever the file order.
        assert history_rows(result) == [
            ("2023-11-12T19:59:00Z", "Picked up"),
            ("2023-11-13T09:34:56Z", "Delivered"),
        ]
        expect(page.get_by_test_id("announcer")).to_have_text("Status: Delivered.")
        check_accessibility(page, "card delivery: one card")

        look_up(page, "Card id", "zyw8890")
        result = page.get_by_role("region", name="Card ZYW8890", exact=True)
        expect(summary_value(result, "Status")).to_have_text("Returned")
        expect(summary_value(result, "Delivery attempts that failed")).to_have_text("1")
        assert history_rows(result) == [
            ("2023-11-11T23:45:00Z", "Picked up"),
            ("2023-11-13T10:00:00Z", "Delivery exception"),
            ("2023-11-14T08:00:00Z", "Returned"),
        ]
        expect(result.locator("tbody tr").nth(1)).to_contain_text("User not available")

        look_up(page, "Phone number", "0585949014")
        results = page.get_by_test_id("delivery-status")
        expect(results).to_have_count(1)
        expect(results.get_by_role("heading")).to_have_text("Card ZYW8827")

        look_up(page, "Card id", "ZYW0000")
        field = page.get_by_role("textbox", name="Card id", exact=True)
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(page.get_by_test_id("status-value-error")).to_have_text(
            "Error: No delivery is known for this card id."
        )
        expect(page.get_by_test_id("error-summary")).to_be_focused()
        expect(page.get_by_test_id("delivery-status")).to_have_count(0)

        # The history names the import that reported each event; it opens that report.
        look_up(page, "Card id", "ZYW8827")
        delivered_row = page.get_by_role("table").locator("tbody tr").nth(1)
        delivered_row.get_by_role("link", name=re.compile(r"^Import report")).click()
        heading(page, "Courier files")
        expect(page.get_by_test_id("import-report")).to_contain_text(
            "Import report: Sample Card Status Info - Delivered.csv"
        )
        expect(page.get_by_test_id("import-summary")).to_have_text(
            "2 rows: 2 imported, 0 duplicates, 0 rejected."
        )

    def test_a_customer_sees_only_the_cards_issued_to_them(
        self, page: Page, live_service: LiveService, courier_firm: Firm
    ) -> None:
        # The phone of ZYW8827's holder: a profile phone is never verified, so it shows nothing.
        email = courier_firm.customer(live_service, phone="+971 58 594 9014")
        customer = login(live_service, email, PASSWORD)
        account = call(
            live_service, "POST", "/v1/accounts", customer, expect=201,
            json={"type": "checking", "currency": "USD"},
        )  # fmt: skip
        card = call(
            live_service, "POST", "/v1/cards", customer, expect=201,
            json={"account_id": account["id"], "type": "physical"},
        )  # fmt: skip
        reference = card["reference"]
        delivered = (
            f"ID,Card ID,User Mobile,Timestamp\r\n1,{reference},585949014,13-11-2023 1:34 PM"
        )
        import_courier_file(live_service, courier_firm.admin, "delivered.csv", delivered.encode())
        log_in(page, live_service.base_url, email)
        nav(page, "Card delivery")

        look_up(page, "Card id", reference)
        result = page.get_by_role("region", name=f"Card {reference}", exact=True)
        expect(summary_value(result, "Status")).to_have_text("Delivered")
        # The import ids mean nothing to a customer: no "Reported by" column.
        expect(result.get_by_role("columnheader")).to_have_text(
            ["When", "Event", "Courier's comment"]
        )
        check_accessibility(page, "card delivery: customer")

        look_up(page, "Card id", "ZYW8827")  # another person's card, sent to the same phone
        expect(page.get_by_test_id("status-value-error")).to_have_text(
            "Error: No delivery is known for this card id."
        )

    def test_the_lookup_works_with_the_keyboard_alone(
        self, page: Page, live_service: LiveService, courier_firm: Firm
    ) -> None:
        log_in(page, live_service.base_url, courier_firm.admin_email, ADMIN_PASSWORD)
        nav(page, "Card delivery")
        heading(page, "Card delivery status")
        page.get_by_role("radio", name="Card id").focus()
        page.keyboard.press("ArrowRight")  # radios move with the arrow keys
        expect(page.get_by_role("radio", name="Phone number")).to_be_checked()
        page.keyboard.press("Tab")
        expect(page.get_by_role("textbox", name="Phone number", exact=True)).to_be_focused()
        page.keyboard.type("+971 53 453 4534")
        page.keyboard.press("Enter")
        expect(page.get_by_role("region", name="Card ZYW8890", exact=True)).to_contain_text(
            "Returned"
        )


def broken_pickup_file(tmp_path: Path) -> Path:
    """A pickup file whose middle row lost its card id (a phone a spreadsheet turned into
    9.71535E+11 is imported with a warning, so it cannot be the broken row)."""
    path = tmp_path / "pickups-with-a-broken-row.csv"
    path.write_text(
        "ID,Card ID,User Mobile,Timestamp\n"
        "901,ZYW9001,585949014,12-11-2023 11:59 PM\n"
        "902,,585949014,12-11-2023 11:30 PM\n"
        "903,ZYW9003,534534534,13-11-2023 9:15 AM\n",
        encoding="utf-8",
    )
    return path


def large_pickup_file(tmp_path: Path, rows: int, broken_every: int) -> Path:
    """A pickup file large enough to be queued; every ``broken_every``-th row has no valid time."""
    lines = ["ID,Card ID,User Mobile,Timestamp"]
    for n in range(1, rows + 1):
        time = "not a time" if n % broken_every == 0 else f"12-11-2023 {1 + n % 12}:{n % 60:02d} PM"
        lines.append(f"{n},ZYWQ{n:05d},5859{n:05d},{time}")
    path = tmp_path / "many-pickups.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert path.stat().st_size > QUEUED_IMPORT_BYTES
    return path


class TestCourierFiles:
    def test_upload_files_read_their_reports_and_the_past_imports(
        self,
        page: Page,
        live_service: LiveService,
        platform_admin: str,
        tmp_path: Path,
        browser_log: BrowserLog,
    ) -> None:
        firm = create_firm(live_service, platform_admin, "uploads")
        operator = firm.grant(live_service, "firm_operator")
        log_in(page, live_service.base_url, operator, ADMIN_PASSWORD)
        nav(page, "Courier files")
        heading(page, "Courier files")
        expect(page.get_by_text("No file has been imported yet.")).to_be_visible()
        check_accessibility(page, "courier files (empty)")

        upload = page.get_by_label("Courier file (CSV)")
        submit = page.get_by_role("button", name="Upload and import")
        report = page.get_by_test_id("import-report")
        summary = page.get_by_test_id("import-summary")

        # The browser refuses what cannot be a courier file, before sending anything.
        submit.click()
        expect(page.get_by_test_id("import-file-error")).to_have_text(
            "Error: Choose the courier's CSV file."
        )
        not_csv = tmp_path / "report.xlsx"
        not_csv.write_bytes(b"PK\x03\x04")
        upload.set_input_files(not_csv)
        submit.click()
        expect(page.get_by_test_id("import-file-error")).to_have_text(
            "Error: The file must be a CSV file (its name ends in .csv)."
        )
        expect(upload).to_have_attribute("aria-invalid", "true")

        # A CSV the service cannot read as a whole: its answer, at the file field.
        unknown = tmp_path / "orders.csv"
        unknown.write_text("order,amount\n1,10\n", encoding="utf-8")
        upload.set_input_files(unknown)
        submit.click()
        expect(page.get_by_test_id("error-summary")).to_be_focused()
        expect(page.get_by_test_id("import-file-error")).to_contain_text(
            "Error: The header lacks the columns: Card ID;"
        )
        check_accessibility(page, "courier files with an error")

        # A name and header that could be any kind: the service asks, at the kind field.
        export = tmp_path / "courier-export.csv"
        export.write_text(
            "ID,Card ID,User Mobile,Timestamp\n1,ZYW9100,585949014,12-11-2023 10:00 AM\n",
            encoding="utf-8",
        )
        upload.set_input_files(export)
        submit.click()
        kind = page.get_by_label("What the file holds (optional)")
        expect(kind).to_have_attribute("aria-invalid", "true")
        expect(page.get_by_test_id("import-kind-error")).to_contain_text("give the kind")
        page.get_by_test_id("error-summary").get_by_role("link").click()
        expect(kind).to_be_focused()
        kind.select_option(label="Pickups")
        submit.click()
        expect(summary).to_have_text("1 row: 1 imported, 0 duplicates, 0 rejected.")
        expect(report).to_contain_text("Pickups ·")
        kind.select_option(label="Find out from the file")

        upload.set_input_files(DELIVERED_FILE)
        submit.click()
        expect(report).to_be_focused()
        expect(report.get_by_role("heading")).to_have_text(
            "Import report: Sample Card Status Info - Delivered.csv"
        )
        expect(summary).to_have_text("2 rows: 2 imported, 0 duplicates, 0 rejected.")
        expect(report.get_by_test_id("rejected-rows")).to_have_count(0)
        expect(upload).to_have_value("")  # ready for the next file

        upload.set_input_files(broken_pickup_file(tmp_path))
        submit.click()
        expect(summary).to_have_text("3 rows: 2 imported, 0 duplicates, 1 rejected.")
        expect(report.get_by_test_id("rows-rejected")).to_have_text("1")
        rejected = report.get_by_role("table", name="Rejected rows")
        expect(rejected.get_by_role("columnheader")).to_have_text(["Line", "Why it was rejected"])
        expect(rejected.locator("tbody tr")).to_have_count(1)
        expect(rejected.get_by_role("rowheader")).to_have_text("3")  # the header is line 1
        expect(rejected.locator("tbody td")).to_contain_text("The card id is empty.")
        check_accessibility(page, "courier files: report with rejected rows")

        upload.set_input_files(DELIVERED_FILE)
        submit.click()
        expect(summary).to_have_text("2 rows: 0 imported, 2 duplicates, 0 rejected.")
        expect(report).to_contain_text("The same file was imported before")

        imports = page.get_by_test_id("imports-table")
        expect(imports.get_by_role("caption")).to_have_text("4 imports, newest first")
        expect(imports.locator("tbody th")).to_have_text(
            [
                "Sample Card Status Info - Delivered.csv",
                "pickups-with-a-broken-row.csv",
                "Sample Card Status Info - Delivered.csv",
                "courier-export.csv",
            ]
        )
        expect(imports.locator("tbody tr").nth(0).locator("td")).to_have_text(
            [
                re.compile(r"UTC$"),
                "Deliveries",
                "completed",
                "2",
                "0",
                "2",
                "0",
                re.compile("^View report"),
            ]
        )
        check_accessibility(page, "courier files: past imports")

        imports.locator("tbody tr").nth(1).get_by_role(
            "button", name=re.compile("^View report")
        ).click()
        expect(report).to_be_focused()
        expect(summary).to_have_text("3 rows: 2 imported, 0 duplicates, 1 rejected.")

        # The imported rows are live: the good rows of the broken file are found by card id.
        nav(page, "Card delivery")
        look_up(page, "Card id", "ZYW9003")
        expect(page.get_by_role("region", name="Card ZYW9003", exact=True)).to_contain_text(
            "Picked up"
        )
        assert browser_log.errors == []

    def test_upload_a_file_with_the_keyboard_alone(
        self, page: Page, live_service: LiveService, platform_admin: str
    ) -> None:
        firm = create_firm(live_service, platform_admin, "keyboard-uploads")
        log_in(page, live_service.base_url, firm.admin_email, ADMIN_PASSWORD)
        nav(page, "Courier files")
        heading(page, "Courier files")
        page.get_by_label("Courier file (CSV)").focus()
        with page.expect_file_chooser() as chooser:
            page.keyboard.press("Space")
        chooser.value.set_files(SAMPLE_FILES["pickup"])
        page.keyboard.press("Tab")
        expect(page.get_by_label("What the file holds (optional)")).to_be_focused()
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name="Upload and import")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.get_by_test_id("import-report")).to_be_focused()
        expect(page.get_by_test_id("import-summary")).to_have_text(
            "3 rows: 3 imported, 0 duplicates, 0 rejected."
        )

    def test_a_large_file_is_imported_in_the_background_and_every_rejection_listed(
        self, page: Page, live_service: LiveService, platform_admin: str, tmp_path: Path
    ) -> None:
        firm = create_firm(live_service, platform_admin, "large-uploads")
        log_in(page, live_service.base_url, firm.admin_email, ADMIN_PASSWORD)
        nav(page, "Courier files")
        page.get_by_label("Courier file (CSV)").set_input_files(
            large_pickup_file(tmp_path, rows=330, broken_every=3)
        )
        with page.expect_response("**/v1/deliveries/imports") as answer:
            page.get_by_role("button", name="Upload and import").click()
        assert answer.value.status == 202
        assert answer.value.json()["status"] == "queued"
        report = page.get_by_test_id("import-report")
        expect(report).to_be_focused()
        # The screen polls the report until the worker is done (it runs every 2 s).
        expect(page.get_by_test_id("import-summary")).to_have_text(
            "330 rows: 220 imported, 0 duplicates, 110 rejected.", timeout=20_000
        )
        expect(page.get_by_test_id("announcer")).to_have_text(
            "Import of many-pickups.csv finished."
            " 330 rows: 220 imported, 0 duplicates, 110 rejected."
        )
        imports = page.get_by_test_id("imports-table")
        expect(imports.locator("tbody tr").first.locator(".badge")).to_have_text("completed")

        # The report carries the first 100 rejected rows; the rest are a click away.
        rejected = report.get_by_role("table", name=re.compile("^Rejected rows"))
        expect(rejected.get_by_role("caption")).to_have_text("Rejected rows (the first 100 of 110)")
        expect(rejected.locator("tbody tr")).to_have_count(100)
        report.get_by_role("button", name="List all 110 rejected rows").click()
        expect(rejected.get_by_role("caption")).to_have_text("Rejected rows")
        expect(rejected.locator("tbody tr")).to_have_count(110)
        expect(report.get_by_role("region", name="Rejected rows")).to_be_focused()
        lines = rejected.get_by_role("rowheader").all_inner_texts()
        assert lines == [str(n + 1) for n in range(3, 331, 3)]  # line = row number + header
