"""Webhook delivery throughput: deliveries/s to a local receiver, 1 and 3 worker processes.

    .venv/bin/python bench/webhooks.py [--events 2000] [--endpoints 8] [--concurrency 4]

For each row: a fresh database, ``--endpoints`` endpoints of one firm (all on one receiver on
127.0.0.1 that answers 200 at once), ``--events`` events written to the outbox in one
transaction, then N ``tessera worker`` processes started. The figure is deliveries (events x
endpoints) divided by the time from the first delivery received to the last, so process
start-up is left out; fan-out, claiming, signing, HTTP and recording are all in. PostgreSQL is a
throwaway cluster (fsync off, as in the tests); SQLite is a file in WAL mode.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from tests.support.postgres import start_cluster  # noqa: E402
from tests.webhooks.counting_receiver import CountingReceiver  # noqa: E402

from tessera import migrations  # noqa: E402
from tessera.config import AppEnv, Settings  # noqa: E402
from tessera.events.service import record_event  # noqa: E402
from tessera.events.types import EventType  # noqa: E402
from tessera.models import DEFAULT_FIRM_ID, DeliveryStatus, Role, WebhookDelivery  # noqa: E402
from tessera.principal import ROLE_SCOPES, Principal  # noqa: E402
from tessera.runtime import build_runtime  # noqa: E402
from tessera.webhooks import service  # noqa: E402

JWT_SECRET = "bench-jwt-secret-0123456789-abcdefghijklmnop"
MASTER_KEY = "dGVzc2VyYS10ZXN0LW1hc3Rlci1rZXktMzItYnl0ZXM="
TESSERA = Path(sys.executable).parent / "tessera"
DEADLINE_SECONDS = 300


@dataclass
class Result:
    backend: str
    workers: int
    concurrency: int
    endpoints: int
    deliveries: int
    seconds: float
    duplicates: int
    worker_cpu_seconds: float

    @property
    def cpu_ms_per_delivery(self) -> float:
        return 1000 * self.worker_cpu_seconds / self.deliveries if self.deliveries else 0.0

    @property
    def rate(self) -> float:
        return self.deliveries / self.seconds if self.seconds else float("nan")


def run(
    url: str, backend: str, *, workers: int, events: int, endpoints: int, concurrency: int
) -> Result:
    migrations.upgrade(url)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        app_env=AppEnv.TEST,
        database_url=url,
        jwt_secret=JWT_SECRET,
        master_key=MASTER_KEY,
    )
    runtime = build_runtime(settings)
    receiver = CountingReceiver().start()
    admin = Principal(
        kind="user",
        id="bench",
        firm_id=DEFAULT_FIRM_ID,
        role=Role.FIRM_ADMIN,
        scopes=ROLE_SCOPES[Role.FIRM_ADMIN],
    )
    with runtime.db.session_scope() as session:
        for n in range(endpoints):
            service.create_endpoint(
                session,
                runtime.keyring,
                principal=admin,
                url=receiver.url(f"/e{n}"),
                events=["*"],
                description=None,
                allow_private=True,
                now=runtime.now(),
            )
    with runtime.db.session_scope() as session:
        for n in range(events):
            record_event(
                session,
                firm_id=DEFAULT_FIRM_ID,
                type=EventType.TRANSACTION_CREATED,
                data={"id": f"txn_{n}", "amount": n, "currency": "USD"},
                now=runtime.now(),
            )
    expected = events * endpoints
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("WEBHOOK_", "DATABASE_"))},
        "APP_ENV": "test",
        "DATABASE_URL": url,
        "JWT_SECRET": JWT_SECRET,
        "TESSERA_MASTER_KEY": MASTER_KEY,
        "LOG_LEVEL": "WARNING",
        "RUN_WORKER_IN_PROCESS": "false",
        "WEBHOOK_CONCURRENCY": str(concurrency),
    }
    with tempfile.TemporaryDirectory() as scratch:
        procs = [
            subprocess.Popen(
                [str(TESSERA), "worker"],
                env=env,
                cwd=scratch,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(workers)
        ]
        cpu = 0.0
        try:
            deadline = time.monotonic() + DEADLINE_SECONDS
            while True:
                with runtime.db.session_scope(write=False) as session:
                    done = session.scalar(
                        sa.select(sa.func.count())
                        .select_from(WebhookDelivery)
                        .where(WebhookDelivery.status == DeliveryStatus.SUCCEEDED.value)
                    )
                if done == expected:
                    break
                if time.monotonic() > deadline:
                    raise SystemExit(f"only {done} of {expected} delivered in time")
                time.sleep(0.05)
            for proc in procs:
                times = psutil.Process(proc.pid).cpu_times()
                cpu += times.user + times.system
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
    receiver.stop()
    runtime.db.dispose()
    if receiver.first_at is None or receiver.last_at is None:
        raise SystemExit("the receiver saw nothing")
    return Result(
        backend,
        workers,
        concurrency,
        endpoints,
        receiver.total,
        receiver.last_at - receiver.first_at,
        receiver.duplicates,
        cpu,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--endpoints", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=4, help="threads per worker")
    args = parser.parse_args()
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as scratch:
        for workers in (1, 3):
            url = f"sqlite:///{scratch}/bench-{workers}.db"
            results.append(
                run(
                    url,
                    "sqlite",
                    workers=workers,
                    events=args.events,
                    endpoints=args.endpoints,
                    concurrency=args.concurrency,
                )
            )
    cluster = start_cluster()
    try:
        admin = sa.create_engine(cluster.admin_url, isolation_level="AUTOCOMMIT")
        for workers in (1, 3):
            name = f"bench_webhooks_{workers}"
            with admin.connect() as conn:
                conn.execute(sa.text(f"CREATE DATABASE {name}"))
            results.append(
                run(
                    cluster.url(name),
                    "postgresql",
                    workers=workers,
                    events=args.events,
                    endpoints=args.endpoints,
                    concurrency=args.concurrency,
                )
            )
        admin.dispose()
    finally:
        cluster.stop()
    print(
        f"{'backend':<11} {'workers':>7} {'threads':>7} {'endpoints':>9} "
        f"{'deliveries':>10} {'seconds':>8} {'deliveries/s':>12} {'duplicates':>10} "
        f"{'worker CPU ms/delivery':>22}"
    )
    for r in results:
        print(
            f"{r.backend:<11} {r.workers:>7} {r.concurrency:>7} {r.endpoints:>9} "
            f"{r.deliveries:>10} {r.seconds:>8.2f} {r.rate:>12.0f} {r.duplicates:>10} "
            f"{r.cpu_ms_per_delivery:>22.2f}"
        )


if __name__ == "__main__":
    main()
