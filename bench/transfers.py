"""Transfers per second through the HTTP API, against the raw database doing the same work.

For each backend: start `tessera serve` (one process) on a fresh database, create accounts, then
let C client threads post transfers for T seconds. The reference row is the same transfer done
with raw SQL in one thread (no HTTP, no ORM): the gap is what the web stack and the ORM cost.

    .venv/bin/python bench/transfers.py [--seconds 10] [--clients 8]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx2 as httpx
from tests.support.api import PASSWORD
from tests.support.processes import run_cli, serve
from tests.support.settings import make_settings

from bench.common import postgres_database, print_table, sqlite_database
from tessera import migrations
from tessera.config import Settings


def _prepare(base_url: str, settings: Settings, accounts: int) -> tuple[str, list[str]]:
    run_cli(
        settings,
        "admin",
        "create",
        "--email",
        "bench@example.com",
        "--password",
        "bench admin password",
    )
    with httpx.Client(base_url=base_url, timeout=30) as http:
        http.post(
            "/v1/auth/signup",
            json={
                "email": "holder@example.com",
                "password": PASSWORD,
                "first_name": "Ben",
                "last_name": "Chmark",
                "dob": "1980-01-01",
            },
        ).raise_for_status()
        token = http.post(
            "/v1/auth/login",
            json={"email": "bench@example.com", "password": "bench admin password"},
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        holder = http.get("/v1/account-holders", headers=headers).json()["items"][0]["id"]
        ids = []
        for _ in range(accounts):
            account = http.post(
                "/v1/accounts",
                headers=headers,
                json={"type": "checking", "currency": "USD", "holder_id": holder},
            ).json()["id"]
            http.post(
                "/v1/transactions",
                headers=headers,
                json={"account_id": account, "type": "deposit", "amount": 10**9, "currency": "USD"},
            ).raise_for_status()
            ids.append(account)
    return token, ids


def _load(
    base_url: str, token: str, accounts: list[str], clients: int, seconds: float
) -> tuple[int, list[float], int]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(seed: int) -> None:
        nonlocal errors
        rng = random.Random(seed)
        mine: list[float] = []
        bad = 0
        with httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as http:
            while time.monotonic() < stop:
                source, target = rng.sample(accounts, 2)
                started = time.perf_counter()
                response = http.post(
                    "/v1/transfers",
                    json={
                        "from_account_id": source,
                        "to_account_id": target,
                        "amount": 1,
                        "currency": "USD",
                    },
                )
                mine.append(time.perf_counter() - started)
                bad += response.status_code != 201
        with lock:
            latencies.extend(mine)
            errors += bad

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies), latencies, errors


def _raw_sqlite_reference(seconds: float) -> float:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "raw.db"
        migrations.upgrade(f"sqlite:///{path}")
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("CREATE TABLE raw_accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)")
        conn.executemany("INSERT INTO raw_accounts VALUES (?, ?)", [(i, 10**9) for i in range(20)])
        conn.execute(
            "CREATE TABLE raw_ledger (id INTEGER PRIMARY KEY, account INTEGER, amount INTEGER)"
        )
        rng = random.Random(1)
        done = 0
        stop = time.monotonic() + seconds
        while time.monotonic() < stop:
            a, b = rng.sample(range(20), 2)
            conn.execute("BEGIN IMMEDIATE")
            (balance,) = conn.execute(
                "SELECT balance FROM raw_accounts WHERE id = ?", (a,)
            ).fetchone()
            if balance >= 1:
                conn.execute("UPDATE raw_accounts SET balance = balance - 1 WHERE id = ?", (a,))
                conn.execute("UPDATE raw_accounts SET balance = balance + 1 WHERE id = ?", (b,))
                conn.execute("INSERT INTO raw_ledger (account, amount) VALUES (?, ?)", (a, -1))
                conn.execute("INSERT INTO raw_ledger (account, amount) VALUES (?, ?)", (b, 1))
            conn.execute("COMMIT")
            done += 1
        conn.close()
        return done / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--accounts", type=int, default=20)
    args = parser.parse_args()

    rows = []
    for name, database in (("sqlite", sqlite_database), ("postgresql", postgres_database)):
        with database() as url, tempfile.TemporaryDirectory() as var:
            migrations.upgrade(url)
            settings = make_settings(url, Path(var))
            with serve(settings) as server:
                token, accounts = _prepare(server.base_url, settings, args.accounts)
                count, latencies, errors = _load(
                    server.base_url, token, accounts, args.clients, args.seconds
                )
            latencies.sort()
            rows.append(
                [
                    f"HTTP transfer, {name}",
                    count / args.seconds,
                    statistics.median(latencies) * 1000,
                    latencies[int(len(latencies) * 0.99) - 1] * 1000,
                    errors,
                ]
            )
    reference = _raw_sqlite_reference(args.seconds)
    rows.append(["raw SQL transfer, sqlite (1 thread, no HTTP)", reference, 0.0, 0.0, 0])
    print_table(
        f"Transfers: {args.clients} clients, {args.accounts} accounts, {args.seconds:.0f} s each",
        ["path", "transfers/s", "p50 ms", "p99 ms", "errors"],
        rows,
    )
    print(f"\nratio HTTP(sqlite) / raw SQL: {rows[0][1] / reference:.3f}")


if __name__ == "__main__":
    main()
