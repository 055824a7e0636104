"""`make bench`: the service under load, next to references measured in the same run.

Each mode starts the service the way it is deployed, loads it with `wrk` (Lua scripts for the
bodies), and prints one table: requests/s, p50, p99, errors, and the ratio to the references.

- **embedded**: `tessera serve` on SQLite, the same command and defaults as `make run`
  (one process, the worker inside it, argon2 at its production parameters).
- **scaled**: the production server with 2 workers on PostgreSQL, plus one `tessera worker`.

The references, on the same machine, the same server stack and in the same run:

- a bare `/ping` as a sync `def` and as an `async def` (bench/ping_app.py) under the same server;
- raw SQLite transfers (one thread, no HTTP, no ORM);
- `pgbench` TPC-B on the same PostgreSQL cluster.

The machine is shared and noisy: compare ratios from one run, and take the median of several
runs (`--runs 3`). The table is also written to bench/results/latest.md.

    .venv/bin/python -m bench.load [--runs 3] [--seconds 8] [--modes embedded,scaled]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx2 as httpx
import psutil
from tests.support.postgres import find_pg_bin, free_port
from tests.support.wrk import TRANSFER, WrkResult, run_wrk

from bench.common import ROOT, postgres_database, print_table

BIN = Path(sys.executable).parent
TESSERA = str(BIN / "tessera")
RESULTS = ROOT / "bench" / "results" / "latest.md"
README = ROOT / "README.md"
QUOTE_START = "<!-- bench:start (written by make bench from bench/results/latest.md) -->"
QUOTE_END = "<!-- bench:end -->"
SAMPLES = ROOT / "tests" / "deliveries" / "samples"
CUSTOMER_EMAIL = "customer@bench.example"
CUSTOMER_PASSWORD = "bench customer password"
ADMIN_PASSWORD = "bench admin password"
# Sign-ins go round this many customers: one email from one address meets the login limiter
# (5 attempts in flight per email and address) long before the hash pool is full, and a row
# of 429s measures the limiter, not sign-in.
LOGIN_USERS = 48
LOGIN_EMAIL = "login-{}@bench.example"

# --- the scenarios' wrk scripts (after tests/support/wrk.py's prelude) -----------------------

SCRIPTS = {
    "get": r"""
request = function()
  local headers = {["Authorization"] = "Bearer " .. token}
  return wrk.format("GET", os.getenv("BENCH_PATH") .. pick(), headers)
end
""",
    "deposit": r"""
request = function()
  local body = '{"account_id": "' .. pick()
    .. '", "type": "deposit", "amount": 100, "currency": "USD"}'
  return wrk.format("POST", "/v1/transactions", json_headers(), body)
end
""",
    "transfer": TRANSFER,
    "transfer_hot": r"""
