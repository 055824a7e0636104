"""The outbox guarantee for every event the banking core emits: the event is written in the
same transaction as its change, so a change that fails (or rolls back) leaves no event and a
committed change has exactly one."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tessera.accounts import service as accounts
from tessera.accounts.domain import AccountType
from tessera.auth import service as auth
from tessera.events.types import EventType
from tessera.ledger import service as ledger
from tessera.ledger.domain import MovementType
from tessera.models import Account, Event, LedgerTransaction, Role, Transfer, User
from tessera.principal import ROLE_SCOPES, Principal
from tessera.runtime import Runtime
from tests.support.api import Api, Caller
from tests.support.matching import TIMESTAMP, an_id


class Abort(Exception):
    """Raised inside a transaction to make it roll back after the change was made."""


def events(runtime: Runtime, type: EventType) -> list[Event]:
    with runtime.db.session_scope(write=False) as session:
        return list(
            session.scalars(sa.select(Event).where(Event.type == type.value).order_by(Event.id))
        )


def count(runtime: Runtime, model: type[object]) -> int:
    with runtime.db.session_scope(write=False) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(model)) or 0  # type: ignore[arg-type]


def principal_of(caller: Caller) -> Principal:
    return Principal(
        kind="user",
        id=caller.user_id,
        firm_id=caller.firm_id,
        role=Role.CUSTOMER,
        scopes=ROLE_SCOPES[Role.CUSTOMER],
        holder_id=caller.holder_id,
        email=caller.email,
    )


def change_then_roll_back(
    runtime: Runtime, type: EventType, change: Callable[[Session], object]
) -> None:
    """Make the change in a transaction, see its event inside it, then roll it all back."""
    before = len(events(runtime, type))
    seen_inside: list[int] = []

    def change_and_abort() -> None:
        with runtime.db.session_scope() as session:
            change(session)
            session.flush()
            seen_inside.append(
                session.scalar(
                    sa.select(sa.func.count()).select_from(Event).where(Event.type == type.value)
                )
                or 0
            )
            raise Abort

    with pytest.raises(Abort):
        change_and_abort()
    assert seen_inside == [before + 1]
    assert len(events(runtime, type)) == before


class TestAccountCreated:
    def test_a_committed_account_has_exactly_one_event(self, api: Api) -> None:
        customer = api.customer()
        account_id = customer.open_account()
        (event,) = events(api.runtime, EventType.ACCOUNT_CREATED)
        assert event.firm_id == customer.firm_id
        assert event.data == {
            "id": account_id,
            "holder_id": customer.holder_id,
            "type": "checking",
            "currency": "USD",
            "balance": 0,
            "status": "active",
            "created_at": TIMESTAMP,
        }

    def test_a_refused_account_leaves_no_event(self, api: Api) -> None:
        customer = api.customer()
        response = customer.post("/v1/accounts", json={"type": "checking", "currency": "ZZZ"})
        assert response.status_code == 422
        assert events(api.runtime, EventType.ACCOUNT_CREATED) == []
        assert count(api.runtime, Account) == 0

    def test_a_rolled_back_account_takes_its_event_with_it(self, api: Api) -> None:
        customer = api.customer()
        change_then_roll_back(
            api.runtime,
            EventType.ACCOUNT_CREATED,
            lambda session: accounts.create_account(
                session,
                principal=principal_of(customer),
                type=AccountType.CHECKING,
                currency="USD",
                holder_id=None,
                now=api.runtime.now(),
            ),
        )
        assert count(api.runtime, Account) == 0


class TestTransactionCreated:
    def test_a_committed_deposit_has_exactly_one_event_even_when_replayed(self, api: Api) -> None:
        customer = api.customer()
        account = customer.open_account()
        body = {"account_id": account, "type": "deposit", "amount": 700, "currency": "USD"}
        for _ in range(2):
            response = customer.post(
                "/v1/transactions", json=body, headers={"Idempotency-Key": "dep-1"}
            )
            assert response.status_code == 201
        (event,) = events(api.runtime, EventType.TRANSACTION_CREATED)
        assert event.firm_id == customer.firm_id
        assert event.data == {
            "id": response.json()["id"],
            "account_id": account,
            "type": "deposit",
            "amount": 700,
            "currency": "USD",
            "balance_after": 700,
            "description": None,
            "created_at": TIMESTAMP,
        }
        assert count(api.runtime, LedgerTransaction) == 1

    def test_a_refused_withdrawal_leaves_no_event(self, api: Api) -> None:
        customer = api.customer()
        account = customer.open_account()
        response = customer.post(
            "/v1/transactions",
            json={"account_id": account, "type": "withdrawal", "amount": 1, "currency": "USD"},
        )
        assert response.status_code == 409
        assert events(api.runtime, EventType.TRANSACTION_CREATED) == []
        assert count(api.runtime, LedgerTransaction) == 0

    def test_a_rolled_back_deposit_takes_its_event_with_it(self, api: Api) -> None:
        customer = api.customer()
        account = customer.open_account()
        change_then_roll_back(
            api.runtime,
            EventType.TRANSACTION_CREATED,
            lambda session: ledger.post_movement(
                session,
                principal=principal_of(customer),
                account_id=account,
                type=MovementType.DEPOSIT,
                amount=100,
                currency="USD",
                description=None,
                now=api.runtime.now(),
            ),
        )
        assert count(api.runtime, LedgerTransaction) == 0
        assert customer.balance(account) == 0


class TestTransferCompleted:
    def test_a_committed_transfer_has_exactly_one_event(self, api: Api) -> None:
        customer = api.customer()
        source, target = customer.open_account(), customer.open_account()
        customer.deposit(source, 1_000)
        response = customer.post(
            "/v1/transfers",
            json={
                "from_account_id": source,
                "to_account_id": target,
                "amount": 400,
                "currency": "USD",
            },
        )
        assert response.status_code == 201
        (event,) = events(api.runtime, EventType.TRANSFER_COMPLETED)
        assert event.firm_id == customer.firm_id
        assert event.data == {
            "id": response.json()["id"],
            "from_account_id": source,
            "to_account_id": target,
            "amount": 400,
            "currency": "USD",
            "description": None,
            "created_at": TIMESTAMP,
            "debit_transaction_id": an_id("txn"),
            "credit_transaction_id": an_id("txn"),
        }
        assert event.data["debit_transaction_id"] != event.data["credit_transaction_id"]
        assert count(api.runtime, Transfer) == 1

    def test_a_refused_transfer_leaves_no_event(self, api: Api) -> None:
        customer = api.customer()
        source, target = customer.open_account(), customer.open_account()
        response = customer.post(
            "/v1/transfers",
            json={
                "from_account_id": source,
                "to_account_id": target,
                "amount": 1,
                "currency": "USD",
            },
        )
        assert response.status_code == 409
        assert events(api.runtime, EventType.TRANSFER_COMPLETED) == []
        assert count(api.runtime, Transfer) == 0

    def test_in_a_batch_only_the_transfer_that_succeeded_has_an_event(self, api: Api) -> None:
        customer = api.customer()
        source, target = customer.open_account(), customer.open_account()
        customer.deposit(source, 500)
        principal = principal_of(customer)
        requests = [
            ledger.TransferRequest(principal, source, target, 300, "USD"),
            ledger.TransferRequest(principal, source, target, 300, "USD"),  # now too large
        ]
        with api.runtime.db.session_scope() as session:
            batch = ledger.apply_transfers(session, requests, now=api.runtime.now())
            done = batch.results[0]
            assert isinstance(done, ledger.TransferDone)
            done_id = done.id
        assert isinstance(batch.results[1], Exception)
        (event,) = events(api.runtime, EventType.TRANSFER_COMPLETED)
        assert event.data == {
            "id": done_id,
            "from_account_id": source,
            "to_account_id": target,
            "amount": 300,
            "currency": "USD",
            "description": None,
            "created_at": TIMESTAMP,
            "debit_transaction_id": an_id("txn"),
            "credit_transaction_id": an_id("txn"),
        }
        assert count(api.runtime, Transfer) == 1

    def test_a_rolled_back_transfer_takes_its_event_with_it(self, api: Api) -> None:
        customer = api.customer()
        source, target = customer.open_account(), customer.open_account()
        customer.deposit(source, 500)
        request = ledger.TransferRequest(principal_of(customer), source, target, 200, "USD")
        change_then_roll_back(
            api.runtime,
            EventType.TRANSFER_COMPLETED,
            lambda session: ledger.transfer_funds(session, request, now=api.runtime.now()),
        )
        assert count(api.runtime, Transfer) == 0
        assert customer.balance(source) == 500


class TestUserDeleted:
    def test_a_committed_deletion_has_exactly_one_event(self, api: Api) -> None:
        customer = api.customer()
        customer.open_account()
        response = customer.delete(f"/v1/users/{customer.user_id}")
        assert response.status_code == 204
        (event,) = events(api.runtime, EventType.USER_DELETED)
        assert event.firm_id == customer.firm_id
        # No personal data in the event: the id and when, nothing else.
        assert event.data == {"id": customer.user_id, "deleted_at": TIMESTAMP}

    def test_a_refused_deletion_leaves_no_event(self, api: Api) -> None:
        customer = api.customer()
        customer.deposit(customer.open_account(), 100)
        response = customer.delete(f"/v1/users/{customer.user_id}")
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "accounts_not_closed"
        assert events(api.runtime, EventType.USER_DELETED) == []

    def test_a_rolled_back_deletion_takes_its_event_with_it(self, api: Api) -> None:
        customer = api.customer()
        change_then_roll_back(
            api.runtime,
            EventType.USER_DELETED,
            lambda session: auth.delete_user(
                session,
                api.runtime.keyring,
                principal=principal_of(customer),
                user_id=customer.user_id,
                now=api.runtime.now(),
            ),
        )
        with api.runtime.db.session_scope(write=False) as session:
            user = session.get(User, customer.user_id)
            assert user is not None
            assert user.status == "active"
