"""The failover drill: lose the PostgreSQL primary under load, promote its synchronous standby.

Two real API processes (and a background worker process) run on a multi-host ``DATABASE_URL``
that names both clusters with ``target_session_attrs=read-write``. Several clients make transfers,
each with its own Idempotency-Key, retrying a key after a 503 as a client should. Mid-run the
primary's postmaster is killed with SIGKILL and, a moment later (the time a failover manager takes
to decide), the standby is promoted with ``pg_ctl promote``. Nothing else is touched: the API
processes keep running and must find the new primary by themselves.

What must hold: every transfer answered 201 (before, during or after the switch) is on the new
primary; ``tessera ledger verify`` passes there; during the switch requests are answered 503 with
``Retry-After``, never a 500 and never a hang (the client gives up after 5 s); the service
recovers without a restart. The test prints how long recovery took (the first 201 after the kill,
minus the moment of the kill) and what the clients saw.
"""

from __future__ import annotations

import asyncio
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx
import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tessera import rawsql
from tessera.app import create_app
from tessera.db import Database
from tessera.errors import Unavailable
from tessera.models import DEFAULT_FIRM_ID
from tessera.runtime import Runtime, build_runtime
from tessera.writer import Writer
from tests.support.api import PASSWORD, Api
from tests.support.logs import LogView
from tests.support.postgres import (
    ReplicatedPair,
    find_pg_bin,
    free_port,
    start_cluster,
    start_replicated_pair,
)
from tests.support.processes import TESSERA, cli_env, run_cli, serve, stop_process
from tests.support.settings import make_settings, selected_backends

needs_postgres = pytest.mark.skipif(
    "postgresql" not in selected_backends() or find_pg_bin() is None,
    reason="the failover drill needs PostgreSQL server binaries",
)

CLIENTS = 6
ACCOUNTS = 12
CLIENT_TIMEOUT_SECONDS = 5.0
BEFORE_KILL_SECONDS = 3.0
PROMOTE_AFTER_SECONDS = 1.0  # how long a failover manager would take to decide
AFTER_RECOVERY_SECONDS = 4.0
DRILL_LIMIT_SECONDS = 60.0
RETRY_PAUSE_SECONDS = 0.1  # faster than Retry-After, so that recovery is timed finely
FUNDS = 10**12
STARTUP_SECONDS = 120.0  # a shared, loaded machine starts uvicorn slowly


@dataclass
class Outcome:
    """What one answer was, and when (monotonic seconds)."""

    sent: float
    at: float
    status: int | str
    key: str
    retry_after: str | None = None
    transfer_id: str | None = None


@dataclass
class Drill:
    lock: threading.Lock = field(default_factory=threading.Lock)
    outcomes: list[Outcome] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    killed_at: float | None = None

    def record(self, outcome: Outcome) -> None:
        with self.lock:
            self.outcomes.append(outcome)


@pytest.fixture
def pair() -> Iterator[ReplicatedPair]:
    replicated = start_replicated_pair()
    try:
        with psycopg.connect(
            f"host=127.0.0.1 port={replicated.primary.port} user=postgres dbname=postgres",
            autocommit=True,
        ) as conn:
            conn.execute("CREATE DATABASE tessera")
        yield replicated
    finally:
        replicated.stop()


def _client(
    drill: Drill, base_urls: list[str], token: str, accounts: list[str], number: int
) -> None:
    """Transfers round the accounts, one key each; a 503 is retried with the same key."""
    headers = {"Authorization": f"Bearer {token}"}
    clients = [
        httpx.Client(base_url=url, headers=headers, timeout=CLIENT_TIMEOUT_SECONDS)
        for url in base_urls
    ]
    try:
        sequence = 0
        while not drill.stop.is_set():
            sequence += 1
            key = f"drill-{number}-{sequence}"
            body = {
                "from_account_id": accounts[(number + sequence) % len(accounts)],
                "to_account_id": accounts[(number + sequence + 1) % len(accounts)],
                "amount": 1 + sequence % 97,
                "currency": "USD",
            }
            attempt = 0
            # Once a key was sent, keep at it until it is answered (even past the stop signal):
            # a 503 leaves its outcome open, and only a retry with the same key settles it.
            while True:
                http = clients[(number + attempt) % len(clients)]
                attempt += 1
                sent = time.monotonic()
                try:
                    response = http.post(
                        "/v1/transfers", json=body, headers={"Idempotency-Key": key}
                    )
                except httpx.TimeoutException:
                    drill.record(Outcome(sent, time.monotonic(), "timeout", key))
                    continue
                except httpx.TransportError as exc:
                    drill.record(Outcome(sent, time.monotonic(), type(exc).__name__, key))
                    time.sleep(RETRY_PAUSE_SECONDS)
                    continue
                outcome = Outcome(
                    sent,
                    time.monotonic(),
                    response.status_code,
                    key,
                    retry_after=response.headers.get("Retry-After"),
                )
                if response.status_code == 201:
                    outcome.transfer_id = response.json()["id"]
                drill.record(outcome)
                if response.status_code != 503 or time.monotonic() > drill_deadline(drill):
                    break
                time.sleep(RETRY_PAUSE_SECONDS)
    finally:
        for http in clients:
            http.close()


