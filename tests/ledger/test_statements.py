"""Statements: the period filter, opening and closing balances, and CSV."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

from tessera.models.base import UTC
from tests.support.api import Api


def _at(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T12:00:00").replace(tzinfo=UTC)


class TestStatement:
    def test_period_filter_with_opening_and_closing_balances(self, api: Api) -> None:
        customer = api.customer()
        account = customer.open_account()
        for day, amount in (("2026-01-05", 1_000), ("2026-02-10", 200), ("2026-03-15", 30)):
            api.runtime.clock = lambda day=day: _at(day)
            customer.relogin()
            customer.deposit(account, amount)
        statement = customer.get(
            f"/v1/statements/{account}", params={"from": "2026-02-01", "to": "2026-02-28"}
        ).json()
        assert statement["from"] == "2026-02-01"
        assert statement["to"] == "2026-02-28"
        assert statement["opening_balance"] == 1_000
        assert statement["closing_balance"] == 1_200
        assert statement["total_credits"] == 200
        assert statement["total_debits"] == 0
        assert [t["amount"] for t in statement["transactions"]] == [200]
        assert statement["balance"] == 1_230

    def test_dates_are_inclusive(self, api: Api) -> None:
        customer = api.customer()
        account = customer.open_account()
        api.runtime.clock = lambda: _at("2026-04-30") + timedelta(hours=11, minutes=59)
        customer.relogin()
        customer.deposit(account, 5)
        statement = customer.get(
            f"/v1/statements/{account}", params={"from": "2026-04-30", "to": "2026-04-30"}
        ).json()
        assert len(statement["transactions"]) == 1

    def test_from_after_to_is_refused(self, api: Api) -> None:
        customer = api.customer()
        account = customer.open_account()
        response = customer.get(
            f"/v1/statements/{account}", params={"from": "2026-05-02", "to": "2026-05-01"}
        )
        assert response.status_code == 422
        assert response.json()["error"]["details"]["fields"][0]["field"] == "from"
        bad = customer.get(f"/v1/statements/{account}", params={"from": "yesterday"})
        assert bad.status_code == 422

    def test_csv_has_a_header_and_one_line_per_transaction(self, api: Api) -> None:
        customer = api.customer()
        account = customer.open_account("KWD")
        customer.deposit(account, 1_005, "KWD")
        customer.post(
            "/v1/transactions",
            json={
                "account_id": account,
                "type": "withdrawal",
                "amount": 5,
                "currency": "KWD",
                "description": '=HYPERLINK("http://evil")',
            },
        )
        response = customer.get(f"/v1/statements/{account}", headers={"Accept": "text/csv"})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert [r["type"] for r in rows] == ["deposit", "withdrawal"]
        assert rows[0]["amount_decimal"] == "1.005"
        assert rows[1]["balance_after"] == "1000"
        assert rows[1]["description"].startswith("'=")

    def test_csv_defuses_formulas_behind_whitespace_and_in_full_width(self, api: Api) -> None:
        customer = api.customer()
        account = customer.open_account()
        customer.deposit(account, 1_000)
        descriptions = [" =1+1", "\u00a0+1", "\u3000-1", "\uff1dHYPERLINK(x)", "\uff20SUM(A1)"]
        for description in descriptions:
            response = customer.post(
                "/v1/transactions",
                json={
                    "account_id": account,
                    "type": "withdrawal",
                    "amount": 1,
                    "currency": "USD",
                    "description": description,
                },
            )
            assert response.status_code == 201, response.text
        text = customer.get(f"/v1/statements/{account}", headers={"Accept": "text/csv"}).text
        rows = list(csv.DictReader(io.StringIO(text)))
        written = [r["description"] for r in rows if r["type"] == "withdrawal"]
        stored = [
            t["description"]
            for t in customer.get(f"/v1/statements/{account}").json()["transactions"]
            if t["type"] == "withdrawal"
        ]
        assert written == ["'" + d for d in stored]
        assert text.startswith('"id","created_at"')

    def test_another_customers_statement_is_not_found(self, api: Api) -> None:
        alice, bob = api.customer(), api.customer()
        account = alice.open_account()
        assert bob.get(f"/v1/statements/{account}").status_code == 404


class TestStatementCounterparty:
    def test_transfers_name_the_other_account_in_json_and_csv(self, api: Api) -> None:
        customer = api.customer()
        checking = customer.open_account()
        savings = customer.open_account(type="savings")
        customer.deposit(checking, 5_000)
        moved = customer.post(
            "/v1/transfers",
            json={
                "from_account_id": checking,
                "to_account_id": savings,
                "amount": 1_500,
                "currency": "USD",
            },
        )
        assert moved.status_code == 201, moved.text

        out = customer.get(f"/v1/statements/{checking}").json()["transactions"]
        assert [(t["type"], t["counterparty_account_id"]) for t in out] == [
            ("deposit", None),
            ("transfer_out", savings),
        ]
        into = customer.get(f"/v1/statements/{savings}").json()["transactions"]
        assert [(t["type"], t["counterparty_account_id"]) for t in into] == [
            ("transfer_in", checking)
        ]

        text = customer.get(f"/v1/statements/{checking}", headers={"Accept": "text/csv"}).text
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [r["counterparty_account_id"] for r in rows] == ["", savings]
