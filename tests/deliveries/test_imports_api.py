"""The import endpoint and the card status reads, over HTTP, with the real sample files."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest

from tessera.config import Settings
from tessera.deliveries.imports.orchestrator import LEASE_SECONDS
from tessera.deliveries.status import service
from tessera.models import DEFAULT_FIRM_ID, DeliveryImport, Role
from tessera.runtime import Runtime
from tests.support.api import Api, Caller
from tests.support.deliveries import (
    SAMPLE_NAMES,
    count_events,
    csv_bytes,
    event_payloads,
    sample_bytes,
    upload,
    upload_sample,
)

STATUS_CHANGED = "card_delivery.status_changed"
IMPORT_COMPLETED = "delivery_import.completed"


def card_status(caller: Caller, **query: str) -> dict[str, Any]:
    response = caller.get("/v1/card-status", params=query)
    assert response.status_code == 200, response.text
    return dict(response.json())


def without_sources(history: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(h["event"], h["at"], h["comment"]) for h in history]


class TestSampleFilesInEveryOrder:
    def test_every_order_of_the_four_files_gives_the_same_statuses(self, api: Api) -> None:
        histories: set[tuple[tuple[Any, ...], ...]] = set()
        for order in itertools.permutations(SAMPLE_NAMES):
            firm = api.create_firm()
            caller = api.staff(Role.FIRM_ADMIN, firm_id=firm.id)
            for name in order:
                report = upload_sample(caller, name)
                assert report["status"] == "completed"
                assert report["rows_rejected"] == 0, (order, report["errors"])

            first = card_status(caller, card_id="ZYW8827")
            assert (first["status"], first["status_at"]) == ("delivered", "2023-11-13T09:34:56Z")
            returned = card_status(caller, card_id="ZYW8890")
            assert (returned["status"], returned["delivery_attempts"]) == ("returned", 1)
            second = card_status(caller, card_id="ZYW7631")
            assert (second["status"], second["delivery_attempts"]) == ("delivered", 1)

            histories.add(
                tuple(
                    tuple(without_sources(card_status(caller, card_id=card)["history"]))
                    for card in ("ZYW8827", "ZYW8890", "ZYW7631")
                )
            )
        # Not only the status: the whole history is the same whatever the order.
        assert len(histories) == 1

    def test_the_history_is_oldest_first_with_the_partner_zone_applied(self, staff: Caller) -> None:
        for name in SAMPLE_NAMES:
            upload_sample(staff, name)
        body = card_status(staff, card_id="ZYW8890")
        assert body["phone"] == "+971534534534"
        assert without_sources(body["history"]) == [
            ("picked_up", "2023-11-11T23:45:00Z", None),
            ("delivery_exception", "2023-11-13T10:00:00Z", "User not available"),
            ("returned", "2023-11-14T08:00:00Z", None),
        ]
        assert all(h["source"].startswith("dim_") for h in body["history"])


class TestCardStatusLookup:
    @pytest.mark.parametrize(
        "phone", ["585949014", "0585949014", "971585949014", "+971 58 594 9014"]
    )
    def test_every_common_phone_format_finds_the_card(self, staff: Caller, phone: str) -> None:
        for name in SAMPLE_NAMES:
            upload_sample(staff, name)
        body = card_status(staff, phone=phone)
        assert (body["card_id"], body["phone"], body["status"]) == (
            "ZYW8827",
            "+971585949014",
            "delivered",
        )

    def test_a_phone_with_several_cards_lists_them(self, staff: Caller) -> None:
        content = csv_bytes(
            "1,ZYW1001,585949014,12-11-2023 10:00,",
            "2,ZYW1002,0585949014,12-11-2023 11:00,",
        )
        assert upload(staff, content, "pickup.csv").status_code == 201
        body = card_status(staff, phone="+971585949014")
        assert [item["card_id"] for item in body["items"]] == ["ZYW1001", "ZYW1002"]

    def test_card_id_and_phone_must_both_match(self, staff: Caller) -> None:
        upload_sample(staff, "pickup")
        assert card_status(staff, card_id="zyw8827", phone="585949014")["card_id"] == "ZYW8827"
        response = staff.get("/v1/card-status", params={"card_id": "ZYW8827", "phone": "534534534"})
        assert response.status_code == 404

    def test_unknown_card_is_404(self, staff: Caller) -> None:
        response = staff.get("/v1/card-status", params={"card_id": "ZYW0000"})
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"

    @pytest.mark.parametrize(
        ("query", "field"),
        [({}, "card_id"), ({"phone": "9.71535E+11"}, "phone"), ({"card_id": "a b"}, "card_id")],
    )
    def test_neither_or_a_malformed_value_is_422(
        self, staff: Caller, query: dict[str, str], field: str
    ) -> None:
        response = staff.get("/v1/card-status", params=query)
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert field in [f["field"] for f in error["details"]["fields"]]


class TestLegacyCardStatus:
    def test_the_source_document_shape(self, staff: Caller) -> None:
        for name in SAMPLE_NAMES:
            upload_sample(staff, name)
        response = staff.get("/get_card_status", params={"card_id": "ZYW8827"})
        assert response.status_code == 200, response.text
        assert response.json() == {
            "card_id": "ZYW8827",
            "user_phone": "585949014",
            "status": "Delivered",
            "last_updated": "2023-11-13T09:34:56Z",
        }
        by_phone = staff.get("/get_card_status", params={"user_phone": "534534534"}).json()
        assert (by_phone["card_id"], by_phone["status"]) == ("ZYW8890", "Returned")

    def test_both_given_must_both_match(self, staff: Caller) -> None:
        upload_sample(staff, "pickup")
        matching = staff.get(
            "/get_card_status", params={"card_id": "ZYW8827", "user_phone": "585949014"}
        )
        assert matching.json()["status"] == "Picked Up"
        other = staff.get(
            "/get_card_status", params={"card_id": "ZYW8827", "user_phone": "534534534"}
        )
        assert other.status_code == 404

    def test_neither_is_422(self, staff: Caller) -> None:
        response = staff.get("/get_card_status")
        assert response.status_code == 422
        fields = [f["field"] for f in response.json()["error"]["details"]["fields"]]
        assert fields == ["card_id", "user_phone"]


class TestReimports:
    def test_the_same_file_twice_adds_nothing(self, staff: Caller, runtime: Runtime) -> None:
        first = upload_sample(staff, "pickup")
        changes = count_events(runtime, firm_id=DEFAULT_FIRM_ID, type=STATUS_CHANGED)
        again = upload_sample(staff, "pickup")
        assert (first["rows_imported"], first["rows_duplicate"]) == (3, 0)
        assert (again["rows_total"], again["rows_imported"], again["rows_duplicate"]) == (3, 0, 3)
        assert again["duplicate_of"] == first["id"]
        assert again["file_hash"] == first["file_hash"]
        assert count_events(runtime, firm_id=DEFAULT_FIRM_ID, type=STATUS_CHANGED) == changes
        history = card_status(staff, card_id="ZYW8827")["history"]
        assert len(history) == 1

    def test_an_overlapping_file_adds_only_its_new_rows(self, staff: Caller) -> None:
        upload_sample(staff, "pickup")
        # One row of the pickup file again (renumbered, another phone format), one new row.
        overlapping = csv_bytes(
            "9,ZYW8827,+971 58 594 9014,12-11-2023 11:59 PM,",
            "10,ZYW5555,585949014,13-11-2023 08:00,",
            header="ID,Card ID,User Mobile,Timestamp,Comment",
        )
        report = upload(staff, overlapping, "late pickups.csv").json()
        assert (report["rows_imported"], report["rows_duplicate"]) == (1, 1)

    def test_a_repeated_line_inside_a_file_counts_as_duplicate(self, staff: Caller) -> None:
        content = csv_bytes(
            "1,ZYW1001,585949014,12-11-2023 10:00,",
            "2,ZYW1001,585949014,12-11-2023 10:00,",
        )
        report = upload(staff, content, "pickup.csv").json()
        assert (report["rows_total"], report["rows_imported"], report["rows_duplicate"]) == (
            2,
            1,
            1,
        )


class TestStatusChangedEvents:
    def test_one_event_per_real_change_in_lifecycle_order(
        self, staff: Caller, runtime: Runtime
    ) -> None:
        for name in ("pickup", "exceptions", "delivered", "returned"):
            upload_sample(staff, name)
        changes = event_payloads(runtime, firm_id=DEFAULT_FIRM_ID, type=STATUS_CHANGED)
        by_card: dict[str, list[str]] = {}
        for change in changes:
            by_card.setdefault(change["card_id"], []).append(change["status"])
        assert by_card == {
            "ZYW8827": ["picked_up", "delivered"],
            "ZYW8890": ["picked_up", "delivery_exception", "returned"],
            "ZYW7631": ["picked_up", "delivery_exception", "delivered"],
        }
        delivered = next(
            c for c in changes if c["card_id"] == "ZYW8827" and c["status"] == "delivered"
        )
        assert delivered["previous_status"] == "picked_up"
        assert delivered["status_at"] == "2023-11-13T09:34:56Z"
        assert delivered["phone"] == "+971585949014"

    def test_files_in_reverse_change_each_card_once(self, staff: Caller, runtime: Runtime) -> None:
        for name in ("returned", "delivered", "exceptions", "pickup"):
            upload_sample(staff, name)
        changes = event_payloads(runtime, firm_id=DEFAULT_FIRM_ID, type=STATUS_CHANGED)
        # Final statuses arrive first; earlier pickups and exceptions change nothing.
        assert sorted((c["card_id"], c["status"]) for c in changes) == [
            ("ZYW7631", "delivered"),
            ("ZYW8827", "delivered"),
            ("ZYW8890", "returned"),
        ]

    def test_each_import_writes_one_completed_event(self, staff: Caller, runtime: Runtime) -> None:
        report = upload_sample(staff, "pickup")
        upload_sample(staff, "pickup")
        completed = event_payloads(runtime, firm_id=DEFAULT_FIRM_ID, type=IMPORT_COMPLETED)
        assert len(completed) == 2
        assert completed[0]["id"] == report["id"]
        assert (completed[0]["rows_imported"], completed[1]["rows_duplicate"]) == (3, 3)


class TestBrokenRows:
    def test_a_broken_row_in_the_middle_is_rejected_and_the_rest_imports(
        self, staff: Caller
    ) -> None:
        content = csv_bytes(
            "1,ZYW1001,585949014,12-11-2023 10:00,",
            "2,ZYW 1002,585949014,12-11-2023 10:00,",
            "3,ZYW1003,585949014,31-02-2023 10:00,",
            "4,ZYW1004,585949014,12-11-2023 10:00,",
        )
        response = upload(staff, content, "pickup.csv")
        assert response.status_code == 201, response.text
        report = response.json()
        assert (report["rows_total"], report["rows_imported"], report["rows_rejected"]) == (4, 2, 2)
        assert [e["row"] for e in report["errors"]] == [3, 4]
        assert "without spaces" in report["errors"][0]["message"]
        assert "does not exist" in report["errors"][1]["message"]
        assert card_status(staff, card_id="ZYW1004")["status"] == "picked_up"
        assert staff.get("/v1/card-status", params={"card_id": "ZYW1003"}).status_code == 404

    def test_every_rejected_line_is_kept_beyond_the_first_hundred(self, staff: Caller) -> None:
        lines = [f"{i},ZYW{i:04d},585949014,not a time," for i in range(150)]
        report = upload(staff, csv_bytes(*lines), "pickup.csv").json()
        assert report["rows_rejected"] == 150
        assert len(report["errors"]) == 100
        page = staff.get(
            f"/v1/deliveries/imports/{report['id']}/errors", params={"offset": 100, "limit": 100}
        ).json()
        assert page["total"] == 150
        assert [e["row"] for e in page["items"]] == list(range(102, 152))


class TestBadPhones:
    """A row whose phone is not a valid number still records the card's event (with a warning)."""

    def upload_with_bad_phones(self, staff: Caller) -> dict[str, Any]:
        content = csv_bytes(
            "1,ZYW1001,585949014,12-11-2023 10:00,",
            "2,TEST_ZYW1234,9.71535E+11,12-11-2023 10:00,",
            "3,ZYW1003,12,12-11-2023 11:00,",
        )
        response = upload(staff, content, "pickup.csv")
        assert response.status_code == 201, response.text
        return dict(response.json())

    def test_the_event_is_imported_and_the_phone_kept_with_a_warning(self, staff: Caller) -> None:
        report = self.upload_with_bad_phones(staff)
        assert (report["rows_total"], report["rows_imported"], report["rows_rejected"]) == (3, 3, 0)
        assert report["rows_warned"] == 2
        assert [w["row"] for w in report["warnings"]] == [3, 4]
        assert "scientific notation" in report["warnings"][0]["message"]
        assert report["errors"] == []
        page = staff.get(f"/v1/deliveries/imports/{report['id']}/warnings").json()
        assert page["total"] == 2
        assert page["items"] == report["warnings"]
        again = staff.get(f"/v1/deliveries/imports/{report['id']}").json()
        assert (again["rows_warned"], again["warnings"]) == (2, report["warnings"])

    def test_the_card_is_found_by_its_id_not_by_the_bad_phone(self, staff: Caller) -> None:
        self.upload_with_bad_phones(staff)
        found = card_status(staff, card_id="TEST_ZYW1234")
        assert (found["status"], found["phone"]) == ("picked_up", "9.71535E+11")
        assert card_status(staff, card_id="test_zyw1234")["card_id"] == "TEST_ZYW1234"
        legacy = staff.get("/get_card_status", params={"card_id": "TEST_ZYW1234"})
        assert legacy.status_code == 200, legacy.text
        assert legacy.json()["user_phone"] == "9.71535E+11"
        # The bad phone is not a phone to look up by; the good one finds only its own card.
        assert staff.get("/v1/card-status", params={"phone": "9.71535E+11"}).status_code == 422
        assert staff.get("/v1/card-status", params={"phone": "12"}).status_code == 422
        assert card_status(staff, phone="585949014")["card_id"] == "ZYW1001"

    def test_other_ids_are_refused_only_for_spaces_or_length(self, staff: Caller) -> None:
        response = staff.get("/v1/card-status", params={"card_id": "ZYW 1"})
        assert response.status_code == 422
        assert staff.get("/v1/card-status", params={"card_id": "A/1"}).status_code == 404


