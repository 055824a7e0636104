"""Authorise, then lock: naming another firm's account never takes that account's row lock.

On PostgreSQL a money movement locks the rows of its accounts. If it locked before checking
that the caller may use them, anyone could stall another firm's money movements just by naming
their account ids. Here a transaction holds a victim's account row for a few seconds, as a
long transfer of theirs would; an outsider's transfers naming that account must be refused at
once instead of queueing behind the lock.
"""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from tessera.runtime import Runtime
from tests.support.api import Api

HOLD_SECONDS = 5.0


@pytest.mark.postgres_only
def test_a_refused_movement_waits_for_no_lock_on_the_account_it_names(
    api: Api, runtime: Runtime
) -> None:
    victim = api.customer()
    account = victim.open_account()
    victim.deposit(account, 100)
    api.create_firm("elsewhere")
    outsider = api.customer(firm="elsewhere")
    theirs = outsider.open_account()
    outsider.deposit(theirs, 100)

    locked = threading.Event()

    def hold_the_victims_row() -> None:
        with runtime.db.engine.connect() as connection:
            connection.execute(
                sa.text("SELECT id FROM accounts WHERE id = :id FOR UPDATE"), {"id": account}
            )
            locked.set()
            time.sleep(HOLD_SECONDS)
            connection.rollback()

    holder = threading.Thread(target=hold_the_victims_row)
    holder.start()
    try:
        assert locked.wait(10)
        started = time.monotonic()
        answers = [
            outsider.post(
                "/v1/transfers",
                json={
                    "from_account_id": source,
                    "to_account_id": target,
                    "amount": 10,
                    "currency": "USD",
                },
            )
            for source, target in ((account, theirs), (theirs, account))
        ]
        answers.append(
            outsider.post(
                "/v1/transactions",
                json={"account_id": account, "type": "withdrawal", "amount": 10, "currency": "USD"},
            )
        )
        waited = time.monotonic() - started
    finally:
        holder.join()
    assert [a.status_code for a in answers] == [404, 404, 404]
    # Refused without queueing behind the victim's lock (which a lock-first path waits out).
    assert waited < HOLD_SECONDS / 2, waited
    assert victim.balance(account) == 100
    assert outsider.balance(theirs) == 100
