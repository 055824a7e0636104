"""Who may read a card's delivery status: customers their own cards, staff and clients by phone.

The phone on a customer's profile is never verified, so it proves nothing: anyone can sign up
with someone else's number. A customer therefore looks up only the cards issued to them, by
card id; looking up by phone is for the firm's staff and its machine clients.
"""

from __future__ import annotations

from typing import Any

from tessera.models import DEFAULT_FIRM_ID
from tests.support.api import Api, Caller
from tests.support.deliveries import csv_bytes, upload, upload_sample
from tests.support.firms import machine_client

VICTIM_PHONE = "+971585949014"  # ZYW8827's phone in the pickup sample


def physical_card(customer: Caller) -> str:
    """Issue a physical card to ``customer``; return the reference couriers know it by."""
    account = customer.open_account()
    response = customer.post("/v1/cards", json={"account_id": account, "type": "physical"})
    assert response.status_code == 201, response.text
    return str(response.json()["reference"])


def picked_up(staff: Caller, reference: str, phone: str) -> None:
    """Import a courier file saying ``reference`` was picked up."""
    content = csv_bytes(
        f"1,{reference},{phone},12-11-2023 11:59 PM,", header="ID,Card ID,User Mobile,Timestamp"
    )
    response = upload(staff, content, "pickup.csv")
    assert response.status_code == 201, response.text
    assert response.json()["rows_imported"] == 1, response.text


def answer(caller: Caller, path: str, **query: str) -> tuple[int, dict[str, Any]]:
    response = caller.get(path, params=query)
    return response.status_code, dict(response.json())


class TestCustomerLookups:
    def test_signing_up_with_a_victims_phone_shows_none_of_their_cards(
        self, api: Api, staff: Caller
    ) -> None:
        upload_sample(staff, "pickup")
        attacker = api.customer(phone=VICTIM_PHONE)

        by_phone = answer(attacker, "/v1/card-status", phone="0585949014")
        legacy_by_phone = answer(attacker, "/get_card_status", user_phone="585949014")
        by_card = answer(attacker, "/v1/card-status", card_id="ZYW8827")
        legacy_by_card = answer(attacker, "/get_card_status", card_id="ZYW8827")
        both = answer(attacker, "/get_card_status", card_id="ZYW8827", user_phone="585949014")

        assert by_phone[0] == legacy_by_phone[0] == both[0] == 403
        assert by_phone[1]["error"]["code"] == "forbidden"
        assert legacy_by_phone[1]["error"]["details"] == {"parameter": "user_phone"}
        assert by_card[0] == legacy_by_card[0] == 404
        for status, body in (by_phone, legacy_by_phone, by_card, legacy_by_card, both):
            assert "ZYW8827" not in str(body), status
            assert "585949014" not in str(body), status

    def test_a_customer_sees_the_delivery_of_a_card_issued_to_them(
        self, api: Api, staff: Caller
    ) -> None:
        owner = api.customer()
        reference = physical_card(owner)
        picked_up(staff, reference, "0585949014")
        other = api.customer(phone="0585949014")

        status, body = answer(owner, "/v1/card-status", card_id=reference.lower())
        legacy_status, legacy = answer(owner, "/get_card_status", card_id=reference)

        assert (status, body["card_id"], body["status"]) == (200, reference, "picked_up")
        assert [h["event"] for h in body["history"]] == ["picked_up"]
        assert (legacy_status, legacy["status"]) == (200, "Picked Up")
        assert answer(other, "/v1/card-status", card_id=reference)[0] == 404
        assert answer(other, "/get_card_status", card_id=reference)[0] == 404


class TestStaffAndClientLookups:
    def test_staff_and_clients_with_deliveries_read_look_up_by_phone(
        self, api: Api, staff: Caller
    ) -> None:
        upload_sample(staff, "pickup")
        reader = machine_client(staff, DEFAULT_FIRM_ID, ["deliveries:read"])
        outsider = machine_client(staff, DEFAULT_FIRM_ID, ["cards:read"])

        for caller in (staff, reader):
            status, body = answer(caller, "/v1/card-status", phone="0585949014")
            assert (status, body["card_id"]) == (200, "ZYW8827")
            status, body = answer(caller, "/get_card_status", user_phone="585949014")
            assert (status, body["card_id"]) == (200, "ZYW8827")
        assert answer(outsider, "/v1/card-status", phone="0585949014")[0] == 403
        assert answer(outsider, "/get_card_status", user_phone="585949014")[0] == 403