class TestRefusedFiles:
    def test_an_unknown_header_is_422_naming_the_expected_columns(self, staff: Caller) -> None:
        response = upload(staff, b"Name,Amount\r\nx,1\r\n", "pickup.csv")
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "unrecognised_header"
        assert "Card ID" in error["message"]
        assert error["details"]["expected"] == [
            "Card ID",
            "User Mobile, User contact, User Phone or Phone",
            "Timestamp",
        ]
        assert error["details"]["found"] == ["Name", "Amount"]

    def test_an_empty_file_is_422(self, staff: Caller) -> None:
        response = upload(staff, b"", "pickup.csv")
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "empty_file"

    def test_a_file_that_is_not_utf8_is_422(self, staff: Caller) -> None:
        content = csv_bytes("1,ZYW1001,585949014,12-11-2023 10:00,Zustellung").decode()
        response = upload(staff, content.encode("utf-16"), "pickup.csv")
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "unreadable_file"
        assert "UTF-8" in error["message"]

    def test_a_file_whose_kind_cannot_be_told_needs_the_kind(self, staff: Caller) -> None:
        content = sample_bytes("pickup")
        refused = upload(staff, content, "export.csv")
        assert refused.status_code == 422
        assert refused.json()["error"]["code"] == "undetermined_kind"
        accepted = upload(staff, content, "export.csv", kind="pickup")
        assert accepted.status_code == 201
        assert accepted.json()["kind"] == "pickup"

    def test_a_body_that_is_not_multipart_is_415(self, staff: Caller) -> None:
        response = staff.post("/v1/deliveries/imports", json={"file": "x"})
        assert response.status_code == 415
        assert response.json()["error"]["code"] == "unsupported_media_type"

    def test_an_unknown_kind_is_422(self, staff: Caller) -> None:
        response = upload(staff, sample_bytes("pickup"), "a.csv", kind="lost")
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "validation_error"


