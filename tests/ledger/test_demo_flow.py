"""The source document's demo flow: signup, login, two accounts, deposit, transfer, statements."""

from __future__ import annotations

from tests.support.api import Api


class TestDemoFlow:
    def test_deposit_then_transfer_shows_in_both_statements(self, api: Api) -> None:
        customer = api.customer()
        checking = customer.open_account("USD", "checking")
        savings = customer.open_account("USD", "savings")

        customer.deposit(checking, 10_000)
        transfer = customer.post(
            "/v1/transfers",
            json={
                "from_account_id": checking,
                "to_account_id": savings,
                "amount": 2_500,
                "currency": "USD",
                "description": "rent pot",
            },
        )
        assert transfer.status_code == 201, transfer.text

        first = customer.get(f"/v1/statements/{checking}").json()
        second = customer.get(f"/v1/statements/{savings}").json()
        assert first["balance"] == 7_500
        assert second["balance"] == 2_500
        assert [t["type"] for t in first["transactions"]] == ["deposit", "transfer_out"]
        assert [t["type"] for t in second["transactions"]] == ["transfer_in"]
        assert first["transactions"][1]["id"] == transfer.json()["debit_transaction_id"]
        assert second["transactions"][0]["id"] == transfer.json()["credit_transaction_id"]
        assert (first["total_credits"], first["total_debits"]) == (10_000, 2_500)
        assert first["closing_balance"] == 7_500
