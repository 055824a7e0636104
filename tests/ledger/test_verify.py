"""`tessera ledger verify`: it passes on healthy books and names what breaks them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tessera.config import Settings
from tests.support.api import Api
from tests.support.processes import run_cli


class TestLedgerVerify:
    def test_passes_then_names_the_broken_account(self, api: Api, settings: Settings) -> None:
        customer = api.customer()
        source, target = customer.open_account(), customer.open_account()
        customer.deposit(source, 1_000)
        customer.post(
            "/v1/transfers",
            json={
                "from_account_id": source,
                "to_account_id": target,
                "amount": 300,
                "currency": "USD",
            },
        )
        healthy = run_cli(settings, "ledger", "verify")
        assert healthy.returncode == 0, healthy.stderr
        assert "2 accounts checked" in healthy.stdout

        with api.runtime.db.engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE accounts SET balance = balance + 5 WHERE id = :id"), {"id": target}
            )
        broken = run_cli(settings, "ledger", "verify")
        assert broken.returncode == 1
        assert f"account {target}: balance 305 != sum of its transactions 300" in broken.stdout
        assert "total balance 1005 != deposits minus withdrawals 1000" in broken.stdout

    def test_ledger_rows_are_append_only(self, api: Api) -> None:
        customer = api.customer()
        account = customer.open_account()
        customer.deposit(account, 10)
        for statement in ("UPDATE transactions SET amount = 1", "DELETE FROM transactions"):
            with (
                pytest.raises(sa.exc.DatabaseError, match="append-only"),
                api.runtime.db.engine.begin() as conn,
            ):
                conn.execute(sa.text(statement))