class TestUploadLimit:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"max_upload_bytes": 4096})

    def test_a_file_over_the_upload_limit_is_413(self, staff: Caller) -> None:
        lines = [f"{i},ZYW{i:04d},585949014,12-11-2023 10:00," for i in range(200)]
        content = csv_bytes(*lines)
        assert len(content) > 4096
        response = upload(staff, content, "pickup.csv")
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "payload_too_large"
        assert staff.get("/v1/deliveries/imports").json()["total"] == 0


class TestQueuedImports:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"delivery_sync_max_bytes": 100})

    def test_a_large_file_is_queued_then_processed_by_the_worker(
        self, staff: Caller, runtime: Runtime
    ) -> None:
        from tessera.worker.jobs import process_delivery_imports

        response = upload(staff, sample_bytes("pickup"), SAMPLE_NAMES["pickup"])
        assert response.status_code == 202, response.text
        queued = response.json()
        assert (queued["status"], queued["rows_total"]) == ("queued", 0)

        assert process_delivery_imports(runtime) == 1
        assert process_delivery_imports(runtime) == 0
        done = staff.get(f"/v1/deliveries/imports/{queued['id']}").json()
        assert (done["status"], done["rows_imported"]) == ("completed", 3)
        assert card_status(staff, card_id="ZYW8827")["status"] == "picked_up"

    def test_an_upload_abandoned_by_a_dead_worker_is_taken_over_after_its_lease(
        self, staff: Caller, runtime: Runtime
    ) -> None:
        from tessera.worker.jobs import process_delivery_imports

        queued = upload(staff, sample_bytes("pickup"), SAMPLE_NAMES["pickup"]).json()
        assert queued["status"] == "queued"
        # A worker claimed it and died: processing, with a heartbeat that stops renewing.
        with runtime.db.session_scope() as session:
            job = session.get(DeliveryImport, queued["id"])
            assert job is not None
            job.status = "processing"
            job.heartbeat_at = runtime.now()
        assert process_delivery_imports(runtime) == 0  # its lease still runs

        real_clock = runtime.clock
        runtime.clock = lambda: real_clock() + timedelta(seconds=LEASE_SECONDS + 1)
        assert process_delivery_imports(runtime) == 1
        done = staff.get(f"/v1/deliveries/imports/{queued['id']}").json()
        assert (done["status"], done["rows_imported"]) == ("completed", 3), done["failure"]


