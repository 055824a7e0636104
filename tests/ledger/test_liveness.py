"""256 connections of transfers against a real server: it sheds load, it never stalls.

A liveness test, not a speed test: whatever the machine's speed, every answer must be a 201 or a
503 with ``Retry-After`` (never a 500, never a hang: wrk's per-request timeout is 5 s), and once
the burst ends the service must be healthy at once, take a new transfer, and pass
``tessera ledger verify`` with every unit of money where it belongs.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx2 as httpx
import pytest

from tessera.config import Settings
from tests.support.api import PASSWORD
from tests.support.processes import run_cli, serve
from tests.support.wrk import TRANSFER, ids_file, run_wrk, wrk_available

CONNECTIONS = 256
SECONDS = 8
ACCOUNTS = 40
FUNDS = 10**9

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not wrk_available(), reason="wrk is installed by `make system-deps`"),
]


def _customer_with_accounts(base_url: str) -> tuple[str, list[str]]:
    with httpx.Client(base_url=base_url, timeout=30) as http:
        signup = http.post(
            "/v1/auth/signup",
            json={
                "email": "load@example.com",
                "password": PASSWORD,
                "first_name": "Lo",
                "last_name": "Ad",
                "dob": "1980-01-01",
            },
        )
        assert signup.status_code == 201, signup.text
        login = http.post(
            "/v1/auth/login", json={"email": "load@example.com", "password": PASSWORD}
        )
        token = login.json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        accounts = []
        for _ in range(ACCOUNTS):
            account = http.post(
                "/v1/accounts", headers=headers, json={"type": "checking", "currency": "USD"}
            )
            assert account.status_code == 201, account.text
            deposit = http.post(
                "/v1/transactions",
                headers=headers,
                json={
                    "account_id": account.json()["id"],
                    "type": "deposit",
                    "amount": FUNDS,
                    "currency": "USD",
                },
            )
            assert deposit.status_code == 201, deposit.text
            accounts.append(account.json()["id"])
    return token, accounts


def _burst_then_check(
    settings: Settings,
    tmp_path: Path,
    label: str,
    capsys: pytest.CaptureFixture[str],
    *serve_args: str,
) -> None:
    with serve(settings, *serve_args) as server:
        token, accounts = _customer_with_accounts(server.base_url)
        burst = run_wrk(
            server.base_url,
            TRANSFER,
            connections=CONNECTIONS,
            seconds=SECONDS,
            env={"WRK_TOKEN": token, "WRK_IDS": str(ids_file(tmp_path, accounts))},
        )
        with capsys.disabled():  # the figures are part of what ``make test`` reports
            print(
                f"\n[{label}] {CONNECTIONS} connections for {burst.seconds:.1f}s: "
                f"{burst.requests} answers ({burst.per_second:.0f}/s), statuses "
                f"{dict(sorted(burst.statuses.items()))}, p50 {burst.p50_ms:.0f} ms, "
                f"p99 {burst.p99_ms:.0f} ms, max {burst.max_ms:.0f} ms"
            )
        assert burst.count(201) > 0, burst.output
        assert set(burst.statuses) <= {201, 503}, burst.statuses
        assert burst.missing_retry_after == 0
        assert burst.timeouts == 0, "a request took longer than 5 s"
        assert burst.socket_errors == 0, burst.output
        assert burst.max_ms < 5_000

        auth = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=server.base_url, timeout=10) as http:
            started = time.monotonic()
            health = http.get("/v1/health")
            assert health.status_code == 200
            assert time.monotonic() - started < 2.0
            after = http.post(
                "/v1/transfers",
                headers=auth,
                json={
                    "from_account_id": accounts[0],
                    "to_account_id": accounts[1],
                    "amount": 1,
                    "currency": "USD",
                },
            )
            assert after.status_code == 201, after.text
            # One statement, one snapshot: reading the accounts one by one could straddle a
            # transfer that wrk gave up waiting for and the server still commits.
            listed = http.get("/v1/accounts", headers=auth, params={"limit": ACCOUNTS})
            assert listed.status_code == 200, listed.text
            balances = {a["id"]: a["balance"] for a in listed.json()["items"]}
        assert set(balances) == set(accounts)
        # Transfers only move money: the total is exactly what was deposited.
        assert sum(balances.values()) == FUNDS * ACCOUNTS

    verified = run_cli(settings, "ledger", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr


class TestTransfersAt256Connections:
    def test_sheds_load_without_a_500_or_a_hang_and_recovers_at_once(
        self,
        settings: Settings,
        tmp_path: Path,
        backend: str,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        _burst_then_check(settings, tmp_path, backend, capsys)

    @pytest.mark.postgres_only  # the production server is the PostgreSQL deployment
    def test_the_production_server_sheds_load_the_same_way(
        self, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        _burst_then_check(
            settings, tmp_path, "postgresql, granian x2", capsys, "--prod", "--workers", "2"
        )
