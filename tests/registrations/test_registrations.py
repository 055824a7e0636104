"""Card registrations over HTTP: rules, duplicates, decisions, events, audit, CSV, idempotency."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tessera.cards.rules import month_end
from tessera.events import repository as events
from tessera.kit.card_numbers import luhn_check_digit, luhn_valid
from tessera.kit.idempotency import request_fingerprint
from tessera.registrations.service import CardSubmission
from tessera.runtime import Runtime
from tests.support.api import Api
from tests.support.cards import (
    AMEX,
    AMEX_CVV,
    CVV,
    DINERS,
    DISCOVER,
    FUTURE_MONTH_END,
    JCB,
    MAESTRO,
    MASTERCARD,
    MASTERCARD_2,
    UNIONPAY,
    VISA,
    VISA_2,
    card_data_in,
    register,
    registration_body,
)
from tests.support.firms import Tenant, create_tenant


def _event_types(runtime: Runtime, firm_id: str, type: str) -> list[dict[str, Any]]:
    with runtime.db.session_scope(write=False) as session:
        return [e.data for e in events.list_by_type(session, firm_id=firm_id, type=type)]


def _this_month() -> str:
    today = datetime.now(UTC).date()
    return f"{today.month:02d}/{today.year % 100:02d}"


def _last_month() -> str:
    first = datetime.now(UTC).date().replace(day=1) - timedelta(days=1)
    return f"{first.month:02d}/{first.year}"


class TestRegisterCard:
    def test_registers_a_pending_card_showing_only_the_masked_parts(self, api: Api) -> None:
        tenant = create_tenant(api)
        response = tenant.admin.post(
            "/v1/card-registrations",
            json={
                "card_number": "4111 1111-1111 1111",
                "expiry_date": "12/30",
                "cvv": CVV,
                "cardholder_name": "  Ada   Lovelace ",
                "external_ref": "crm-42",
            },
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["status"] == "pending"
        assert body["reason"] is None
        assert body["decided_at"] is None
        assert body["external_ref"] == "crm-42"
        card = body["card"]
        assert set(card) == {"token", "brand", "bin", "last4", "expiry", "cardholder_name"}
        assert card["brand"] == "visa"
        assert (card["bin"], card["last4"]) == ("411111", "1111")
        assert card["expiry"] == FUTURE_MONTH_END
        assert card["cardholder_name"] == "Ada Lovelace"
        assert card["token"].startswith("tok_")
        assert card_data_in(response.text, numbers=(VISA,), cvvs=(CVV,)) == []

    @pytest.mark.parametrize(
        ("written", "stored"),
        [
            ("02/28", "2028-02-29"),
            ("2/2029", "2029-02-28"),
            ("2031-04-05", "2031-04-30"),
            ("12 / 30", "2030-12-31"),
        ],
    )
    def test_expiry_formats_are_stored_as_the_last_day_of_the_month(
        self, api: Api, written: str, stored: str
    ) -> None:
        tenant = create_tenant(api)
        registration = register(tenant.admin, VISA, expiry_date=written)
        assert registration["card"]["expiry"] == stored

    def test_a_card_expiring_this_month_is_accepted(self, api: Api) -> None:
        tenant = create_tenant(api)
        registration = register(tenant.admin, VISA, expiry_date=_this_month())
        today = datetime.now(UTC).date()
        assert registration["card"]["expiry"] == month_end(today.year, today.month).isoformat()

    @pytest.mark.parametrize(
        ("number", "brand"),
        [
            (VISA, "visa"),
            (MASTERCARD, "mastercard"),
            (MASTERCARD_2, "mastercard"),
            (AMEX, "amex"),
            (DISCOVER, "discover"),
            (JCB, "jcb"),
            (DINERS, "diners"),
            (UNIONPAY, "unionpay"),
            (MAESTRO, "maestro"),
        ],
    )
    def test_every_brand_is_detected(self, api: Api, number: str, brand: str) -> None:
        tenant = create_tenant(api)
        assert register(tenant.admin, number)["card"]["brand"] == brand

    def test_the_cvv_is_optional(self, api: Api) -> None:
        tenant = create_tenant(api)
        assert register(tenant.admin, VISA, cvv=None)["status"] == "pending"

    def test_auto_approving_firm_approves_at_once_and_says_so_in_events_and_audit(
        self, api: Api, runtime: Runtime
    ) -> None:
        tenant = create_tenant(api, auto_approve_registrations=True)
        registration = register(tenant.admin, VISA)
        assert registration["status"] == "approved"
        assert registration["decided_at"] is not None
        created = _event_types(runtime, tenant.id, "card_registration.created")
        approved = _event_types(runtime, tenant.id, "card_registration.approved")
        assert [e["id"] for e in created] == [registration["id"]]
        assert [e["id"] for e in approved] == [registration["id"]]
        entries = tenant.admin.get("/v1/audit-events").json()["items"]
        auto = [e for e in entries if e["action"] == "card_registration.approved"]
        assert auto[0]["actor_type"] == "system"
        assert auto[0]["data"] == {"automatic": True}

    def test_writes_its_event_and_audit_entry(self, api: Api, runtime: Runtime) -> None:
        tenant = create_tenant(api)
        registration = register(tenant.admin, MASTERCARD)
        created = _event_types(runtime, tenant.id, "card_registration.created")
        assert created[0]["card"]["last4"] == "4444"
        assert created[0]["status"] == "pending"
        assert MASTERCARD not in str(created)
        entry = tenant.admin.get(
            "/v1/audit-events", params={"action": "card_registration.created"}
        ).json()["items"][0]
        assert entry["target_id"] == registration["id"]
        assert entry["actor_id"] == tenant.admin.user_id

    def test_a_machine_client_with_cards_write_registers(self, api: Api) -> None:
        tenant = create_tenant(api)
        client = tenant.client("cards:write", "cards:read")
        registration = register(client, VISA)
        assert client.get(f"/v1/card-registrations/{registration['id']}").status_code == 200

    def test_without_cards_write_is_403(self, api: Api) -> None:
        tenant = create_tenant(api)
        reader = tenant.client("cards:read")
        response = reader.post("/v1/card-registrations", json=registration_body(VISA))
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"


class TestRegistrationRules:
    @pytest.mark.parametrize(
        "number",
        [
            "4111111111111112",  # Luhn
            "411111111111111",  # 15 digits: not a Visa length (and not Luhn-valid either)
            "5555555555554",  # 13 digits for Mastercard (Luhn-valid prefix aside)
            "9111111111111111",  # no brand
            "4111-1111-1111-111a",  # letters
            "41111",  # too short
        ],
    )
    def test_invalid_card_number_is_422(self, api: Api, number: str) -> None:
        tenant = create_tenant(api)
        response = tenant.admin.post("/v1/card-registrations", json=registration_body(number))
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "invalid_card_number"
        assert number not in response.text

    def test_luhn_valid_number_of_the_wrong_length_for_its_brand_is_422(self, api: Api) -> None:
        tenant = create_tenant(api)
        # 17 digits, Luhn-valid, Mastercard prefix: Mastercard issues only 16.
        body = "5555555555555555"
        number = body + luhn_check_digit(body)
        assert luhn_valid(number)
        response = tenant.admin.post("/v1/card-registrations", json=registration_body(number))
        assert response.json()["error"]["code"] == "invalid_card_number"

    def test_expired_card_is_422_card_expired(self, api: Api) -> None:
        tenant = create_tenant(api)
        response = tenant.admin.post(
            "/v1/card-registrations", json=registration_body(VISA, expiry_date=_last_month())
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "card_expired"

    @pytest.mark.parametrize("expiry", ["13/30", "2030/12", "12-30", "", "2030-02-30", "tomorrow"])
    def test_malformed_expiry_is_a_validation_error(self, api: Api, expiry: str) -> None:
        tenant = create_tenant(api)
        response = tenant.admin.post(
            "/v1/card-registrations", json=registration_body(VISA, expiry_date=expiry)
        )
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert error["details"]["fields"][0]["field"] == "expiry_date"

    @pytest.mark.parametrize(
        ("number", "cvv"),
        [(VISA, "12"), (VISA, "1234"), (VISA, "12a"), (AMEX, CVV), (AMEX, "73737"), (VISA, "")],
    )
    def test_invalid_cvv_is_422(self, api: Api, number: str, cvv: str) -> None:
        tenant = create_tenant(api)
        response = tenant.admin.post(
            "/v1/card-registrations", json=registration_body(number, cvv=cvv)
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "invalid_cvv"

    def test_amex_takes_a_four_digit_cvv(self, api: Api) -> None:
        tenant = create_tenant(api)
        assert register(tenant.admin, AMEX, cvv=AMEX_CVV)["card"]["brand"] == "amex"

    @pytest.mark.parametrize("name", ["Al", "  Ab  ", "x" * 101])
    def test_bad_cardholder_name_is_a_validation_error(self, api: Api, name: str) -> None:
        tenant = create_tenant(api)
        response = tenant.admin.post(
            "/v1/card-registrations", json=registration_body(VISA, cardholder_name=name)
        )
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert error["details"]["fields"][0]["field"] == "cardholder_name"

    def test_missing_and_unknown_fields_are_validation_errors(self, api: Api) -> None:
        tenant = create_tenant(api)
        missing = tenant.admin.post("/v1/card-registrations", json={"card_number": VISA})
        assert missing.status_code == 422
        fields = {f["field"] for f in missing.json()["error"]["details"]["fields"]}
        assert fields == {"expiry_date", "cardholder_name"}
        assert VISA not in missing.text
        extra = tenant.admin.post(
            "/v1/card-registrations", json=registration_body(VISA, pin="1234")
        )
        assert extra.status_code == 422

    def test_malformed_json_is_400(self, api: Api) -> None:
        tenant = create_tenant(api)
        response = tenant.admin.post(
            "/v1/card-registrations",
            content=b'{"card_number": "4111111111111111", ',
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "malformed_request"
        assert VISA not in response.text


class TestDuplicates:
    def test_same_number_in_the_same_firm_is_409_naming_the_first(
        self, api: Api, runtime: Runtime
    ) -> None:
        tenant = create_tenant(api)
        first = register(tenant.admin, VISA)
        again = tenant.admin.post(
            "/v1/card-registrations", json=registration_body("4111-1111-1111-1111")
        )
        assert again.status_code == 409
        error = again.json()["error"]
        assert error["code"] == "card_already_registered"
        assert error["details"] == {"registration_id": first["id"]}
        # The refused request left nothing behind: one event, one vault row.
        assert len(_event_types(runtime, tenant.id, "card_registration.created")) == 1
        with runtime.db.engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT count(*) FROM vault_cards WHERE firm_id = :f"), {"f": tenant.id}
            ).scalar_one()
        assert rows == 1

    def test_approved_cards_are_duplicates_too(self, api: Api) -> None:
        tenant = create_tenant(api, auto_approve_registrations=True)
        first = register(tenant.admin, VISA)
        again = tenant.admin.post("/v1/card-registrations", json=registration_body(VISA))
        assert again.json()["error"]["details"]["registration_id"] == first["id"]

    def test_another_firm_may_register_the_same_number(self, api: Api) -> None:
        first, second = create_tenant(api), create_tenant(api)
        register(first.admin, VISA)
        assert register(second.admin, VISA)["status"] == "pending"

    def test_a_rejected_card_can_be_registered_again(self, api: Api) -> None:
        tenant = create_tenant(api)
        first = register(tenant.admin, VISA)
        tenant.admin.post(
            f"/v1/card-registrations/{first['id']}/reject", json={"reason": "blurred"}
        )
        second = register(tenant.admin, VISA)
        assert second["id"] != first["id"]
        assert second["card"]["token"] != first["card"]["token"]


class TestDecisions:
    def test_operator_approves_a_pending_registration(self, api: Api, runtime: Runtime) -> None:
        tenant = create_tenant(api)
        registration = register(tenant.admin, VISA)
        operator = tenant.staff("firm_operator")
        response = operator.post(f"/v1/card-registrations/{registration['id']}/approve")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "approved"
        assert body["decided_at"] is not None
        approved = _event_types(runtime, tenant.id, "card_registration.approved")
        assert [e["id"] for e in approved] == [registration["id"]]
        entry = tenant.admin.get(
            "/v1/audit-events", params={"action": "card_registration.approved"}
        ).json()["items"][0]
        assert entry["actor_id"] == operator.user_id

    def test_reject_needs_a_reason_and_records_it(self, api: Api, runtime: Runtime) -> None:
        tenant = create_tenant(api)
        registration = register(tenant.admin, VISA)
        url = f"/v1/card-registrations/{registration['id']}/reject"
        assert tenant.admin.post(url, json={}).status_code == 422
        assert tenant.admin.post(url, json={"reason": ""}).status_code == 422
        response = tenant.admin.post(url, json={"reason": "Name does not match"})
        assert response.status_code == 200
        assert response.json()["status"] == "rejected"
        assert response.json()["reason"] == "Name does not match"
        fetched = tenant.admin.get(f"/v1/card-registrations/{registration['id']}").json()
        assert fetched["reason"] == "Name does not match"
        rejected = _event_types(runtime, tenant.id, "card_registration.rejected")
        assert rejected[0]["reason"] == "Name does not match"

    @pytest.mark.parametrize("first", ["approve", "reject"])
    @pytest.mark.parametrize("second", ["approve", "reject"])
    def test_only_pending_registrations_can_be_decided(
        self, api: Api, first: str, second: str
    ) -> None:
        tenant = create_tenant(api)
        registration = register(tenant.admin, VISA)
        url = f"/v1/card-registrations/{registration['id']}"
        assert tenant.admin.post(f"{url}/{first}", json={"reason": "r"}).status_code == 200
        again = tenant.admin.post(f"{url}/{second}", json={"reason": "r"})
        assert again.status_code == 409
        error = again.json()["error"]
        assert error["code"] == "invalid_status_transition"
        assert error["details"]["current"] == ("approved" if first == "approve" else "rejected")

    def test_customers_cannot_decide_even_their_own(self, api: Api) -> None:
        tenant = create_tenant(api)
        customer = tenant.customer()
        registration = register(customer, VISA)
        assert registration["holder_id"] == customer.holder_id
        response = customer.post(f"/v1/card-registrations/{registration['id']}/approve")
        assert response.status_code == 403

    def test_unknown_registration_is_404(self, api: Api) -> None:
        tenant = create_tenant(api)
        assert tenant.admin.post("/v1/card-registrations/creg_nope/approve").status_code == 404
        assert tenant.admin.get("/v1/card-registrations/creg_nope").status_code == 404


class TestHolders:
    def test_staff_name_a_holder_of_their_firm(self, api: Api) -> None:
        tenant = create_tenant(api)
        customer = tenant.customer()
        registration = register(tenant.admin, VISA, holder_id=customer.holder_id)
        assert registration["holder_id"] == customer.holder_id
        assert customer.get(f"/v1/card-registrations/{registration['id']}").status_code == 200

    def test_a_holder_of_another_firm_is_404(self, api: Api) -> None:
        first, second = create_tenant(api), create_tenant(api)
        outsider = first.customer()
        response = second.admin.post(
            "/v1/card-registrations", json=registration_body(VISA, holder_id=outsider.holder_id)
        )
        assert response.status_code == 404

    def test_customers_see_only_their_own_registrations(self, api: Api) -> None:
        tenant = create_tenant(api)
        alice, bob = tenant.customer(), tenant.customer()
        mine = register(alice, VISA)
        theirs = register(bob, MASTERCARD)
        register(tenant.admin, VISA_2)
        listed = alice.get("/v1/card-registrations").json()
        assert [r["id"] for r in listed["items"]] == [mine["id"]]
        assert alice.get(f"/v1/card-registrations/{theirs['id']}").status_code == 404
        other = alice.post(
            "/v1/card-registrations", json=registration_body(AMEX, holder_id=bob.holder_id)
        )
        assert other.status_code == 403


class TestListRegistrations:
    def _three(self, api: Api, runtime: Runtime) -> tuple[Tenant, list[dict[str, Any]]]:
        tenant = create_tenant(api)
        made = []
        for day, number in ((1, VISA), (2, MASTERCARD), (3, AMEX)):
            runtime.clock = lambda day=day: datetime(2026, 11, day, 12, tzinfo=UTC)
            made.append(register(tenant.admin, number))
        runtime.clock = lambda: datetime(2026, 11, 4, 12, tzinfo=UTC)
        tenant.admin.post(f"/v1/card-registrations/{made[1]['id']}/approve")
        return tenant, made

    def test_filters_by_status_and_dates(self, api: Api, runtime: Runtime) -> None:
        tenant, made = self._three(api, runtime)
        everything = tenant.admin.get("/v1/card-registrations").json()
        assert [r["id"] for r in everything["items"]] == [m["id"] for m in reversed(made)]
        pending = tenant.admin.get("/v1/card-registrations", params={"status": "pending"}).json()
        assert {r["id"] for r in pending["items"]} == {made[0]["id"], made[2]["id"]}
        ranged = tenant.admin.get(
            "/v1/card-registrations", params={"from": "2026-11-02", "to": "2026-11-03"}
        ).json()
        assert {r["id"] for r in ranged["items"]} == {made[1]["id"], made[2]["id"]}
        page = tenant.admin.get("/v1/card-registrations", params={"limit": 1, "offset": 1}).json()
        assert (page["total"], page["limit"], page["offset"]) == (3, 1, 1)
        assert page["items"][0]["id"] == made[1]["id"]

    def test_bad_filters_are_422(self, api: Api) -> None:
        tenant = create_tenant(api)
        for params in (
            {"status": "maybe"},
            {"from": "yesterday"},
            {"from": "2026-11-05", "to": "2026-11-01"},
            {"limit": 0},
        ):
            response = tenant.admin.get("/v1/card-registrations", params=params)
            assert response.status_code == 422, params
            assert response.json()["error"]["code"] == "validation_error"

    def test_csv_report_is_masked_and_filtered(self, api: Api, runtime: Runtime) -> None:
        tenant, made = self._three(api, runtime)
        response = tenant.admin.get(
            "/v1/card-registrations",
            params={"status": "pending", "from": "2026-11-01"},
            headers={"Accept": "text/csv"},
        )
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert [r["id"] for r in rows] == [made[0]["id"], made[2]["id"]]
        assert rows[0]["masked_number"] == "411111******1111"
        assert rows[1]["masked_number"] == "378282*****0005"
        assert rows[0]["expiry"] == FUTURE_MONTH_END
        assert rows[0]["created_at"] == "2026-11-01T12:00:00Z"
        for number in (VISA, MASTERCARD, AMEX):
            assert number not in response.text

    def test_csv_defuses_formulas_in_names(self, api: Api) -> None:
        tenant = create_tenant(api)
        register(tenant.admin, VISA, cardholder_name="=HYPERLINK(evil)")
        text = tenant.admin.get("/v1/card-registrations", headers={"Accept": "text/csv"}).text
        row = next(csv.DictReader(io.StringIO(text)))
        assert row["cardholder_name"] == "'=HYPERLINK(evil)"


class TestIdempotentRegistration:
    def test_same_key_and_body_replays_without_a_duplicate(self, api: Api) -> None:
        tenant = create_tenant(api)
        headers = {"Idempotency-Key": "reg-1"}
        body = registration_body(VISA)
        first = tenant.admin.post("/v1/card-registrations", json=body, headers=headers)
        second = tenant.admin.post("/v1/card-registrations", json=body, headers=headers)
        assert first.status_code == second.status_code == 201
        assert second.headers["idempotent-replayed"] == "true"
        assert second.json() == first.json()
        different = tenant.admin.post(
            "/v1/card-registrations", json=registration_body(MASTERCARD), headers=headers
        )
        assert different.status_code == 409
        assert different.json()["error"]["code"] == "idempotency_key_reused"

    def test_the_stored_request_hash_is_not_a_plain_hash_of_the_card(
        self, api: Api, runtime: Runtime
    ) -> None:
        tenant = create_tenant(api)
        body = registration_body(VISA)
        tenant.admin.post("/v1/card-registrations", json=body, headers={"Idempotency-Key": "k"})
        with runtime.db.engine.connect() as conn:
            stored = conn.execute(
                sa.text("SELECT request_hash FROM idempotency_keys WHERE key = 'k'")
            ).scalar_one()
        naive = {**body, "holder_id": None, "external_ref": None}
        assert stored != request_fingerprint("POST", "/v1/card-registrations", naive)
        assert stored != request_fingerprint("POST", "/v1/card-registrations", body)


class TestSubmissionRepr:
    def test_the_number_and_cvv_stay_out_of_repr(self) -> None:
        submission = CardSubmission(
            card_number=VISA, expiry_date="12/30", cvv="987", cardholder_name="Ada Lovelace"
        )
        shown = repr(submission)
        assert VISA not in shown
        assert "987" not in shown
        assert "Ada Lovelace" in shown  # the rest is there to help whoever reads a traceback
