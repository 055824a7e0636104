"""What the reliability tests share: a server that can be killed, and a stream of transfers.

The server is ``tessera serve`` in a process group of its own (``start_server(..., group=True)``
of tests.support.processes), so ``kill -9`` of the group takes every process it started with it,
as a crash of the machine's service would; it has ``RESTART_SECONDS`` to answer. The stream is many
threads sending transfers, each with its own ``Idempotency-Key``, recording what was sent and
what was acknowledged (a 201), so that a test can hold the service to every acknowledgement.
"""

from __future__ import annotations

import random
import subprocess
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx2 as httpx
import sqlalchemy as sa

from tests.support.api import PASSWORD
from tests.support.processes import TESSERA

FUNDS = 10**9
RESTART_SECONDS = 30.0  # for a (re)started server to answer its health check


@dataclass
class Bank:
    """A customer with funded accounts, all in USD."""

    token: str
    accounts: list[str]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def balances(self, base_url: str) -> dict[str, int]:
        with httpx.Client(base_url=base_url, headers=self.headers, timeout=10) as http:
            return {a: int(http.get(f"/v1/accounts/{a}").json()["balance"]) for a in self.accounts}


def open_bank(base_url: str, *, accounts: int, email: str = "crash@example.com") -> Bank:
    """Sign up a customer and open ``accounts`` accounts holding ``FUNDS`` each."""
    with httpx.Client(base_url=base_url, timeout=30) as http:
        signup = http.post(
            "/v1/auth/signup",
            json={
                "email": email,
                "password": PASSWORD,
                "first_name": "Cr",
                "last_name": "Ash",
                "dob": "1980-01-01",
            },
        )
        assert signup.status_code == 201, signup.text
        login = http.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        bank = Bank(token=login.json()["access_token"], accounts=[])
        for _ in range(accounts):
            account = http.post(
                "/v1/accounts", headers=bank.headers, json={"type": "checking", "currency": "USD"}
            )
            assert account.status_code == 201, account.text
            deposit = http.post(
                "/v1/transactions",
                headers=bank.headers,
                json={
                    "account_id": account.json()["id"],
                    "type": "deposit",
                    "amount": FUNDS,
                    "currency": "USD",
                },
            )
            assert deposit.status_code == 201, deposit.text
            bank.accounts.append(account.json()["id"])
    return bank


@dataclass(frozen=True)
class Acknowledged:
    """A transfer the service answered 201 to, and when the answer arrived."""

    key: str
    body: dict[str, Any]
    answer: dict[str, Any]
    at: float


@dataclass
class TransferStream:
    """``threads`` clients sending transfers back to back until stopped or the server dies."""

    base_url: str
    bank: Bank
    seed: int
    threads: int = 32
    acknowledged: list[Acknowledged] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    transport_errors: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _first: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _workers: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for index in range(self.threads):
            worker = threading.Thread(target=self._client, args=(index,), daemon=True)
            worker.start()
            self._workers.append(worker)

    def wait_for_first(self, timeout: float) -> None:
        """Return once a transfer was acknowledged."""
        assert self._first.wait(timeout), f"no transfer acknowledged in {timeout} s"

    def stop(self, timeout: float = 15) -> None:
        self._stop.set()
        deadline = time.monotonic() + timeout
        for worker in self._workers:
            worker.join(max(0.0, deadline - time.monotonic()))
        assert not any(w.is_alive() for w in self._workers), "a client did not stop in time"

    def _client(self, index: int) -> None:
        rng = random.Random(self.seed * 1000 + index)
        with httpx.Client(base_url=self.base_url, headers=self.bank.headers, timeout=5) as http:
            while not self._stop.is_set():
                source, target = rng.sample(self.bank.accounts, 2)
                body = {
                    "from_account_id": source,
                    "to_account_id": target,
                    "amount": rng.randint(1, 10_000),
                    "currency": "USD",
                }
                key = f"crash-{uuid.uuid4()}"
                try:
                    response = http.post(
                        "/v1/transfers", json=body, headers={"Idempotency-Key": key}
                    )
                except httpx.TransportError:
                    # Killed mid-request (outcome unknown), or the server is gone: either way
                    # nothing was acknowledged; stop when the server no longer answers.
                    with self._lock:
                        self.transport_errors += 1
                    if not self._answers(http):
                        return
                    continue
                with self._lock:
                    self.statuses[response.status_code] = (
                        self.statuses.get(response.status_code, 0) + 1
                    )
                    if response.status_code == 201:
                        self.acknowledged.append(
                            Acknowledged(key, body, response.json(), time.monotonic())
                        )
                        self._first.set()

    def _answers(self, http: httpx.Client) -> bool:
        try:
            http.get("/v1/health", timeout=1)
        except httpx.TransportError:
            return False
        return True


def transfer_legs(database_url: str) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """Every transfer row by id, and every ledger row that names a transfer, by transfer id."""
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            transfers = {
                row.id: row
                for row in conn.execute(
                    sa.text("SELECT id, from_account_id, to_account_id, amount FROM transfers")
                )
            }
            legs: dict[str, list[Any]] = {}
            for row in conn.execute(
                sa.text(
                    "SELECT id, transfer_id, account_id, type, amount FROM transactions"
                    " WHERE transfer_id IS NOT NULL"
                )
            ):
                legs.setdefault(row.transfer_id, []).append(row)
    finally:
        engine.dispose()
    return transfers, legs


def assert_whole_transfers(database_url: str) -> dict[str, Any]:
    """Each transfer has exactly its two legs, and each leg its transfer; returns the transfers
    by id."""
    transfers, legs = transfer_legs(database_url)
    orphans = set(legs) - set(transfers)
    assert not orphans, f"ledger rows of transfers that do not exist: {sorted(orphans)[:5]}"
    for transfer_id, transfer in transfers.items():
        rows = legs.get(transfer_id, [])
        shape = sorted((r.type, r.account_id, r.amount) for r in rows)
        assert shape == [
            ("transfer_in", transfer.to_account_id, transfer.amount),
            ("transfer_out", transfer.from_account_id, transfer.amount),
        ], f"transfer {transfer_id} is half-applied: {shape}"
    return transfers


class BooksCheck:
    """``tessera ledger verify`` and ``tessera audit verify`` (and any other check commands),
    started together in the background; ``assert_passed`` waits for them."""

    def __init__(self, env: Mapping[str, str], *commands: tuple[str, ...]) -> None:
        commands = commands or (("ledger", "verify"), ("audit", "verify"))
        self._runs = [
            (
                command,
                subprocess.Popen(
                    [TESSERA, *command],
                    env=dict(env),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                ),
            )
            for command in commands
        ]

    def assert_passed(self, timeout: float = 120) -> list[str]:
        """Every command exited 0 within ``timeout`` seconds in all; returns their outputs."""
        deadline = time.monotonic() + timeout
        outputs: list[str] = []
        try:
            for command, process in self._runs:
                try:
                    output, _ = process.communicate(timeout=max(1.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
                    output, _ = process.communicate()
                    raise AssertionError(
                        f"tessera {' '.join(command)} timed out: {output}"
                    ) from None
                assert process.returncode == 0, (
                    f"tessera {' '.join(command)} exited {process.returncode}: {output}"
                )
                outputs.append(output)
        finally:
            for _, process in self._runs:
                if process.poll() is None:
                    process.kill()
                    process.communicate()
        return outputs
