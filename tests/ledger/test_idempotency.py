"""Idempotency-Key: a replay answers the same and moves no money twice."""

from __future__ import annotations

import threading
from datetime import timedelta

from tessera.models.base import utcnow
from tests.support.api import Api


def _deposit_body(account: str, amount: int = 100) -> dict[str, object]:
    return {"account_id": account, "type": "deposit", "amount": amount, "currency": "USD"}


class TestIdempotencyKey:
    def test_replay_returns_the_first_answer_and_moves_nothing(self, api: Api) -> None:
        customer = api.customer()
        account = customer.open_account()
        headers = {"Idempotency-Key": "deposit-1"}
        first = customer.post("/v1/transactions", json=_deposit_body(account), headers=headers)
        second = customer.post("/v1/transactions", json=_deposit_body(account), headers=headers)
        assert first.status_code == second.status_code == 201
        assert second.json() == first.json()
        assert second.headers["Idempotent-Replayed"] == "true"
        assert "Idempotent-Replayed" not in first.headers
        assert customer.balance(account) == 100

    def test_same_key_different_body_conflicts(self, api: Api) -> None:
        customer = api.customer()
        account = customer.open_account()
        headers = {"Idempotency-Key": "deposit-2"}
        customer.post("/v1/transactions", json=_deposit_body(account, 100), headers=headers)
        other = customer.post("/v1/transactions", json=_deposit_body(account, 101), headers=headers)
        assert other.status_code == 409
        assert other.json()["error"]["code"] == "idempotency_key_reused"

    def test_keys_are_scoped_to_the_caller(self, api: Api) -> None:
        alice, bob = api.customer(), api.customer()
        a, b = alice.open_account(), bob.open_account()
        headers = {"Idempotency-Key": "same-key"}
        assert (
            alice.post("/v1/transactions", json=_deposit_body(a), headers=headers).status_code
            == 201
        )
        response = bob.post("/v1/transactions", json=_deposit_body(b), headers=headers)
        assert response.status_code == 201
        assert "Idempotent-Replayed" not in response.headers
        assert bob.balance(b) == 100

    def test_a_failed_request_is_not_stored(self, api: Api) -> None:
        customer = api.customer()
        source, target = customer.open_account(), customer.open_account()
        body = {"from_account_id": source, "to_account_id": target, "amount": 50, "currency": "USD"}
        headers = {"Idempotency-Key": "retry-me"}
        assert customer.post("/v1/transfers", json=body, headers=headers).status_code == 409
        customer.deposit(source, 50)
        retried = customer.post("/v1/transfers", json=body, headers=headers)
        assert retried.status_code == 201
        assert customer.balance(target) == 50

    def test_keys_expire_after_24_hours(self, api: Api) -> None:
        customer = api.customer()
        account = customer.open_account()
        headers = {"Idempotency-Key": "old-key"}
        customer.post("/v1/transactions", json=_deposit_body(account), headers=headers)
        api.runtime.clock = lambda: utcnow() + timedelta(hours=25)
        customer.relogin()
        again = customer.post("/v1/transactions", json=_deposit_body(account), headers=headers)
        assert again.status_code == 201
        assert "Idempotent-Replayed" not in again.headers
        assert customer.balance(account) == 200

    def test_key_length_is_validated(self, api: Api) -> None:
        customer = api.customer()
        account = customer.open_account()
        response = customer.post(
            "/v1/transactions", json=_deposit_body(account), headers={"Idempotency-Key": "k" * 256}
        )
        assert response.status_code == 422
        assert response.json()["error"]["details"]["fields"][0]["field"] == "Idempotency-Key"

    def test_racing_requests_with_one_key_move_money_once(self, api: Api) -> None:
        customer = api.customer()
        source, target = customer.open_account(), customer.open_account()
        customer.deposit(source, 1_000)
        body = {"from_account_id": source, "to_account_id": target, "amount": 10, "currency": "USD"}
        barrier = threading.Barrier(6)
        answers: list[tuple[int, str]] = []

        def send() -> None:
            barrier.wait()
            response = customer.post(
                "/v1/transfers", json=body, headers={"Idempotency-Key": "race"}
            )
            answers.append((response.status_code, response.json().get("id", "")))

        threads = [threading.Thread(target=send) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert len(answers) == 6
        assert {status for status, _ in answers} == {201}
        assert len({transfer_id for _, transfer_id in answers}) == 1
        assert customer.balance(target) == 10
