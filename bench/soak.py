"""Soak: a mixed workload at a fixed rate against the embedded server, and its memory over time.

`tessera serve` on SQLite (as `make run` starts it) gets reads, transfers, card registrations
and card-status lookups at a fixed rate (200 requests/s for 60 s by default). The generator is
open-loop on a fixed set of connections, as wrk2 is: request *i* is due at ``start + i / rate``
on connection ``i % connections``, which sends it when due, or at once if the answer before it
came late; its latency counts from the due time, so a stalled server shows up in the
percentiles instead of slowing the generator down (no coordinated omission), and what is in
flight stays bounded.

The generator must not be the bottleneck: the same generator first loads a bare `async def`
route (bench/ping_app.py) under the same server stack at the same rate, and the table shows
both, with how late the generator sent (``send lag``) and the CPU it used.

The server's RSS is sampled every 30 s; `--duration 600` prints the curve (flat is the target).

    .venv/bin/python -m bench.soak [--rate 200] [--duration 60] [--no-reference]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx
import psutil

from bench.common import print_table
from bench.load import Fixture, Server, ping_server, prepare, tessera_server

RSS_EVERY_SECONDS = 30.0
# Connections the load is spread over (as wrk2 -c): 200 requests/s over 32 connections leaves
# each 160 ms between its requests, so one answer of up to 160 ms delays nothing.
CONNECTIONS = 32
# Mix of the workload, in per cent of the requests.
MIX = {"read": 50, "status": 20, "transfer": 20, "registration": 10}
TARGET_P99_MS = 100.0


@dataclass
class Outcome:
    """What the run measured."""

    name: str
    sent: int = 0
    missed: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    lags_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    by_kind: Counter[str] = field(default_factory=Counter)
    rss_mb: list[tuple[float, float]] = field(default_factory=list)
    generator_cpu_s: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def percentile(self, values: list[float], q: float) -> float:
        if not values:
            return 0.0
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


Request = Callable[[httpx.AsyncClient, random.Random], Awaitable[tuple[str, bool, str]]]


def _luhn(partial: str) -> str:
    total = 0
    for index, char in enumerate(reversed(partial)):
        digit = int(char)
        if index % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return partial + str((10 - total % 10) % 10)


class Workload:
    """The mixed requests, as the bench fixture's customer (reads, transfers, registrations)
    and the platform admin (card-status lookups)."""

    def __init__(self, fixture: Fixture) -> None:
        self.fixture = fixture
        self.customer = {"Authorization": f"Bearer {fixture.customer_token}"}
        self.admin = {"Authorization": f"Bearer {fixture.admin_token}"}
        self.serial = 0
        self.kinds = [kind for kind, share in MIX.items() for _ in range(share)]

    async def request(self, http: httpx.AsyncClient, rng: random.Random) -> tuple[str, bool, str]:
        kind = rng.choice(self.kinds)
        accounts = self.fixture.accounts
        if kind == "read":
            response = await http.get(f"/v1/accounts/{rng.choice(accounts)}", headers=self.customer)
            return kind, response.status_code == 200, str(response.status_code)
        if kind == "status":
            card = rng.choice(self.fixture.card_ids)
            response = await http.get(
                "/v1/card-status", params={"card_id": card}, headers=self.admin
            )
            return kind, response.status_code == 200, str(response.status_code)
        if kind == "transfer":
            source, target = rng.sample(accounts, 2)
            body = {
                "from_account_id": source,
                "to_account_id": target,
                "amount": 1,
                "currency": "USD",
            }
            response = await http.post("/v1/transfers", json=body, headers=self.customer)
            return kind, response.status_code == 201, str(response.status_code)
        self.serial += 1
        number = _luhn(f"4{self.serial:09d}{rng.randrange(10**5):05d}")
        body = {
            "card_number": number,
            "expiry_date": "12/30",
            "cvv": "123",
            "cardholder_name": "Soak Holder",
        }
        response = await http.post("/v1/card-registrations", json=body, headers=self.customer)
        return kind, response.status_code == 201, str(response.status_code)


async def _ping(http: httpx.AsyncClient, rng: random.Random) -> tuple[str, bool, str]:
    response = await http.get("/ping-async")
    return "ping", response.status_code == 200, str(response.status_code)


def _rss_mb(process: psutil.Process) -> float:
    with contextlib.suppress(psutil.Error):
        return (
            sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / 2**20
        )
    return 0.0


async def _open_loop(
    name: str,
    base_url: str,
    request: Request,
    *,
    rate: float,
    duration: float,
    connections: int,
    pid: int | None,
    on_tick: Callable[[], Coroutine[Any, Any, None]] | None = None,
) -> Outcome:
    """wrk2's model: ``connections`` connections share the schedule (connection *j* sends
    requests *j*, *j + connections*, ...), each sends a request when it is due or, if the
    previous answer came late, at once; latency counts from the due time."""
    outcome = Outcome(name)
    process = psutil.Process(pid) if pid else None
    rng = random.Random(7)
    total = int(rate * duration)
    cpu_before = time.process_time()
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)

    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as http:

        async def connection(first: int) -> None:
            for index in range(first, total, connections):
                due = start + index / rate
                if time.perf_counter() > end:
                    # The run lasts its duration: what could not be sent by then is missed.
                    outcome.missed += len(range(index, total, connections))
                    return
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                outcome.lags_ms.append(max(0.0, -delay) * 1000)
                outcome.sent += 1
                try:
                    kind, ok, label = await request(http, rng)
                except httpx.HTTPError as exc:
                    kind, ok, label = "transport", False, type(exc).__name__
                outcome.latencies_ms.append((time.perf_counter() - due) * 1000)
                outcome.by_kind[kind] += 1
                if not ok:
                    outcome.errors[f"{kind} {label}"] += 1

        async def every_second() -> None:
            while True:
                await asyncio.sleep(1.0)
                if on_tick is not None:
                    await on_tick()

        async def watch_rss(process: psutil.Process) -> None:
            while True:
                outcome.rss_mb.append((time.perf_counter() - start, _rss_mb(process)))
                await asyncio.sleep(RSS_EVERY_SECONDS)

        start = time.perf_counter()
        end = start + duration
        helpers = [asyncio.create_task(every_second())]
        if process is not None:
            helpers.append(asyncio.create_task(watch_rss(process)))
        await asyncio.gather(*(connection(j) for j in range(connections)))
        outcome.seconds = time.perf_counter() - start
        for helper in helpers:
            helper.cancel()
        if process is not None:
            outcome.rss_mb.append((outcome.seconds, _rss_mb(process)))
    outcome.generator_cpu_s = time.process_time() - cpu_before
    return outcome


def _row(outcome: Outcome) -> list[object]:
    errors = sum(outcome.errors.values())
    rss = outcome.rss_mb
    return [
        outcome.name,
        outcome.rate,
        outcome.percentile(outcome.latencies_ms, 0.50),
        outcome.percentile(outcome.latencies_ms, 0.99),
        max(outcome.latencies_ms, default=0.0),
        outcome.percentile(outcome.lags_ms, 0.99),
        errors,
        outcome.missed,
        f"{rss[0][1]:.0f}" if rss else "-",
        f"{rss[-1][1]:.0f}" if rss else "-",
        outcome.generator_cpu_s / outcome.seconds * 100 if outcome.seconds else 0.0,
    ]


class Refresh:
    """Logs the fixture's users in again every 8 minutes (access tokens live 15)."""

    def __init__(self, server: Server, workload: Workload) -> None:
        self.server = server
        self.workload = workload
        self.last = time.monotonic()

    async def __call__(self) -> None:
        if time.monotonic() - self.last < 480:
            return
        self.last = time.monotonic()
        from bench.load import ADMIN_PASSWORD, CUSTOMER_EMAIL, CUSTOMER_PASSWORD

        async with httpx.AsyncClient(base_url=self.server.base_url, timeout=30) as http:
            for email, password, attribute in (
                (CUSTOMER_EMAIL, CUSTOMER_PASSWORD, "customer"),
                ("admin@bench.example", ADMIN_PASSWORD, "admin"),
            ):
                response = await http.post(
                    "/v1/auth/login", json={"email": email, "password": password}
                )
                token = response.json()["access_token"]
                setattr(self.workload, attribute, {"Authorization": f"Bearer {token}"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--connections", type=int, default=CONNECTIONS)
    parser.add_argument(
        "--no-reference", action="store_true", help="skip the generator's check on a bare route"
    )
    args = parser.parse_args()

    outcomes: list[Outcome] = []
    if not args.no_reference:
        with ping_server("embedded") as ping:
            outcomes.append(
                asyncio.run(
                    _open_loop(
                        "reference: bare async route",
                        ping.base_url,
                        _ping,
                        rate=args.rate,
                        duration=min(args.duration, 30.0),
                        connections=args.connections,
                        pid=ping.pids[0],
                    )
                )
            )
    with tempfile.TemporaryDirectory(prefix="tessera-soak-") as directory:
        var_dir = Path(directory)
        database_url = f"sqlite:///{var_dir}/soak.db"
        with tessera_server("embedded", database_url, var_dir) as server:
            fixture = prepare(server, accounts=args.accounts)
            workload = Workload(fixture)
            soak = asyncio.run(
                _open_loop(
                    "tessera serve, mixed workload",
                    server.base_url,
                    workload.request,
                    rate=args.rate,
                    duration=args.duration,
                    connections=args.connections,
                    pid=server.pids[0],
                    on_tick=Refresh(server, workload),
                )
            )
            outcomes.append(soak)

    print_table(
        f"Soak: {args.rate:.0f} requests/s for {args.duration:.0f} s, open loop "
        f"(mix {', '.join(f'{k} {v} %' for k, v in MIX.items())})",
        [
            "target",
            "req/s",
            "p50 ms",
            "p99 ms",
            "max ms",
            "send lag p99 ms",
            "errors",
            "not sent",
            "RSS start MB",
            "RSS end MB",
            "generator CPU %",
        ],
        [_row(outcome) for outcome in outcomes],
    )
    print_table(
        "Requests by kind",
        ["kind", "requests", "errors"],
        [
            [kind, count, sum(n for k, n in soak.errors.items() if k.startswith(kind + " "))]
            for kind, count in sorted(soak.by_kind.items())
        ],
    )
    if soak.errors:
        print("\nerrors: " + ", ".join(f"{k}: {n}" for k, n in soak.errors.most_common()))
    print_table(
        f"Server RSS every {RSS_EVERY_SECONDS:.0f} s",
        ["second", "RSS MB"],
        [[f"{second:.0f}", f"{rss:.1f}"] for second, rss in soak.rss_mb],
    )
    p99 = soak.percentile(soak.latencies_ms, 0.99)
    verdict = "met" if p99 < TARGET_P99_MS and not soak.errors and not soak.missed else "NOT met"
    print(f"\ntarget (p99 < {TARGET_P99_MS:.0f} ms, zero errors): {verdict}")


if __name__ == "__main__":
    main()