class TestImportReads:
    def test_list_and_get_reports(self, staff: Caller) -> None:
        first = upload_sample(staff, "pickup")
        second = upload_sample(staff, "returned")
        listed = staff.get("/v1/deliveries/imports").json()
        assert listed["total"] == 2
        assert [r["id"] for r in listed["items"]] == [second["id"], first["id"]]
        got = staff.get(f"/v1/deliveries/imports/{first['id']}").json()
        assert got["kind"] == "pickup"
        assert got["file_name"] == SAMPLE_NAMES["pickup"]
        assert (got["phone_region"], got["timezone"]) == ("AE", "Asia/Dubai")


class TestTenancy:
    def test_another_firms_imports_and_cards_are_invisible(self, api: Api, staff: Caller) -> None:
        report = upload_sample(staff, "pickup")
        firm = api.create_firm()
        outsider = api.staff(Role.FIRM_ADMIN, firm_id=firm.id)
        assert outsider.get(f"/v1/deliveries/imports/{report['id']}").status_code == 404
        assert outsider.get("/v1/deliveries/imports").json()["total"] == 0
        assert outsider.get("/v1/card-status", params={"card_id": "ZYW8827"}).status_code == 404
        assert outsider.get("/get_card_status", params={"card_id": "ZYW8827"}).status_code == 404

    def test_the_same_file_in_two_firms_is_imported_in_each(self, api: Api, staff: Caller) -> None:
        upload_sample(staff, "pickup")
        firm = api.create_firm()
        other = api.staff(Role.FIRM_ADMIN, firm_id=firm.id)
        assert upload_sample(other, "pickup")["rows_imported"] == 3


