"""Accounts: open, list, read, freeze, unfreeze and close."""

from __future__ import annotations

from tessera.models import Role
from tests.support.api import Api


class TestCreateAccount:
    def test_customer_opens_their_own_account(self, api: Api) -> None:
        customer = api.customer()
        response = customer.post("/v1/accounts", json={"type": "savings", "currency": "jpy"})
        assert response.status_code == 201
        data = response.json()
        assert data["holder_id"] == customer.holder_id
        assert (data["type"], data["currency"], data["balance"], data["status"]) == (
            "savings",
            "JPY",
            0,
            "active",
        )
        assert data["id"].startswith("acc_")

    def test_customer_cannot_open_for_someone_else(self, api: Api) -> None:
        alice, bob = api.customer(), api.customer()
        response = alice.post(
            "/v1/accounts", json={"type": "checking", "currency": "USD", "holder_id": bob.holder_id}
        )
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"

    def test_staff_name_the_holder_of_their_firm(self, api: Api) -> None:
        customer = api.customer()
        operator = api.staff(Role.FIRM_OPERATOR)
        missing = operator.post("/v1/accounts", json={"type": "checking", "currency": "USD"})
        assert missing.status_code == 422
        response = operator.post(
            "/v1/accounts",
            json={"type": "checking", "currency": "USD", "holder_id": customer.holder_id},
        )
        assert response.status_code == 201
        assert customer.get(f"/v1/accounts/{response.json()['id']}").status_code == 200

    def test_staff_of_another_firm_cannot_use_the_holder(self, api: Api) -> None:
        customer = api.customer()
        firm = api.create_firm("elsewhere")
        foreign = api.staff(Role.FIRM_ADMIN, firm_id=firm.id)
        response = foreign.post(
            "/v1/accounts",
            json={"type": "checking", "currency": "USD", "holder_id": customer.holder_id},
        )
        assert response.status_code == 404

    def test_currency_and_type_are_validated(self, api: Api) -> None:
        customer = api.customer()
        for body in (
            {"type": "checking", "currency": "ZZZ"},
            {"type": "checking", "currency": "XAU"},
            {"type": "brokerage", "currency": "USD"},
            {"type": "checking"},
        ):
            response = customer.post("/v1/accounts", json=body)
            assert response.status_code == 422, body
            assert response.json()["error"]["code"] == "validation_error"

    def test_emits_account_created(self, api: Api) -> None:
        import sqlalchemy as sa

        customer = api.customer()
        account = customer.open_account()
        with api.runtime.db.engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT data FROM events WHERE type = 'account.created'")
            ).all()
        assert len(rows) == 1
        assert account in str(rows[0][0])


class TestReadAccounts:
    def test_second_customer_gets_not_found(self, api: Api) -> None:
        alice, bob = api.customer(), api.customer()
        account = alice.open_account()
        response = bob.get(f"/v1/accounts/{account}")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
        assert bob.get("/v1/accounts").json()["total"] == 0

    def test_list_is_newest_first_with_balances(self, api: Api) -> None:
        customer = api.customer()
        first = customer.open_account()
        second = customer.open_account("EUR")
        customer.deposit(first, 1234)
        page = customer.get("/v1/accounts").json()
        assert [a["id"] for a in page["items"]] == [second, first]
        assert page["items"][1]["balance"] == 1234


class TestChangeAccountStatus:
    def test_staff_freeze_and_unfreeze(self, api: Api) -> None:
        customer = api.customer()
        account = customer.open_account()
        operator = api.staff(Role.FIRM_OPERATOR)
        frozen = operator.patch(f"/v1/accounts/{account}", json={"status": "frozen"})
        assert frozen.status_code == 200
        assert frozen.json()["status"] == "frozen"
        active = operator.patch(f"/v1/accounts/{account}", json={"status": "active"})
        assert active.json()["status"] == "active"

    def test_customer_may_close_but_not_freeze(self, api: Api) -> None:
        customer = api.customer()
        account = customer.open_account()
        assert (
            customer.patch(f"/v1/accounts/{account}", json={"status": "frozen"}).status_code == 403
        )
        closed = customer.patch(f"/v1/accounts/{account}", json={"status": "closed"})
        assert closed.status_code == 200
        assert closed.json()["status"] == "closed"

    def test_closing_needs_a_zero_balance(self, api: Api) -> None:
        customer = api.customer()
        account = customer.open_account()
        customer.deposit(account, 10)
        response = customer.patch(f"/v1/accounts/{account}", json={"status": "closed"})
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "invalid_status_transition"
        assert response.json()["error"]["details"]["balance"] == 10

    def test_closed_is_final(self, api: Api) -> None:
        customer = api.customer()
        account = customer.open_account()
        operator = api.staff(Role.FIRM_OPERATOR)
        assert (
            operator.patch(f"/v1/accounts/{account}", json={"status": "closed"}).status_code == 200
        )
        reopen = operator.patch(f"/v1/accounts/{account}", json={"status": "active"})
        assert reopen.status_code == 409
        assert reopen.json()["error"]["details"] == {"current": "closed", "requested": "active"}

    def test_unknown_status_is_a_validation_error(self, api: Api) -> None:
        customer = api.customer()
        account = customer.open_account()
        response = customer.patch(f"/v1/accounts/{account}", json={"status": "deleted"})
        assert response.status_code == 422


class TestAccountNames:
    def test_a_customer_names_an_account_and_clears_the_name(self, api: Api) -> None:
        customer = api.customer()
        account = customer.open_account()
        assert customer.get(f"/v1/accounts/{account}").json()["name"] is None

        renamed = customer.patch(f"/v1/accounts/{account}", json={"name": "  Rent money "})
        assert renamed.status_code == 200, renamed.text
        assert renamed.json()["name"] == "Rent money"
        assert renamed.json()["status"] == "active"
        assert customer.get("/v1/accounts").json()["items"][0]["name"] == "Rent money"

        cleared = customer.patch(f"/v1/accounts/{account}", json={"name": None})
        assert cleared.json()["name"] is None

    def test_another_customer_cannot_rename_it(self, api: Api) -> None:
        account = api.customer().open_account()
        other = api.customer()
        answer = other.patch(f"/v1/accounts/{account}", json={"name": "Mine now"})
        assert answer.status_code == 404

    def test_names_are_checked(self, api: Api) -> None:
        customer = api.customer()
        account = customer.open_account()
        for body in ({"name": ""}, {"name": "x" * 61}, {}, {"status": None}):
            answer = customer.patch(f"/v1/accounts/{account}", json=body)
            assert answer.status_code == 422, body

    def test_every_account_has_a_four_digit_number_that_stays_the_same(self, api: Api) -> None:
        customer = api.customer()
        first = customer.open_account()
        read = customer.get(f"/v1/accounts/{first}").json()
        assert len(read["number"]) == 4
        assert read["number"].isdigit()
        assert customer.get("/v1/accounts").json()["items"][0]["number"] == read["number"]
