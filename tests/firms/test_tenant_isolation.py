"""Tenant isolation: for every endpoint of the cards issue, firm B using firm A's ids gets 404.

Firm B is tried as its firm admin (every scope) and as a machine client holding every scope it
can be given; afterwards firm A's objects are shown to be untouched.
"""

from __future__ import annotations

from typing import Any

from tests.support.api import PASSWORD, Api, Caller
from tests.support.cards import MASTERCARD, VISA, register, registration_body
from tests.support.firms import create_tenant, platform_admin

ALL_CLIENT_SCOPES = (
    "accounts:read",
    "accounts:write",
    "cards:read",
    "cards:write",
    "cards:reveal",
    "clients:manage",
    "audit:read",
)


def _firm_a_objects(api: Api) -> dict[str, Any]:
    admin = platform_admin(api)
    a = create_tenant(api, admin)
    b = create_tenant(api, admin)
    customer = a.customer()
    account = customer.open_account("USD")
    registration = register(a.admin, VISA, holder_id=customer.holder_id)
    card = a.admin.post("/v1/cards", json={"account_id": account, "type": "physical"}).json()
    operator = a.staff("firm_operator")
    client = a.admin.post(
        f"/v1/firms/{a.id}/clients", json={"name": "a", "scopes": ["cards:read"]}
    ).json()
    return {
        "a": a,
        "b": b,
        "holder": customer.holder_id,
        "account": account,
        "registration": registration["id"],
        "token": registration["card"]["token"],
        "card": card["id"],
        "card_token": card["token"],
        "operator": operator.user_id,
        "client": client["client_id"],
    }


def _requests(o: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    a, b = o["a"].id, o["b"].id
    return [
        ("GET", f"/v1/firms/{a}", {}),
        ("PATCH", f"/v1/firms/{a}", {"json": {"auto_approve_registrations": True}}),
        ("GET", f"/v1/firms/{a}/staff", {}),
        (
            "POST",
            f"/v1/firms/{a}/staff",
            {"json": {"email": "x@example.com", "role": "firm_admin", "password": PASSWORD}},
        ),
        ("DELETE", f"/v1/firms/{a}/staff/{o['operator']}", {}),
        ("DELETE", f"/v1/firms/{b}/staff/{o['operator']}", {}),
        ("GET", f"/v1/firms/{a}/clients", {}),
        ("POST", f"/v1/firms/{a}/clients", {"json": {"name": "x", "scopes": ["cards:read"]}}),
        ("DELETE", f"/v1/firms/{a}/clients/{o['client']}", {}),
        ("DELETE", f"/v1/firms/{b}/clients/{o['client']}", {}),
        ("GET", f"/v1/card-registrations/{o['registration']}", {}),
        ("POST", f"/v1/card-registrations/{o['registration']}/approve", {}),
        ("POST", f"/v1/card-registrations/{o['registration']}/reject", {"json": {"reason": "x"}}),
        (
            "POST",
            "/v1/card-registrations",
            {"json": registration_body(MASTERCARD, holder_id=o["holder"])},
        ),
        ("GET", f"/v1/vault/cards/{o['token']}", {}),
        ("POST", f"/v1/vault/cards/{o['token']}/reveal", {}),
        ("GET", f"/v1/vault/cards/{o['card_token']}", {}),
        ("POST", f"/v1/vault/cards/{o['card_token']}/reveal", {}),
        ("GET", f"/v1/cards/{o['card']}", {}),
        ("PATCH", f"/v1/cards/{o['card']}", {"json": {"status": "blocked"}}),
        ("POST", "/v1/cards", {"json": {"account_id": o["account"], "type": "virtual"}}),
        ("GET", f"/api/v1/credit-card/{VISA}", {}),
        ("GET", f"/status/{o['registration']}", {}),
    ]


def _assert_all_404(caller: Caller, o: dict[str, Any], *, skip: set[str] | None = None) -> None:
    for method, url, kwargs in _requests(o):
        if any(url.startswith(prefix) for prefix in skip or ()):
            continue
        response = caller.request(method, url, **kwargs)
        assert response.status_code == 404, (method, url, response.status_code, response.text)
        assert response.json()["error"]["code"] == "not_found"


def _assert_a_untouched(o: dict[str, Any]) -> None:
    a = o["a"]
    assert a.admin.get(f"/v1/card-registrations/{o['registration']}").json()["status"] == "pending"
    assert a.admin.get(f"/v1/cards/{o['card']}").json()["status"] == "active"
    assert a.admin.get(f"/v1/firms/{a.id}").json()["auto_approve_registrations"] is False
    clients = a.admin.get(f"/v1/firms/{a.id}/clients").json()["items"]
    assert [(c["client_id"], c["status"]) for c in clients] == [(o["client"], "active")]
    staff = {u["id"]: u["role"] for u in a.admin.get(f"/v1/firms/{a.id}/staff").json()["items"]}
    assert staff[o["operator"]] == "firm_operator"
    assert len(staff) == 2
    audit = a.admin.get("/v1/audit-events", params={"action": "vault.card_revealed"}).json()
    assert audit["total"] == 0


class TestTenantIsolation:
    def test_firm_bs_admin_gets_404_for_every_firm_a_object(self, api: Api) -> None:
        objects = _firm_a_objects(api)
        _assert_all_404(objects["b"].admin, objects)
        _assert_a_untouched(objects)

    def test_firm_bs_machine_client_gets_404_too(self, api: Api) -> None:
        objects = _firm_a_objects(api)
        client = objects["b"].client(*ALL_CLIENT_SCOPES)
        # Staff are managed by users only: on its own firm's staff route a client is refused
        # (403) before any id is looked at, so that one row says nothing about firm A.
        own_staff = f"/v1/firms/{objects['b'].id}/staff"
        _assert_all_404(client, objects, skip={own_staff})
        assert client.delete(f"{own_staff}/{objects['operator']}").status_code == 403
        _assert_a_untouched(objects)

    def test_lists_show_only_the_callers_firm(self, api: Api) -> None:
        objects = _firm_a_objects(api)
        b = objects["b"].admin
        register(b, MASTERCARD)
        for url in ("/v1/card-registrations", "/v1/cards", "/api/v1/credit-card"):
            items = b.get(url).json()["items"]
            assert objects["registration"] not in {i["id"] for i in items}, url
            assert objects["card"] not in {i["id"] for i in items}, url
        csv = b.get("/v1/card-registrations", headers={"Accept": "text/csv"}).text
        assert objects["registration"] not in csv
        assert objects["registration"] not in b.get("/v1/audit-events").text

    def test_firm_b_may_register_firm_as_card_as_its_own(self, api: Api) -> None:
        objects = _firm_a_objects(api)
        mine = register(objects["b"].admin, VISA)
        assert mine["id"] != objects["registration"]
        found = objects["b"].admin.get(f"/api/v1/credit-card/{VISA}").json()
        assert found["id"] == mine["id"]
