"""Account holders: a customer sees their own, staff see their firm's."""

from __future__ import annotations

from tessera.models import Role
from tests.support.api import Api


class TestListHolders:
    def test_customer_sees_only_themselves(self, api: Api) -> None:
        alice = api.customer()
        api.customer()
        page = alice.get("/v1/account-holders").json()
        assert page["total"] == 1
        assert [h["id"] for h in page["items"]] == [alice.holder_id]
        assert (page["limit"], page["offset"]) == (50, 0)

    def test_staff_see_their_firm_paginated_newest_first(self, api: Api) -> None:
        holders = [api.customer().holder_id for _ in range(3)]
        api.create_firm("elsewhere")
        api.customer(firm="elsewhere")
        operator = api.staff(Role.FIRM_OPERATOR)
        page = operator.get("/v1/account-holders", params={"limit": 2, "offset": 0}).json()
        assert page["total"] == 3
        assert [h["id"] for h in page["items"]] == holders[::-1][:2]
        rest = operator.get("/v1/account-holders", params={"limit": 2, "offset": 2}).json()
        assert [h["id"] for h in rest["items"]] == [holders[0]]

    def test_platform_admin_sees_every_firm(self, api: Api) -> None:
        api.customer()
        api.create_firm("elsewhere")
        api.customer(firm="elsewhere")
        admin = api.staff(Role.PLATFORM_ADMIN)
        assert admin.get("/v1/account-holders").json()["total"] == 2

    def test_pagination_bounds_are_validated(self, api: Api) -> None:
        customer = api.customer()
        for params in (
            {"limit": 0},
            {"limit": 201},
            {"offset": -1},
            {"offset": 10**12},
            {"limit": "x"},
        ):
            response = customer.get("/v1/account-holders", params=params)
            assert response.status_code == 422, params
            assert response.json()["error"]["code"] == "validation_error"


class TestGetHolder:
    def test_own_holder_and_not_another(self, api: Api) -> None:
        alice, bob = api.customer(), api.customer()
        mine = alice.get(f"/v1/account-holders/{alice.holder_id}")
        assert mine.status_code == 200
        assert mine.json()["first_name"] == "Ada"
        theirs = alice.get(f"/v1/account-holders/{bob.holder_id}")
        assert theirs.status_code == 404
        assert theirs.json()["error"]["code"] == "not_found"

    def test_other_firm_staff_get_not_found(self, api: Api) -> None:
        alice = api.customer()
        firm = api.create_firm("elsewhere")
        foreign_admin = api.staff(Role.FIRM_ADMIN, firm_id=firm.id)
        assert foreign_admin.get(f"/v1/account-holders/{alice.holder_id}").status_code == 404
