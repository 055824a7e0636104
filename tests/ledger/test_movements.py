"""Deposits, withdrawals and transfers, and every error they can answer."""

from __future__ import annotations

import sqlalchemy as sa

from tessera.models import Role
from tests.support.api import Api, Caller


def _withdraw(customer: Caller, account: str, amount: int, currency: str = "USD") -> object:
    return customer.post(
        "/v1/transactions",
        json={"account_id": account, "type": "withdrawal", "amount": amount, "currency": currency},
    )


def _transfer(customer: Caller, source: str, target: str, amount: int, currency: str = "USD"):  # type: ignore[no-untyped-def]
    return customer.post(
        "/v1/transfers",
        json={
            "from_account_id": source,
            "to_account_id": target,
            "amount": amount,
            "currency": currency,
        },
    )


class TestDepositAndWithdraw:
    def test_deposit_and_withdrawal_update_the_balance(self, api: Api) -> None:
        customer = api.customer()
        account = customer.open_account()
        deposit = customer.deposit(account, 1_050)
        assert (deposit["type"], deposit["amount"], deposit["balance_after"]) == (
            "deposit",
            1_050,
            1_050,
        )
        response = _withdraw(customer, account, 50)
        assert response.status_code == 201  # type: ignore[attr-defined]
        assert response.json()["balance_after"] == 1_000  # type: ignore[attr-defined]
        assert customer.balance(account) == 1_000

    def test_withdrawal_beyond_the_balance_is_refused(self, api: Api) -> None:
        customer = api.customer()
        account = customer.open_account()
        customer.deposit(account, 100)
        response = _withdraw(customer, account, 101)
        assert response.status_code == 409  # type: ignore[attr-defined]
        assert response.json()["error"]["code"] == "insufficient_funds"  # type: ignore[attr-defined]
        assert customer.balance(account) == 100

    def test_currency_must_match_the_account(self, api: Api) -> None:
        customer = api.customer()
        account = customer.open_account("EUR")
        response = customer.post(
            "/v1/transactions",
            json={"account_id": account, "type": "deposit", "amount": 5, "currency": "USD"},
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "currency_mismatch"

    def test_frozen_and_closed_accounts_are_inactive(self, api: Api) -> None:
        customer = api.customer()
        account = customer.open_account()
        operator = api.staff(Role.FIRM_OPERATOR)
        operator.patch(f"/v1/accounts/{account}", json={"status": "frozen"})
        response = customer.post(
            "/v1/transactions",
            json={"account_id": account, "type": "deposit", "amount": 5, "currency": "USD"},
        )
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "account_inactive"

    def test_amounts_are_positive_integers(self, api: Api) -> None:
        customer = api.customer()
        account = customer.open_account()
        for amount in (0, -5, 10.5, "10", 10**16):
            response = customer.post(
                "/v1/transactions",
                json={
                    "account_id": account,
                    "type": "deposit",
                    "amount": amount,
                    "currency": "USD",
                },
            )
            assert response.status_code == 422, amount
            assert response.json()["error"]["details"]["fields"][0]["field"] == "amount"

    def test_another_customers_account_is_not_found(self, api: Api) -> None:
        alice, bob = api.customer(), api.customer()
        account = alice.open_account()
        response = bob.post(
            "/v1/transactions",
            json={"account_id": account, "type": "deposit", "amount": 5, "currency": "USD"},
        )
        assert response.status_code == 404

    def test_list_is_newest_first(self, api: Api) -> None:
        customer = api.customer()
        account = customer.open_account()
        first = customer.deposit(account, 1)["id"]
        second = customer.deposit(account, 2)["id"]
        page = customer.get("/v1/transactions", params={"account_id": account}).json()
        assert [t["id"] for t in page["items"]] == [second, first]
        assert page["total"] == 2
        missing = customer.get("/v1/transactions")
        assert missing.status_code == 422

    def test_kuwaiti_dinar_and_yen_keep_their_minor_units(self, api: Api) -> None:
        customer = api.customer()
        kwd = customer.open_account("KWD")
        jpy = customer.open_account("JPY")
        assert customer.deposit(kwd, 1_005, "KWD")["amount"] == 1_005  # 1.005 KWD
        assert customer.deposit(jpy, 1_005, "JPY")["amount"] == 1_005  # 1005 JPY


class TestTransfer:
    def test_moves_money_atomically_as_two_rows(self, api: Api) -> None:
        customer = api.customer()
        source, target = customer.open_account(), customer.open_account()
        customer.deposit(source, 1_000)
        response = _transfer(customer, source, target, 400)
        assert response.status_code == 201
        data = response.json()
        assert data["id"].startswith("tr_")
        with api.runtime.db.engine.connect() as conn:
            legs = conn.execute(
                sa.text(
                    "SELECT type, amount, account_id FROM transactions"
                    " WHERE transfer_id = :id ORDER BY type"
                ),
                {"id": data["id"]},
            ).all()
        assert [tuple(leg) for leg in legs] == [
            ("transfer_in", 400, target),
            ("transfer_out", 400, source),
        ]
        assert (customer.balance(source), customer.balance(target)) == (600, 400)
        assert customer.get(f"/v1/transfers/{data['id']}").json() == data

    def test_same_account_is_refused(self, api: Api) -> None:
        customer = api.customer()
        account = customer.open_account()
        response = _transfer(customer, account, account, 1)
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "same_account"

    def test_insufficient_funds_moves_nothing(self, api: Api) -> None:
        customer = api.customer()
        source, target = customer.open_account(), customer.open_account()
        customer.deposit(source, 10)
        response = _transfer(customer, source, target, 11)
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "insufficient_funds"
        assert (customer.balance(source), customer.balance(target)) == (10, 0)
        with api.runtime.db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM transfers")).scalar_one() == 0

    def test_currency_mismatch_on_either_side(self, api: Api) -> None:
        customer = api.customer()
        usd, eur = customer.open_account("USD"), customer.open_account("EUR")
        customer.deposit(usd, 100)
        for currency in ("USD", "EUR"):
            response = _transfer(customer, usd, eur, 10, currency)
            assert response.status_code == 422
            assert response.json()["error"]["code"] == "currency_mismatch"

    def test_inactive_destination_is_refused(self, api: Api) -> None:
        customer = api.customer()
        source, target = customer.open_account(), customer.open_account()
        customer.deposit(source, 100)
        customer.patch(f"/v1/accounts/{target}", json={"status": "closed"})
        response = _transfer(customer, source, target, 10)
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "account_inactive"
        assert customer.balance(source) == 100

    def test_to_another_customer_in_the_firm_but_not_from_them(self, api: Api) -> None:
        alice, bob = api.customer(), api.customer()
        mine, theirs = alice.open_account(), bob.open_account()
        alice.deposit(mine, 100)
        bob.deposit(theirs, 100)
        assert _transfer(alice, mine, theirs, 30).status_code == 201
        stolen = _transfer(alice, theirs, mine, 30)
        assert stolen.status_code == 404
        assert bob.balance(theirs) == 130

    def test_not_across_firms(self, api: Api) -> None:
        alice = api.customer()
        api.create_firm("elsewhere")
        outsider = api.customer(firm="elsewhere")
        mine, theirs = alice.open_account(), outsider.open_account()
        alice.deposit(mine, 100)
        response = _transfer(alice, mine, theirs, 10)
        assert response.status_code == 404
        assert alice.balance(mine) == 100

    def test_transfer_visibility(self, api: Api) -> None:
        alice, bob, carol = api.customer(), api.customer(), api.customer()
        mine, theirs = alice.open_account(), bob.open_account()
        alice.deposit(mine, 100)
        transfer_id = _transfer(alice, mine, theirs, 30).json()["id"]
        assert bob.get(f"/v1/transfers/{transfer_id}").status_code == 200
        assert carol.get(f"/v1/transfers/{transfer_id}").status_code == 404
        assert api.staff(Role.FIRM_OPERATOR).get(f"/v1/transfers/{transfer_id}").status_code == 200
