"""Hammer a real server with concurrent money movements, then check that no money was lost.

Eight clients make random deposits, withdrawals and transfers across 20 accounts against uvicorn
on 127.0.0.1, including overdraft attempts, replays of idempotency keys and two clients racing
with the same key. Afterwards the books must balance to the unit, and nothing may have failed
with a 5xx.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx2 as httpx
import pytest

from tessera.config import Settings
from tests.support.api import PASSWORD
from tests.support.processes import run_cli, serve

CLIENTS = 8
OPERATIONS = 2_400
ACCOUNTS = 20
TIME_LIMIT_SECONDS = 240


@dataclass
class Ledger:
    """What the clients saw: every distinct committed movement, by its id."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    deposits: dict[str, int] = field(default_factory=dict)
    withdrawals: dict[str, int] = field(default_factory=dict)
    transfers: dict[str, int] = field(default_factory=dict)
    statuses: Counter[int] = field(default_factory=Counter)
    replays: int = 0
    replay_mismatches: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)


def _signup_holders(base_url: str) -> list[str]:
    """Five customers whose holders will own the 20 accounts."""
    with httpx.Client(base_url=base_url, timeout=30) as http:
        holders = []
        for index in range(5):
            body = {
                "email": f"holder{index}@example.com",
                "password": PASSWORD,
                "first_name": "Holder",
                "last_name": f"Number{index}",
                "dob": "1980-01-01",
            }
            response = http.post("/v1/auth/signup", json=body)
            assert response.status_code == 201, response.text
            holders.append(response.json()["account_holder"]["id"])
    return holders