request = function()
  local hot = ids[1]
  local other = ids[math.random(2, #ids)]
  local a, b = hot, other
  if math.random(2) == 1 then a, b = other, hot end
  local body = '{"from_account_id": "' .. a .. '", "to_account_id": "' .. b
    .. '", "amount": 1, "currency": "USD"}'
  return wrk.format("POST", "/v1/transfers", json_headers(), body)
end
""",
    "registration": r"""
local function luhn_complete(partial)
  local sum = 0
  local double = true
  for i = #partial, 1, -1 do
    local d = tonumber(partial:sub(i, i))
    if double then d = d * 2; if d > 9 then d = d - 9 end end
    sum = sum + d
    double = not double
  end
  return partial .. tostring((10 - sum % 10) % 10)
end
local serial = 0
request = function()
  serial = serial + 1
  local digits = "4" .. string.format("%02d", tid % 100) .. string.format("%07d", serial % 10000000)
    .. string.format("%05d", math.random(0, 99999))
  local body = '{"card_number": "' .. luhn_complete(digits) .. '", "expiry_date": "12/30", '
    .. '"cvv": "123", "cardholder_name": "Bench Holder"}'
  return wrk.format("POST", "/v1/card-registrations", json_headers(), body)
end
""",
    "login": r"""
local users = tonumber(os.getenv("BENCH_USERS"))
local pattern = string.gsub(os.getenv("BENCH_EMAIL"), "{}", "%%d")
local turn = 0
request = function()
  turn = turn + 1
  local email = string.format(pattern, (turn * 7 + tid * 13) % users)
  local body = '{"email": "' .. email .. '", "password": "'
    .. os.getenv("BENCH_PASSWORD") .. '"}'
  return wrk.format("POST", "/v1/auth/login", {["Content-Type"] = "application/json"}, body)
end
""",
    "ping": r"""
request = function() return wrk.format("GET", os.getenv("BENCH_PATH")) end
""",
}


@dataclass
class Measured:
    """One wrk run, and what the server processes spent on it."""

    name: str
    result: WrkResult
    cpu_per_1000: float | None = None
    peak_rss_mb: float | None = None

    @property
    def rps(self) -> float:
        return self.result.per_second

    @property
    def errors(self) -> int:
        # Any answer but 2xx/3xx, plus socket errors and timeouts. The Lua hook that counts each
        # status is left out: at thousands of requests/s it costs wrk a measurable share.
        return self.result.non_2xx_3xx + self.result.socket_errors + self.result.timeouts


class ProcessWatch:
    """Peak RSS of the largest process and CPU seconds of a set of processes (and children)."""

    def __init__(self, pids: Sequence[int]) -> None:
        self.procs = [psutil.Process(p) for p in pids]
        self.peak_rss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _all(self) -> list[psutil.Process]:
        found: list[psutil.Process] = []
        for proc in self.procs:
            with contextlib.suppress(psutil.Error):
                found.append(proc)
                found.extend(proc.children(recursive=True))
        return found

    def cpu_seconds(self) -> float:
        total = 0.0
        for proc in self._all():
            with contextlib.suppress(psutil.Error):
                times = proc.cpu_times()
                total += times.user + times.system
        return total

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            for proc in self._all():
                with contextlib.suppress(psutil.Error):
                    self.peak_rss = max(self.peak_rss, proc.memory_info().rss)

    def __enter__(self) -> ProcessWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def measure(
    name: str,
    base_url: str,
    script: str,
    *,
    seconds: float,
    connections: int,
    env: dict[str, str],
    watch: ProcessWatch | None = None,
) -> Measured:
    """A short warm-up, then one bounded wrk run (5 s per-request timeout)."""
    run_wrk(
        base_url, SCRIPTS[script], connections=connections, seconds=2, env=env, count_statuses=False
    )
    before = watch.cpu_seconds() if watch else 0.0
    result = run_wrk(
        base_url,
        SCRIPTS[script],
        connections=connections,
        seconds=seconds,
        env=env,
        count_statuses=False,
    )
    measured = Measured(name, result)
    if watch is not None and result.requests:
        measured.cpu_per_1000 = (watch.cpu_seconds() - before) / result.requests * 1000
        measured.peak_rss_mb = watch.peak_rss / 1_048_576
    return measured


# --- servers -------------------------------------------------------------------------------


@dataclass
class Server:
    base_url: str
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]


def _wait_healthy(base_url: str, processes: Sequence[subprocess.Popen[bytes]], path: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"a server process exited with {process.returncode}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(base_url + path, timeout=1).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{base_url} did not answer {path} within 60 s")


def _stop(processes: Sequence[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@contextlib.contextmanager
def tessera_server(mode: str, database_url: str, var_dir: Path) -> Iterator[Server]:
    """The service as `make run` starts it (embedded) or as the scaled layout runs it."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "VAR_DIR": str(var_dir),
        "LOG_LEVEL": "WARNING",
        "APP_ENV": "dev",
    }
    subprocess.run([TESSERA, "migrate"], env=env, check=True, capture_output=True, timeout=300)
    logs = (var_dir / f"server-{port}.log").open("wb")
    processes: list[subprocess.Popen[bytes]] = []
    if mode == "embedded":
        command = [TESSERA, "serve", "--host", "127.0.0.1", "--port", str(port)]
        processes.append(subprocess.Popen(command, env=env, stdout=logs, stderr=logs))
    else:
        env["RUN_WORKER_IN_PROCESS"] = "false"
        processes.append(
            subprocess.Popen(
                [*production_server_command(port, workers=2)], env=env, stdout=logs, stderr=logs
            )
        )
        processes.append(subprocess.Popen([TESSERA, "worker"], env=env, stdout=logs, stderr=logs))
    server = Server(f"http://127.0.0.1:{port}", processes, env)
    try:
        _wait_healthy(server.base_url, processes, "/v1/health")
        yield server
    finally:
        _stop(processes)
        logs.close()


def production_server_command(port: int, *, workers: int) -> list[str]:
    """The production server's command line (the one `make run-prod` uses): granian."""
    return [
        TESSERA,
        "serve",
        "--prod",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]


@contextlib.contextmanager
def ping_server(mode: str) -> Iterator[Server]:
    """bench/ping_app.py under the same server stack as the mode's service."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if mode == "embedded":
        command = [
            str(BIN / "uvicorn"),
            "bench.ping_app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
            "--loop",
            "asyncio",  # as `tessera serve` runs it (bench/README.md, "The event loop")
        ]
    else:
        # The production server, as `tessera serve --prod` runs it (bench/servers.py chose it).
        command = [
            str(BIN / "granian"),
            "bench.ping_app:app",
            "--interface=asgi",
            "--host=127.0.0.1",
            f"--port={port}",
            "--workers=2",
            "--log-level=warning",
            "--loop=asyncio",
        ]
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    server = Server(f"http://127.0.0.1:{port}", [process])
    try:
        _wait_healthy(server.base_url, [process], "/ping-async")
        yield server
    finally:
        _stop([process])


# --- data ----------------------------------------------------------------------------------


@dataclass
class Fixture:
    customer_token: str
    admin_token: str
    accounts: list[str]
    hot_accounts: list[str]
    account_paths: list[str]
    card_ids: list[str]
    certificate_ids: list[str]


def _parallel(count: int, action: object, workers: int = 16) -> list[object]:
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(action, range(count)))  # type: ignore[arg-type]


def prepare(server: Server, *, accounts: int) -> Fixture:
    """A customer with ``accounts`` funded accounts, an admin, imported courier files, a cert."""
    result = subprocess.run(
        [
            TESSERA,
            "admin",
            "create",
            "--email",
            "admin@bench.example",
            "--password",
            ADMIN_PASSWORD,
        ],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0 and "exists" not in (result.stdout + result.stderr):
        raise RuntimeError(result.stdout + result.stderr)
    with httpx.Client(base_url=server.base_url, timeout=60) as http:
        http.post(
            "/v1/auth/signup",
            json={
                "email": CUSTOMER_EMAIL,
                "password": CUSTOMER_PASSWORD,
                "first_name": "Ben",
                "last_name": "Chmark",
                "dob": "1980-01-01",
            },
        )
        customer = _login(http, CUSTOMER_EMAIL, CUSTOMER_PASSWORD)
        admin = _login(http, "admin@bench.example", ADMIN_PASSWORD)
    auth = {"Authorization": f"Bearer {customer}"}

    def open_account(index: int) -> str:
        with httpx.Client(base_url=server.base_url, timeout=60) as http:
            account = http.post(
                "/v1/accounts", headers=auth, json={"type": "checking", "currency": "USD"}
            )
            if account.status_code != 201:
                raise RuntimeError(f"{account.status_code} {account.text}")
            account_id = str(account.json()["id"])
            http.post(
                "/v1/transactions",
                headers=auth,
                json={
                    "account_id": account_id,
                    "type": "deposit",
                    "amount": 10**12,
                    "currency": "USD",
                },
            ).raise_for_status()
            return account_id

    ids = [str(x) for x in _parallel(accounts, open_account)]

    def sign_up(index: int) -> None:
        with httpx.Client(base_url=server.base_url, timeout=60) as http:
            response = http.post(
                "/v1/auth/signup",
                json={
                    "email": LOGIN_EMAIL.format(index),
                    "password": CUSTOMER_PASSWORD,
                    "first_name": "Sign",
                    "last_name": f"In {index}",
                    "dob": "1980-01-01",
                },
            )
            if response.status_code not in (201, 409):
                raise RuntimeError(f"{response.status_code} {response.text}")

    _parallel(LOGIN_USERS, sign_up, workers=4)
    admin_auth = {"Authorization": f"Bearer {admin}"}
    with httpx.Client(base_url=server.base_url, timeout=120) as http:
        for sample in sorted(SAMPLES.glob("*.csv")):
            with sample.open("rb") as handle:
                http.post(
                    "/v1/deliveries/imports",
                    headers=admin_auth,
                    files={"file": (sample.name, handle, "text/csv")},
                ).raise_for_status()
        certificate = http.post(
            "/v1/certificates",
            headers=auth,
            json={"common_name": "bench.example", "validity_days": 30},
        )
        certificate.raise_for_status()
    card_ids = sorted(
        {
            line.split(",")[1].strip()
            for sample in SAMPLES.glob("*.csv")
            for line in sample.read_text().splitlines()[1:]
            if line.count(",") >= 2
        }
    )
    return Fixture(
        customer_token=customer,
        admin_token=admin,
        accounts=ids,
        hot_accounts=ids[:50],
        account_paths=ids,
        card_ids=card_ids,
        certificate_ids=[str(certificate.json()["id"])],
    )


def _login(http: httpx.Client, email: str, password: str) -> str:
    response = http.post("/v1/auth/login", json={"email": email, "password": password})
    response.raise_for_status()
    return str(response.json()["access_token"])


# --- references ----------------------------------------------------------------------------


def raw_sqlite_transfers(seconds: float, accounts: int = 1000) -> float:
    """Transfers/s of the same work in raw SQL on SQLite: one thread, no HTTP, no ORM."""
    with tempfile.TemporaryDirectory() as directory:
        conn = sqlite3.connect(Path(directory) / "raw.db", isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("CREATE TABLE a (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)")
        conn.executemany("INSERT INTO a VALUES (?, ?)", [(i, 10**9) for i in range(accounts)])
        conn.execute(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, account INTEGER, amount INTEGER,"
            " after INTEGER)"
        )
        rng = random.Random(1)
        done = 0
        stop = time.monotonic() + seconds
        while time.monotonic() < stop:
            src, dst = rng.sample(range(accounts), 2)
            conn.execute("BEGIN IMMEDIATE")
            (balance,) = conn.execute("SELECT balance FROM a WHERE id = ?", (src,)).fetchone()
            if balance >= 1:
                conn.execute("UPDATE a SET balance = balance - 1 WHERE id = ?", (src,))
                conn.execute("UPDATE a SET balance = balance + 1 WHERE id = ?", (dst,))
                conn.execute("INSERT INTO t (account, amount, after) VALUES (?, -1, ?)", (src, 0))
                conn.execute("INSERT INTO t (account, amount, after) VALUES (?, 1, ?)", (dst, 0))
            conn.execute("COMMIT")
            done += 1
        conn.close()
        return done / seconds


def pgbench_tpcb(admin_url: str, seconds: float, clients: int = 16) -> float:
    """TPC-B-like transactions/s from pgbench on the same cluster (scale 10)."""
    pg_bin = find_pg_bin()
    if pg_bin is None:
        return float("nan")
    # admin_url: postgresql+psycopg://postgres@127.0.0.1:PORT/DB
    address = admin_url.split("@", 1)[1]
    host_port, database = address.split("/", 1)
    host, port = host_port.split(":")
    base = [str(pg_bin / "pgbench"), "-h", host, "-p", port, "-U", "postgres"]
    subprocess.run(
        [*base, "-i", "-s", "10", "-q", database], check=True, capture_output=True, timeout=600
    )
    run = subprocess.run(
        [*base, "-c", str(clients), "-j", "2", "-T", f"{seconds:.0f}", "-b", "tpcb-like", database],
        check=True,
        capture_output=True,
        text=True,
        timeout=seconds + 120,
    )
    for line in run.stdout.splitlines():
        if line.startswith("tps ="):
            return float(line.split()[2])
    raise RuntimeError(run.stdout + run.stderr)


# --- one mode ------------------------------------------------------------------------------


def _ids_file(directory: Path, name: str, values: Sequence[str]) -> str:
    path = directory / f"{name}.txt"
    path.write_text("\n".join(values) + "\n")
    return str(path)


def run_mode(mode: str, args: argparse.Namespace) -> dict[str, Measured | float]:
    """Every scenario of one mode, with its references, in one run."""
    rows: dict[str, Measured | float] = {}
    seconds, connections = args.seconds, args.connections
    with ping_server(mode) as ping:
        for kind in ("sync", "async"):
            env = {"BENCH_PATH": f"/ping-{kind}"}
            rows[f"ping_{kind}"] = measure(
                f"ping-{kind}",
                ping.base_url,
                "ping",
                seconds=seconds,
                connections=connections,
                env=env,
            )
    with contextlib.ExitStack() as stack:
        var_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tessera-bench-")))
        if mode == "embedded":
            database_url = f"sqlite:///{var_dir}/bench.db"
            rows["reference"] = raw_sqlite_transfers(seconds, accounts=args.accounts)
        else:
            database_url = stack.enter_context(postgres_database("bench"))
        server = stack.enter_context(tessera_server(mode, database_url, var_dir))
        fixture = prepare(server, accounts=args.accounts)
        watch = stack.enter_context(ProcessWatch(server.pids))
        customer = {
            "WRK_TOKEN": fixture.customer_token,
            "WRK_IDS": _ids_file(var_dir, "accounts", fixture.accounts),
        }
        scenarios: list[tuple[str, str, dict[str, str]]] = [
            ("get_account", "get", {**customer, "BENCH_PATH": "/v1/accounts/"}),
            ("deposit", "deposit", customer),
            ("transfer", "transfer", customer),
            ("transfer_hot", "transfer_hot", customer),
            ("registration", "registration", customer),
            (
                "card_status",
                "get",
                {
                    "WRK_TOKEN": fixture.admin_token,
                    "WRK_IDS": _ids_file(var_dir, "cards", fixture.card_ids),
                    "BENCH_PATH": "/v1/card-status?card_id=",
                },
            ),
            (
                "certificate",
                "get",
                {
                    "WRK_TOKEN": fixture.customer_token,
                    "WRK_IDS": _ids_file(var_dir, "certs", fixture.certificate_ids),
                    "BENCH_PATH": "/v1/certificates/",
                },
            ),
        ]
        for name, script, env in scenarios:
            rows[name] = measure(
                name,
                server.base_url,
                script,
                seconds=seconds,
                connections=connections,
                env=env,
                watch=watch,
            )
        # Every scenario so far is steady load; a sign-in holds ARGON2_MEMORY_KIB (64 MiB) per
        # hash in flight, so the login rows below are reported apart.
        rows["steady_rss_mb"] = watch.peak_rss / 1_048_576
        login_env = {
            "BENCH_EMAIL": LOGIN_EMAIL,
            "BENCH_USERS": str(LOGIN_USERS),
            "BENCH_PASSWORD": CUSTOMER_PASSWORD,
        }
        rows["login"] = measure(
            "login",
            server.base_url,
            "login",
            seconds=seconds,
            connections=16,
            env=login_env,
            watch=watch,
        )
        # A burst of logins next to account reads: the reads must keep their pace.
        burst = threading.Thread(
            target=run_wrk,
            args=(server.base_url, SCRIPTS["login"]),
            kwargs={"connections": 32, "seconds": seconds + 2, "env": login_env},
        )
        burst.start()
        time.sleep(1)
        rows["get_during_login_burst"] = measure(
            "get_account (login burst)",
            server.base_url,
            "get",
            seconds=seconds - 2,
            connections=connections,
            env={**customer, "BENCH_PATH": "/v1/accounts/"},
        )
        burst.join()
        rows["peak_rss_mb"] = watch.peak_rss / 1_048_576
    if mode == "scaled":
        with postgres_database("pgbench") as url:
            rows["reference"] = pgbench_tpcb(url, seconds)
    return rows


# --- the table -----------------------------------------------------------------------------

LABELS = {
    "get_account": "GET /v1/accounts/{id}",
    "deposit": "POST /v1/transactions",
    "transfer": "POST /v1/transfers (random pairs, 1,000 accounts)",
    "transfer_hot": "POST /v1/transfers (one hot account)",
    "registration": "POST /v1/card-registrations",
    "card_status": "GET /v1/card-status",
    "certificate": "GET /v1/certificates/{id}",
    "login": "POST /v1/auth/login (16 connections)",
    "get_during_login_burst": "GET /v1/accounts/{id} during 32 logins",
}
HEADER = [
    "",
    "req/s",
    "p50 ms",
    "p99 ms",
    "errors",
    "÷ sync ping",
    "÷ async ping",
    "÷ reference",
    "CPU s / 1k req",
]


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def summarise(
    mode: str, runs: list[dict[str, Measured | float]]
) -> tuple[list[list[object]], dict[str, float]]:
    """The median of each figure over the runs; ratios are taken within each run first."""

    def measured(key: str) -> list[tuple[Measured, dict[str, Measured | float]]]:
        return [(r[key], r) for r in runs if isinstance(r.get(key), Measured)]  # type: ignore[misc]

    figures: dict[str, float] = {}
    rows: list[list[object]] = []
    for key in ("ping_sync", "ping_async"):
        pairs = measured(key)
        figures[key] = _median([m.rps for m, _ in pairs])
        rows.append(
            [
                f"reference: bare /ping ({key[5:]} def)",
                figures[key],
                _median([m.result.p50_ms for m, _ in pairs]),
                _median([m.result.p99_ms for m, _ in pairs]),
                sum(m.errors for m, _ in pairs),
                "",
                "",
                "",
                "",
            ]
        )
    figures["reference"] = _median([float(r["reference"]) for r in runs])
    label = (
        "reference: raw SQLite transfers (one thread, no HTTP)"
        if mode == "embedded"
        else "reference: pgbench TPC-B (16 clients)"
    )
    rows.append([label, figures["reference"], "", "", "", "", "", "", ""])
    for key, text in LABELS.items():
        pairs = measured(key)
        if not pairs:
            continue
        sync = [m.rps / r["ping_sync"].rps for m, r in pairs]  # type: ignore[union-attr]
        asyn = [m.rps / r["ping_async"].rps for m, r in pairs]  # type: ignore[union-attr]
        ref = [m.rps / float(r["reference"]) for m, r in pairs]
        figures[key] = _median([m.rps for m, _ in pairs])
        figures[f"{key}_p99"] = _median([m.result.p99_ms for m, _ in pairs])
        figures[f"{key}_sync_ratio"] = _median(sync)
        figures[f"{key}_ref_ratio"] = _median(ref)
        rows.append(
            [
                text,
                figures[key],
                _median([m.result.p50_ms for m, _ in pairs]),
                figures[f"{key}_p99"],
                sum(m.errors for m, _ in pairs),
                f"{_median(sync):.2f}",
                f"{_median(asyn):.2f}",
                f"{_median(ref):.3f}" if key.startswith(("transfer", "deposit")) else "",
                _median([m.cpu_per_1000 or 0.0 for m, _ in pairs]),
            ]
        )
    figures["peak_rss_mb"] = _median([float(r["peak_rss_mb"]) for r in runs])
    figures["steady_rss_mb"] = _median([float(r["steady_rss_mb"]) for r in runs])
    return rows, figures


TITLES = {
    "embedded": "Embedded: `tessera serve` on SQLite, one process, as `make run` starts it",
    "scaled": "Scaled: the production server with 2 workers on PostgreSQL, plus `tessera worker`",
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--modes", default="embedded,scaled")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: run `make system-deps` (it installs wrk from Debian)")
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    lines = [
        "# `make bench`: the latest results",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores: wrk with "
        f"{args.connections} connections, {args.seconds:.0f} s per scenario, the median of "
        f"{args.runs} run(s). Each ratio is taken within one run, then the median is shown.",
    ]
    for mode in modes:
        runs = []
        for index in range(args.runs):
            print(f"== {mode}: run {index + 1} of {args.runs}", flush=True)
            runs.append(run_mode(mode, args))
        rows, figures = summarise(mode, runs)
        print_table(TITLES[mode], HEADER, rows)
        print(
            f"peak RSS of the largest process: {figures['steady_rss_mb']:.0f} MB at steady "
            f"load, {figures['peak_rss_mb']:.0f} MB with the sign-in bursts"
        )
        lines += ["", f"## {TITLES[mode]}", "", "| " + " | ".join(HEADER) + " |"]
        lines += ["|" + "---|" * len(HEADER)]
        lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
        lines += [
            "",
            f"Peak RSS of the largest process: {figures['steady_rss_mb']:.0f} MB at steady load "
            f"(every row above the sign-ins), {figures['peak_rss_mb']:.0f} MB with the sign-in "
            "bursts (each argon2id hash in flight holds ARGON2_MEMORY_KIB, 64 MiB by default).",
        ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")
    README.write_text(quote_in_readme(README.read_text(), RESULTS.read_text()))
    print(f"\nwritten to {RESULTS.relative_to(ROOT)} and quoted in README.md")


def quote_in_readme(readme: str, results: str) -> str:
    """``readme`` with the results (less their title, headings a level lower) between the
    markers, so the README always shows the latest ``make bench`` table."""
    body = []
    for line in results.splitlines()[1:]:
        body.append("#" + line if line.startswith("## ") else line)
    start = readme.index(QUOTE_START) + len(QUOTE_START)
    end = readme.index(QUOTE_END)
    return readme[:start] + "\n" + "\n".join(body).strip() + "\n" + readme[end:]


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if value >= 100 else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


if __name__ == "__main__":
    main()