class TestScopes:
    def test_a_customer_cannot_import_or_read_imports(self, api: Api) -> None:
        customer = api.customer()
        response = upload(customer, sample_bytes("pickup"), SAMPLE_NAMES["pickup"])
        assert response.status_code == 403
        assert customer.get("/v1/deliveries/imports").status_code == 403

    def test_card_status_needs_a_token(self, api: Api, staff: Caller) -> None:
        # Who may see which card: tests/deliveries/test_card_status_access.py.
        upload_sample(staff, "pickup")
        anonymous = api.client.get("/v1/card-status", params={"card_id": "ZYW8827"})
        assert anonymous.status_code == 401


class TestDeliveryForReference:
    def test_the_cards_feature_gets_the_delivery_view(
        self, staff: Caller, runtime: Runtime
    ) -> None:
        for name in SAMPLE_NAMES:
            upload_sample(staff, name)
        with runtime.db.session_scope(write=False) as session:
            view = service.delivery_for_reference(
                session, firm_id=DEFAULT_FIRM_ID, reference="zyw7631"
            )
            unknown = service.delivery_for_reference(
                session, firm_id=DEFAULT_FIRM_ID, reference="ZYW0001"
            )
            elsewhere = service.delivery_for_reference(
                session, firm_id="firm_other", reference="ZYW7631"
            )
        assert view is not None
        assert (view.status, view.delivery_attempts) == ("delivered", 1)
        assert [h.event for h in view.history] == ["picked_up", "delivery_exception", "delivered"]
        assert unknown is None
        assert elsewhere is None