def _admin_token(base_url: str, email: str, password: str) -> str:
    with httpx.Client(base_url=base_url, timeout=30) as http:
        response = http.post("/v1/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])


def _client_loop(
    base_url: str,
    token: str,
    accounts: list[str],
    ledger: Ledger,
    operations: int,
    seed: int,
    shared_keys: list[tuple[str, dict[str, Any]]],
    deadline: float,
) -> None:
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {token}"}
    first_answers: dict[str, dict[str, Any]] = {}
    used: list[tuple[str, str, dict[str, Any]]] = []
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as http:
        for number in range(operations):
            if time.monotonic() > deadline:
                break
            roll = rng.random()
            key = f"c{seed}-op{number}"
            if roll < 0.08 and used:
                # Replay an earlier request with its key: must not move money again.
                key, path, body = rng.choice(used)
            elif roll < 0.12 and shared_keys:
                # A key that every client sends with the same body, racing each other.
                key, body = shared_keys[rng.randrange(len(shared_keys))]
                path = "/v1/transfers" if "from_account_id" in body else "/v1/transactions"
            else:
                path, body = _random_operation(rng, accounts)
                used.append((key, path, body))
            started = time.perf_counter()
            response = http.post(path, json=body, headers={"Idempotency-Key": key})
            elapsed = time.perf_counter() - started
            _record(ledger, key, path, body, response, first_answers, elapsed)


def _random_operation(rng: random.Random, accounts: list[str]) -> tuple[str, dict[str, Any]]:
    roll = rng.random()
    # Amounts are often larger than balances, so overdrafts are attempted all the time.
    amount = rng.choice([1, 7, 50, 250, 1_000, 5_000, 20_000])
    if roll < 0.3:
        account = rng.choice(accounts)
        return "/v1/transactions", {
            "account_id": account,
            "type": "deposit",
            "amount": amount,
            "currency": "USD",
        }
    if roll < 0.5:
        account = rng.choice(accounts)
        return "/v1/transactions", {
            "account_id": account,
            "type": "withdrawal",
            "amount": amount,
            "currency": "USD",
        }
    source, target = rng.sample(accounts, 2)
    return "/v1/transfers", {
        "from_account_id": source,
        "to_account_id": target,
        "amount": amount,
        "currency": "USD",
    }


def _record(
    ledger: Ledger,
    key: str,
    path: str,
    body: dict[str, Any],
    response: httpx.Response,
    first_answers: dict[str, dict[str, Any]],
    elapsed: float,
) -> None:
    with ledger.lock:
        ledger.statuses[response.status_code] += 1
        ledger.latencies.append(elapsed)
        if response.status_code >= 500:
            ledger.server_errors.append(f"{response.status_code} {response.text[:200]}")
            return
        if response.status_code != 201:
            assert response.status_code in (409, 422), response.text
            return
        data = response.json()
        if response.headers.get("Idempotent-Replayed") == "true":
            ledger.replays += 1
        previous = first_answers.get(key)
        if previous is not None and previous != data:
            ledger.replay_mismatches.append(key)
        first_answers[key] = data
        if path == "/v1/transfers":
            ledger.transfers[data["id"]] = data["amount"]
        elif body["type"] == "deposit":
            ledger.deposits[data["id"]] = data["amount"]
        else:
            ledger.withdrawals[data["id"]] = data["amount"]


@pytest.mark.slow
class TestConcurrentMoneyMovements:
    def test_money_is_conserved_under_load(
        self,
        settings: Settings,
        backend: str,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        admin_email, admin_password = "ops-admin@example.com", "platform admin password"
        created = run_cli(
            settings, "admin", "create", "--email", admin_email, "--password", admin_password
        )
        assert created.returncode == 0, created.stderr

        with serve(settings) as server:
            holders = _signup_holders(server.base_url)
            token = _admin_token(server.base_url, admin_email, admin_password)
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as http:
                accounts = []
                for index in range(ACCOUNTS):
                    response = http.post(
                        "/v1/accounts",
                        json={
                            "type": "checking",
                            "currency": "USD",
                            "holder_id": holders[index % len(holders)],
                        },
                    )
                    assert response.status_code == 201, response.text
                    accounts.append(response.json()["id"])

            ledger = Ledger()
            rng = random.Random(7)
            shared_keys = [(f"shared-{i}", _random_operation(rng, accounts)[1]) for i in range(20)]
            deadline = time.monotonic() + TIME_LIMIT_SECONDS
            threads = [
                threading.Thread(
                    target=_client_loop,
                    args=(
                        server.base_url,
                        token,
                        accounts,
                        ledger,
                        OPERATIONS // CLIENTS,
                        seed,
                        shared_keys,
                        deadline,
                    ),
                )
                for seed in range(CLIENTS)
            ]
            started = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(TIME_LIMIT_SECONDS + 30)
            duration = time.monotonic() - started

            with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as http:
                balances = {}
                for account in accounts:
                    response = http.get(f"/v1/accounts/{account}")
                    assert response.status_code == 200
                    balances[account] = response.json()["balance"]

        total_requests = sum(ledger.statuses.values())
        latencies = sorted(ledger.latencies)
        p99 = latencies[int(len(latencies) * 0.99) - 1]
        with capsys.disabled():  # the figures are part of what ``make test`` reports
            print(
                f"\n[{backend}] {total_requests} requests from {CLIENTS} clients "
                f"in {duration:.1f}s "
                f"({total_requests / duration:.0f} req/s, p99 {p99 * 1000:.0f} ms); "
                f"statuses {dict(sorted(ledger.statuses.items()))}; replays {ledger.replays}; "
                f"deposits {len(ledger.deposits)}, withdrawals {len(ledger.withdrawals)}, "
                f"transfers {len(ledger.transfers)}"
            )
        assert total_requests >= 2_000
        assert ledger.server_errors == []
        assert ledger.replay_mismatches == []
        assert ledger.replays > 0
        assert ledger.statuses[409] > 0, "overdraft attempts should have been refused"
        assert all(balance >= 0 for balance in balances.values())
        assert sum(balances.values()) == sum(ledger.deposits.values()) - sum(
            ledger.withdrawals.values()
        )

        verified = run_cli(settings, "ledger", "verify")
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "ledger ok" in verified.stdout
