"""Cards issued on accounts: numbers in the firm's BIN range, statuses, events, audit."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from tessera.cards.rules import month_end
from tessera.events import repository as events
from tessera.kit.card_numbers import luhn_valid
from tessera.runtime import Runtime
from tests.support.api import Api, Caller
from tests.support.firms import Tenant, create_tenant


def _issue(caller: Caller, account_id: str, type: str = "virtual", **body: Any) -> dict[str, Any]:
    response = caller.post("/v1/cards", json={"account_id": account_id, "type": type, **body})
    assert response.status_code == 201, response.text
    return dict(response.json())


def _reveal(admin: Caller, card: dict[str, Any]) -> str:
    response = admin.post(f"/v1/vault/cards/{card['token']}/reveal")
    assert response.status_code == 200, response.text
    return str(response.json()["card_number"])


def _customer_with_account(tenant: Tenant) -> tuple[Caller, str]:
    customer = tenant.customer()
    return customer, customer.open_account("USD")


def _events(runtime: Runtime, firm_id: str, type: str) -> list[dict[str, Any]]:
    with runtime.db.session_scope(write=False) as session:
        return [e.data for e in events.list_by_type(session, firm_id=firm_id, type=type)]


class TestIssueCard:
    def test_issues_a_virtual_card_numbered_in_the_firms_bin_range(self, api: Api) -> None:
        tenant = create_tenant(api, issuing_bin="40001200", issuing_bin_end="40001203")
        customer, account = _customer_with_account(tenant)
        card = _issue(customer, account)
        assert card["type"] == "virtual"
        assert card["status"] == "active"
        assert card["reference"] is None
        assert card["delivery"] is None
        assert card["brand"] == "visa"
        assert card["account_id"] == account
        assert card["holder_id"] == customer.holder_id
        assert card["cardholder_name"] == "Ada Lovelace"
        today = datetime.now(UTC).date()
        assert card["expiry"] == month_end(today.year + 3, today.month).isoformat()
        number = _reveal(tenant.admin, card)
        assert len(number) == 16
        assert luhn_valid(number)
        assert number[:8] in {"40001200", "40001201", "40001202", "40001203"}
        assert number[-4:] == card["last4"]
        assert number not in str(card)

    def test_a_physical_card_gets_a_courier_reference(self, api: Api) -> None:
        tenant = create_tenant(api)
        customer, account = _customer_with_account(tenant)
        card = _issue(customer, account, "physical")
        assert re.fullmatch(r"TSR[0-9A-Z]{10}", card["reference"])
        again = _issue(customer, account, "physical")
        assert again["reference"] != card["reference"]
        fetched = customer.get(f"/v1/cards/{card['id']}").json()
        assert fetched["reference"] == card["reference"]
        assert fetched["delivery"] is None

    def test_numbers_are_unique_in_the_firm(self, api: Api) -> None:
        tenant = create_tenant(api, issuing_bin="51000000")
        _, account = _customer_with_account(tenant)
        cards = [_issue(tenant.admin, account) for _ in range(12)]
        numbers = {_reveal(tenant.admin, c) for c in cards}
        assert len(numbers) == 12
        assert all(n.startswith("51000000") for n in numbers)
        assert {c["brand"] for c in cards} == {"mastercard"}

    def test_a_given_cardholder_name_is_used_and_checked(self, api: Api) -> None:
        tenant = create_tenant(api)
        _, account = _customer_with_account(tenant)
        card = _issue(tenant.admin, account, cardholder_name=" Grace   Hopper ")
        assert card["cardholder_name"] == "Grace Hopper"
        short = tenant.admin.post(
            "/v1/cards", json={"account_id": account, "type": "virtual", "cardholder_name": "GH"}
        )
        assert short.status_code == 422
        assert short.json()["error"]["details"]["fields"][0]["field"] == "cardholder_name"

    def test_issuing_writes_the_event_and_audit_entry(self, api: Api, runtime: Runtime) -> None:
        tenant = create_tenant(api)
        customer, account = _customer_with_account(tenant)
        card = _issue(customer, account, "physical")
        issued = _events(runtime, tenant.id, "card.issued")
        assert [e["id"] for e in issued] == [card["id"]]
        assert issued[0]["reference"] == card["reference"]
        assert issued[0]["last4"] == card["last4"]
        entry = tenant.admin.get("/v1/audit-events", params={"action": "card.issued"}).json()
        assert entry["items"][0]["target_id"] == card["id"]

    def test_an_inactive_account_is_409(self, api: Api) -> None:
        tenant = create_tenant(api)
        _, account = _customer_with_account(tenant)
        tenant.admin.patch(f"/v1/accounts/{account}", json={"status": "frozen"})
        response = tenant.admin.post("/v1/cards", json={"account_id": account, "type": "virtual"})
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "account_inactive"

    def test_someone_elses_account_is_404(self, api: Api) -> None:
        tenant = create_tenant(api)
        _, account = _customer_with_account(tenant)
        other = tenant.customer()
        response = other.post("/v1/cards", json={"account_id": account, "type": "virtual"})
        assert response.status_code == 404

    def test_bad_bodies_are_422(self, api: Api) -> None:
        tenant = create_tenant(api)
        _, account = _customer_with_account(tenant)
        for body in (
            {"account_id": account, "type": "plastic"},
            {"account_id": account},
            {"type": "virtual"},
        ):
            response = tenant.admin.post("/v1/cards", json=body)
            assert response.status_code == 422, body
            assert response.json()["error"]["code"] == "validation_error"

    def test_the_same_idempotency_key_issues_one_card(self, api: Api) -> None:
        tenant = create_tenant(api)
        _, account = _customer_with_account(tenant)
        body = {"account_id": account, "type": "virtual"}
        headers = {"Idempotency-Key": "card-1"}
        first = tenant.admin.post("/v1/cards", json=body, headers=headers)
        second = tenant.admin.post("/v1/cards", json=body, headers=headers)
        assert second.headers["idempotent-replayed"] == "true"
        assert second.json()["id"] == first.json()["id"]
        assert tenant.admin.get("/v1/cards").json()["total"] == 1


class TestCardStatus:
    def _card(self, api: Api) -> tuple[Tenant, Caller, dict[str, Any]]:
        tenant = create_tenant(api)
        customer, account = _customer_with_account(tenant)
        return tenant, customer, _issue(customer, account)

    def test_block_unblock_close(self, api: Api, runtime: Runtime) -> None:
        tenant, _, card = self._card(api)
        url = f"/v1/cards/{card['id']}"
        for status in ("blocked", "active", "blocked", "closed"):
            response = tenant.admin.patch(url, json={"status": status})
            assert response.status_code == 200, response.text
            assert response.json()["status"] == status
        changes = _events(runtime, tenant.id, "card.status_changed")
        assert [(e["previous_status"], e["status"]) for e in changes] == [
            ("active", "blocked"),
            ("blocked", "active"),
            ("active", "blocked"),
            ("blocked", "closed"),
        ]
        entries = tenant.admin.get(
            "/v1/audit-events", params={"action": "card.status_changed"}
        ).json()
        assert entries["total"] == 4

    @pytest.mark.parametrize("target", ["active", "blocked"])
    def test_closed_is_final(self, api: Api, target: str) -> None:
        tenant, _, card = self._card(api)
        url = f"/v1/cards/{card['id']}"
        assert tenant.admin.patch(url, json={"status": "closed"}).status_code == 200
        response = tenant.admin.patch(url, json={"status": target})
        assert response.status_code == 409
        error = response.json()["error"]
        assert error["code"] == "invalid_status_transition"
        assert error["details"] == {"current": "closed", "requested": target}

    def test_setting_the_same_status_changes_nothing(self, api: Api, runtime: Runtime) -> None:
        tenant, _, card = self._card(api)
        response = tenant.admin.patch(f"/v1/cards/{card['id']}", json={"status": "active"})
        assert response.status_code == 200
        assert _events(runtime, tenant.id, "card.status_changed") == []

    def test_customers_block_and_close_but_do_not_unblock(self, api: Api) -> None:
        tenant, customer, card = self._card(api)
        url = f"/v1/cards/{card['id']}"
        assert customer.patch(url, json={"status": "blocked"}).status_code == 200
        assert customer.patch(url, json={"status": "active"}).status_code == 403
        assert tenant.admin.patch(url, json={"status": "active"}).status_code == 200
        assert customer.patch(url, json={"status": "closed"}).status_code == 200

    def test_an_unknown_status_is_422(self, api: Api) -> None:
        tenant, _, card = self._card(api)
        response = tenant.admin.patch(f"/v1/cards/{card['id']}", json={"status": "lost"})
        assert response.status_code == 422


class TestListCards:
    def test_customers_see_their_own_cards_and_staff_see_the_firms(self, api: Api) -> None:
        tenant = create_tenant(api)
        alice, alice_account = _customer_with_account(tenant)
        bob, bob_account = _customer_with_account(tenant)
        mine = _issue(alice, alice_account)
        theirs = _issue(bob, bob_account, "physical")
        assert [c["id"] for c in alice.get("/v1/cards").json()["items"]] == [mine["id"]]
        assert alice.get(f"/v1/cards/{theirs['id']}").status_code == 404
        everything = tenant.staff("firm_operator").get("/v1/cards").json()
        assert [c["id"] for c in everything["items"]] == [theirs["id"], mine["id"]]
        by_account = tenant.admin.get("/v1/cards", params={"account_id": bob_account}).json()
        assert [c["id"] for c in by_account["items"]] == [theirs["id"]]
        tenant.admin.patch(f"/v1/cards/{mine['id']}", json={"status": "blocked"})
        blocked = tenant.admin.get("/v1/cards", params={"status": "blocked"}).json()
        assert [c["id"] for c in blocked["items"]] == [mine["id"]]

    def test_unknown_card_is_404(self, api: Api) -> None:
        tenant = create_tenant(api)
        assert tenant.admin.get("/v1/cards/card_nope").status_code == 404
        assert (
            tenant.admin.patch("/v1/cards/card_nope", json={"status": "blocked"}).status_code == 404
        )


def _import_courier_file(admin: Caller, name: str, text: str) -> None:
    response = admin.post(
        "/v1/deliveries/imports", files={"file": (name, text.encode(), "text/csv")}
    )
    assert response.status_code == 201, response.text
    assert response.json()["rows_rejected"] == 0, response.text


class TestCardDelivery:
    def test_a_physical_card_shows_what_couriers_report(self, api: Api) -> None:
        tenant = create_tenant(api)
        customer, account = _customer_with_account(tenant)
        card = _issue(customer, account, "physical")
        virtual = _issue(customer, account)
        reference = card["reference"]
        _import_courier_file(
            tenant.admin,
            "Sample Card Status Info - Pickup.csv",
            f"ID,Card ID,User Mobile,Timestamp\r\n1,{reference},585949014,12-11-2023 11:59 PM",
        )
        _import_courier_file(
            tenant.admin,
            "Sample Card Status Info - Delivery exceptions.csv",
            f"ID ,Card ID,User contact,Timestamp,Comment\r\n"
            f'A1,{reference},"""0585949014""",13-11-2023 14:00,User not available',
        )
        _import_courier_file(
            tenant.admin,
            "Sample Card Status Info - Delivered.csv",
            f"ID ,Card ID,User contact,Timestamp,Comment\r\n"
            f'A2,{reference},"""0585949014""",2023-11-14T09:34:56Z,DELIVERED',
        )

        fetched = customer.get(f"/v1/cards/{card['id']}").json()
        assert fetched["delivery"] == {
            "status": "delivered",
            "status_at": "2023-11-14T09:34:56Z",
            "delivery_attempts": 1,
        }
        listed = {c["id"]: c for c in customer.get("/v1/cards").json()["items"]}
        assert listed[card["id"]]["delivery"]["status"] == "delivered"
        assert listed[virtual["id"]]["delivery"] is None
        blocked = customer.patch(f"/v1/cards/{card['id']}", json={"status": "blocked"}).json()
        assert blocked["delivery"]["status"] == "delivered"

    def test_another_firms_courier_files_do_not_leak_in(self, api: Api) -> None:
        ours = create_tenant(api)
        theirs = create_tenant(api)
        customer, account = _customer_with_account(ours)
        card = _issue(customer, account, "physical")
        _import_courier_file(
            theirs.admin,
            "Sample Card Status Info - Returned.csv",
            f"ID ,Card ID,User contact,Timestamp\r\nA9,{card['reference']},971534534534,"
            "14-11-2023 12:00PM",
        )
        assert customer.get(f"/v1/cards/{card['id']}").json()["delivery"] is None