def drill_deadline(drill: Drill) -> float:
    return (drill.killed_at or time.monotonic()) + DRILL_LIMIT_SECONDS


def _prepare(base_url: str, admin_email: str) -> tuple[str, list[str]]:
    """A platform admin's token and funded accounts to move money between."""
    with httpx.Client(base_url=base_url, timeout=30) as http:
        signup = http.post(
            "/v1/auth/signup",
            json={
                "email": "drill-holder@example.com",
                "password": PASSWORD,
                "first_name": "Drill",
                "last_name": "Holder",
                "dob": "1980-01-01",
            },
        )
        assert signup.status_code == 201, signup.text
        holder = signup.json()["account_holder"]["id"]
        login = http.post("/v1/auth/login", json={"email": admin_email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        token = str(login.json()["access_token"])
        http.headers["Authorization"] = f"Bearer {token}"
        accounts = []
        for _ in range(ACCOUNTS):
            opened = http.post(
                "/v1/accounts", json={"type": "checking", "currency": "USD", "holder_id": holder}
            )
            assert opened.status_code == 201, opened.text
            accounts.append(opened.json()["id"])
            funded = http.post(
                "/v1/transactions",
                json={
                    "account_id": accounts[-1],
                    "type": "deposit",
                    "amount": FUNDS,
                    "currency": "USD",
                },
            )
            assert funded.status_code == 201, funded.text
    return token, accounts


def _multi_host_url(*ports: int) -> str:
    hosts = "&".join(f"host=127.0.0.1:{port}" for port in ports)
    return f"postgresql+psycopg://postgres@/tessera?{hosts}&target_session_attrs=read-write"


class TestMultiHostUrl:
    def test_the_url_names_every_host_for_libpq(self, tmp_path: Path) -> None:
        settings = make_settings(_multi_host_url(5433, 5434), tmp_path)
        engine = Database(settings.database_url).engine
        _, params = engine.dialect.create_connect_args(engine.url)
        assert params["host"] == "127.0.0.1,127.0.0.1"
        assert params["port"] == "5433,5434"
        assert params["target_session_attrs"] == "read-write"

    def test_no_host_that_accepts_writes_is_a_503_with_retry_after(self, tmp_path: Path) -> None:
        # Both hosts down, as between the primary's loss and the standby's promotion: a request
        # that cannot get a connection is told to retry, whichever path it takes.
        settings = make_settings(_multi_host_url(free_port(), free_port()), tmp_path)
        runtime = build_runtime(settings)
        app = create_app(runtime=runtime)
        token = runtime.access_tokens.issue(
            subject="usr_01M8Z9ZMYVZDYY5FVZXK7DT3DB", firm=DEFAULT_FIRM_ID, now=runtime.now()
        )
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "k1"}
        transfer = {
            "from_account_id": "acc_a",
            "to_account_id": "acc_b",
            "amount": 1,
            "currency": "USD",
        }

        async def scenario() -> list[httpx.Response]:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                return [
                    await http.get("/v1/accounts/acc_a", headers=headers),
                    await http.post("/v1/transfers", json=transfer, headers=headers),
                    await http.post(
                        "/v1/auth/login", json={"email": "a@example.com", "password": PASSWORD}
                    ),
                ]

        try:
            answers = asyncio.run(scenario())
        finally:
            runtime.writer.stop()
            runtime.db.dispose()
        for answer in answers:
            assert answer.status_code == 503, answer.text
            assert answer.headers["Retry-After"] == "1"
            assert answer.json()["error"]["code"] == "unavailable"


_KILL_MY_BACKEND = rawsql.Statement.of("SELECT pg_terminate_backend(pg_backend_pid())")


class TestLostConnection:
    """A connection that dies under a raw-cursor statement is one warning, not a traceback."""

    def test_a_unit_alone_in_its_transaction(
        self, runtime: Runtime, backend: str, logs: LogView
    ) -> None:
        if backend != "postgresql":
            pytest.skip("a server that goes away is PostgreSQL's case")
        writer = Writer(runtime.db, threads=2)  # as on PostgreSQL: a transaction per unit

        def loses_its_connection(session: Session) -> str:
            rawsql.cursor(session).execute(_KILL_MY_BACKEND)
            return "looked fine"

        try:
            with pytest.raises(Unavailable):
                asyncio.run(writer.run(loses_its_connection))
            assert asyncio.run(writer.run(lambda session: "after")) == "after"
        finally:
            writer.stop()
        events = [r["event"] for r in logs.records()]
        assert "writer_batch_failed" in events
        assert "writer_unit_failed" not in events

    def test_a_read_cursor(self, runtime: Runtime, backend: str, logs: LogView) -> None:
        if backend != "postgresql":
            pytest.skip("a server that goes away is PostgreSQL's case")
        with (
            pytest.raises(sa.exc.OperationalError) as lost,
            rawsql.read_cursor(runtime.db.engine) as cursor,
        ):
            cursor.execute(_KILL_MY_BACKEND)
        assert lost.value.connection_invalidated
        # Discarded, not handed back to the pool to fail its rollback (logged as an error).
        assert not [r for r in logs.records() if r["level"] == "error"]
        with rawsql.read_cursor(runtime.db.engine) as cursor:
            assert cursor.one(rawsql.Statement.of("SELECT 1")) == (1,)


class TestReadOnlyServer:
    @needs_postgres
    def test_a_write_on_a_server_that_turned_read_only_is_a_503_and_drops_the_connection(
        self, tmp_path: Path
    ) -> None:
        """A primary fenced in place (``default_transaction_read_only``) keeps its connections.

        Its pooled connections still answer a pre-ping, so the writes on them must be told to
        retry (503, not the 500 of an unexpected InternalError), and the connections discarded:
        the next checkout reconnects, and libpq picks the host that accepts writes. The cluster
        is the test's own: fencing the suite's would fence every test running beside it.
        """
        from fastapi.testclient import TestClient

        from tessera import migrations

        cluster = start_cluster()
        admin_dsn = f"host=127.0.0.1 port={cluster.port} user=postgres dbname=postgres"
        try:
            with psycopg.connect(admin_dsn, autocommit=True) as admin:
                admin.execute("CREATE DATABASE tessera")
            url = cluster.url("tessera")
            migrations.upgrade(url)
            runtime = build_runtime(make_settings(url, tmp_path))
            try:
                with TestClient(create_app(runtime=runtime)) as client:
                    self._fence_and_write(Api(client, runtime), runtime, admin_dsn)
            finally:
                runtime.db.dispose()
        finally:
            cluster.stop()

    @staticmethod
    def _fence_and_write(api: Api, runtime: Runtime, admin_dsn: str) -> None:
        customer = api.customer()
        account = customer.open_account()
        invalidated: list[BaseException | None] = []
        sa.event.listen(
            runtime.db.engine, "invalidate", lambda _c, _r, exc: invalidated.append(exc)
        )
        deposit = {"account_id": account, "type": "deposit", "amount": 500, "currency": "USD"}
        with psycopg.connect(admin_dsn, autocommit=True) as admin:
            admin.execute("ALTER SYSTEM SET default_transaction_read_only = on")
            admin.execute("SELECT pg_reload_conf()")
            try:
                time.sleep(0.5)  # every backend rereads its configuration
                refused = customer.post(
                    "/v1/transactions", json=deposit, headers={"Idempotency-Key": "ro-1"}
                )
            finally:
                admin.execute("ALTER SYSTEM RESET default_transaction_read_only")
                admin.execute("SELECT pg_reload_conf()")
            time.sleep(0.5)
        assert refused.status_code == 503, refused.text
        assert refused.headers["Retry-After"] == "1"
        assert invalidated, "the read-only connection went back to the pool"
        retried = customer.post(
            "/v1/transactions", json=deposit, headers={"Idempotency-Key": "ro-1"}
        )
        assert retried.status_code == 201, retried.text
        assert customer.balance(account) == 500


@pytest.mark.slow
@needs_postgres
class TestFailover:
    def test_primary_lost_under_load_standby_promoted_nothing_acknowledged_is_lost(
        self, pair: ReplicatedPair, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        url = pair.url("tessera", connect_timeout="2")
        settings = make_settings(url, tmp_path)
        env = cli_env(settings)
        migrated = run_cli(settings, "migrate")
        assert migrated.returncode == 0, migrated.stderr
        admin_email = "drill-admin@example.com"
        created = run_cli(
            settings, "admin", "create", "--email", admin_email, "--password", PASSWORD
        )
        assert created.returncode == 0, created.stderr

        worker_log = tmp_path / "worker.log"
        with worker_log.open("wb") as log:
            worker = subprocess.Popen(
                [TESSERA, "worker"], env=env, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            with (
                serve(settings, startup_timeout=STARTUP_SECONDS) as first,
                serve(settings, startup_timeout=STARTUP_SECONDS) as second,
            ):
                servers = [first, second]
                token, accounts = _prepare(first.base_url, admin_email)
                drill = Drill()
                threads = [
                    threading.Thread(
                        target=_client,
                        args=(drill, [s.base_url for s in servers], token, accounts, n),
                        daemon=True,
                    )
                    for n in range(CLIENTS)
                ]
                for thread in threads:
                    thread.start()

                time.sleep(BEFORE_KILL_SECONDS)
                drill.killed_at = time.monotonic()
                pair.primary.kill()
                time.sleep(PROMOTE_AFTER_SECONDS)
                pair.standby.promote()
                promoted_at = time.monotonic()

                recovered_at = _wait_for_recovery(drill)
                time.sleep(AFTER_RECOVERY_SECONDS)
                drill.stop.set()
                for thread in threads:
                    thread.join(DRILL_LIMIT_SECONDS)
                assert not any(t.is_alive() for t in threads), "a client is still waiting"
                # Nobody restarted the API processes: they found the new primary themselves.
                assert all(s.process.poll() is None for s in servers)
                logs = "\n".join(s.output() for s in servers)
            assert worker.poll() is None, worker_log.read_text()[-3000:]
        finally:
            stop_process(worker)

        outcomes = drill.outcomes
        killed_at = drill.killed_at
        statuses = Counter(o.status for o in outcomes)
        before = [o for o in outcomes if o.at < killed_at]
        after = [o for o in outcomes if o.at >= killed_at]
        acknowledged = {o.transfer_id: o.key for o in outcomes if o.status == 201}
        recovery = (recovered_at - killed_at) if recovered_at is not None else None
        with capsys.disabled():
            print(
                f"\n[failover] {len(outcomes)} answers to {CLIENTS} clients on 2 API processes: "
                f"{dict(sorted(statuses.items(), key=str))}; "
                f"before the kill {dict(Counter(o.status for o in before))}, "
                f"after it {dict(Counter(o.status for o in after))}; "
                f"{len(acknowledged)} transfers acknowledged; slowest answer "
                f"{max(o.at - o.sent for o in outcomes):.2f}s; "
                f"standby promoted {promoted_at - killed_at:.2f}s after the kill; "
                + (
                    f"recovered (first 201 after the kill) in {recovery:.2f}s"
                    if recovery is not None
                    else "never recovered"
                )
            )

        assert recovery is not None, logs[-4000:]
        assert recovery < 30
        assert any(o.status == 201 for o in before)
        assert any(o.status == 201 and o.at > recovered_at for o in outcomes)
        # The switch was seen, and seen as a 503 with Retry-After: never a 500, never a hang.
        unavailable = [o for o in outcomes if o.status == 503]
        assert unavailable, "no request fell in the switch"
        assert all(o.retry_after is not None and int(o.retry_after) >= 1 for o in unavailable)
        assert set(statuses) <= {201, 503}, (statuses, logs[-4000:])
        assert "Traceback" not in logs, logs[-4000:]

        # Every acknowledged transfer is on the new primary, with both of its legs.
        with psycopg.connect(
            f"host=127.0.0.1 port={pair.standby.port} user=postgres dbname=tessera"
        ) as conn:
            assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (False,)
            found = {
                row[0]
                for row in conn.execute(
                    "SELECT id FROM transfers WHERE id = ANY(%s)", (list(acknowledged),)
                )
            }
            missing = set(acknowledged) - found
            assert not missing, f"{len(missing)} acknowledged transfers lost"
            balances = conn.execute("SELECT sum(balance) FROM accounts").fetchone()
            assert balances == (ACCOUNTS * FUNDS,)

        verified = run_cli(settings, "ledger", "verify")
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "ledger ok" in verified.stdout


def _wait_for_recovery(drill: Drill) -> float | None:
    """When the first request sent after the kill was answered 201 (None if none in time)."""
    killed_at = drill.killed_at
    assert killed_at is not None
    deadline = killed_at + DRILL_LIMIT_SECONDS
    while time.monotonic() < deadline:
        with drill.lock:
            recovered = [o.at for o in drill.outcomes if o.status == 201 and o.sent >= killed_at]
        if recovered:
            return min(recovered)
        time.sleep(0.05)
    return None
