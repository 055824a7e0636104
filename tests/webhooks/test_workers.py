"""The worker as it runs for real: embedded in the API process, and as separate ``tessera
worker`` processes that share the work, survive ``kill -9`` and stop cleanly on SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest
import sqlalchemy as sa

from tessera.config import Settings
from tessera.events.service import record_event
from tessera.events.types import EventType
from tessera.models import DEFAULT_FIRM_ID, DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tessera.runtime import Runtime
from tests.support.api import Api, Caller
from tests.support.matching import account_created_event
from tests.support.settings import TEST_JWT_SECRET, TEST_MASTER_KEY, make_settings
from tests.support.webhooks import Receiver, create_endpoint, wait_until
from tests.webhooks.counting_receiver import CountingReceiver

TESSERA = Path(sys.executable).parent / "tessera"


class WorkerProcess:
    """A ``tessera worker`` subprocess on the test's database, its output in a file."""

    def __init__(self, database_url: str, directory: Path, name: str, **settings: object) -> None:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("WEBHOOK_", "DATABASE_", "APP_ENV", "LOG_LEVEL"))
        }
        env.update(
            APP_ENV="test",
            DATABASE_URL=database_url,
            JWT_SECRET=TEST_JWT_SECRET,
            TESSERA_MASTER_KEY=TEST_MASTER_KEY,
            LOG_LEVEL="INFO",
        )
        env.update({k.upper(): str(v) for k, v in settings.items()})
        self.log_path = directory / f"{name}.log"
        self._log: IO[bytes] = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [str(TESSERA), "worker"],
            env=env,
            cwd=directory,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM, then wait for the exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill_hard(self) -> None:
        """kill -9: no chance to clean anything up."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def wait_started(self, timeout: float = 60) -> None:
        """Wait until the worker loop runs (start-up takes seconds on a loaded machine)."""
        wait_until(lambda: '"event": "worker_started"' in self.log(), timeout=timeout)

    def attempts_logged(self) -> int:
        return len(re.findall(r'"event": "webhook_attempt"', self.log()))

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self._log.close()


@pytest.fixture
def workers(database_url: str, tmp_path: Path) -> Iterator[list[WorkerProcess]]:
    started: list[WorkerProcess] = []
    yield started
    for worker in started:
        worker.close()


@pytest.fixture
def counting_receiver() -> Iterator[CountingReceiver]:
    receiver = CountingReceiver().start()
    try:
        yield receiver
    finally:
        receiver.stop()


def record_events(runtime: Runtime, count: int) -> list[str]:
    """``count`` outbox events of the default firm, written in one transaction."""
    with runtime.db.session_scope() as session:
        return [
            record_event(
                session,
                firm_id=DEFAULT_FIRM_ID,
                type=EventType.TRANSACTION_CREATED,
                data={"id": f"txn_{n}", "amount": n + 1, "currency": "USD"},
                now=runtime.now(),
            )
            for n in range(count)
        ]


def delivery_counts(runtime: Runtime) -> dict[str, int]:
    with runtime.db.session_scope(write=False) as session:
        rows = session.execute(
            sa.select(WebhookDelivery.status, sa.func.count()).group_by(WebhookDelivery.status)
        )
        return {status: int(n) for status, n in rows}


def leases_held_by(runtime: Runtime, pid: int) -> tuple[int, int]:
    """(endpoints, deliveries) a worker process holds right now."""
    owner = f"%/{pid}/%"
    with runtime.db.session_scope(write=False) as session:
        endpoints = session.scalar(
            sa.select(sa.func.count())
            .select_from(WebhookEndpoint)
            .where(WebhookEndpoint.lease_token.like(owner))
        )
        deliveries = session.scalar(
            sa.select(sa.func.count())
            .select_from(WebhookDelivery)
            .where(
                WebhookDelivery.claim_token.like(owner),
                WebhookDelivery.status == DeliveryStatus.DELIVERING.value,
            )
        )
    return endpoints or 0, deliveries or 0


class TestEmbeddedWorker:
    @pytest.fixture
    def settings(self, database_url: str, tmp_path: Path) -> Settings:
        return make_settings(database_url, tmp_path, run_worker_in_process=True)

    def test_the_api_process_delivers_by_itself(
        self, api: Api, admin: Caller, receiver: Receiver
    ) -> None:
        endpoint = create_endpoint(admin, receiver.url())
        customer = api.customer()
        account = customer.open_account()
        wait_until(lambda: len(receiver.received) == 1, timeout=15)
        assert receiver.bodies() == [
            account_created_event(firm=admin.firm_id, account=account, holder_id=customer.holder_id)
        ]

        def delivered() -> bool:
            items = admin.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries").json()
            return [d["status"] for d in items["items"]] == ["succeeded"]

        wait_until(delivered, timeout=10)


@pytest.mark.slow
class TestWorkerProcesses:
    def test_three_workers_deliver_a_thousand_events_without_duplicates(
        self,
        backend: str,
        database_url: str,
        tmp_path: Path,
        admin: Caller,
        runtime: Runtime,
        counting_receiver: CountingReceiver,
        workers: list[WorkerProcess],
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        if backend != "postgresql":
            pytest.skip("several worker processes are the PostgreSQL deployment")
        # One worker serves an endpoint at a time, and a worker that finishes a batch claims
        # again at once. Six endpoints for 3 x 2 sending threads means that whatever two
        # workers hold, the third always finds an endpoint free when it looks.
        paths = [f"/endpoint-{n}" for n in range(6)]
        for path in paths:
            create_endpoint(admin, counting_receiver.url(path))
        # All three workers are running before the events exist, so that each gets a share.
        for n in range(3):
            workers.append(
                WorkerProcess(database_url, tmp_path, f"worker-{n}", webhook_concurrency=2)
            )
        for worker in workers:
            worker.wait_started()
        event_ids = record_events(runtime, 1000)
        expected = {(path, event_id) for path in paths for event_id in event_ids}
        wait_until(
            lambda: delivery_counts(runtime).get("succeeded", 0) == len(expected),
            timeout=180,
            interval=0.2,
        )
        exit_codes = [w.terminate() for w in workers]

        duplicates = counting_receiver.duplicates
        per_worker = [w.attempts_logged() for w in workers]
        with capsys.disabled():  # the figure is part of what this test reports
            print(
                f"\n3 workers, {len(expected)} deliveries: duplicates={duplicates}, "
                f"attempts per worker={per_worker}"
            )
        assert exit_codes == [0, 0, 0]
        assert set(counting_receiver.counts) == expected
        assert duplicates == 0
        assert sum(per_worker) == len(expected)
        assert all(n > 0 for n in per_worker)
        assert delivery_counts(runtime) == {"succeeded": len(expected)}

    def test_a_worker_killed_mid_batch_loses_nothing(
        self,
        database_url: str,
        tmp_path: Path,
        admin: Caller,
        runtime: Runtime,
        workers: list[WorkerProcess],
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        receiver = CountingReceiver(delay_seconds=0.005).start()
        try:
            paths = ["/a", "/b"]
            for path in paths:
                create_endpoint(admin, receiver.url(path))
            event_ids = record_events(runtime, 300)
            expected = {(path, event_id) for path in paths for event_id in event_ids}
            lease = {
                "webhook_concurrency": 1,
                "webhook_lease_seconds": 3,
                "webhook_connect_timeout_seconds": 0.5,
                "webhook_read_timeout_seconds": 1,
            }
            doomed = WorkerProcess(database_url, tmp_path, "doomed", **lease)
            workers.append(doomed)

            wait_until(lambda: receiver.total >= 50, timeout=60)
            wait_until(lambda: leases_held_by(runtime, doomed.pid)[1] > 0, timeout=10, interval=0)
            doomed.kill_hard()
            endpoints_held, deliveries_held = leases_held_by(runtime, doomed.pid)
            sent_before = receiver.total
            assert endpoints_held == 1  # it died holding an endpoint...
            assert deliveries_held > 0  # ...and deliveries it had not finished
            assert sent_before < len(expected)

            workers.append(WorkerProcess(database_url, tmp_path, "successor", **lease))
            wait_until(
                lambda: delivery_counts(runtime).get("succeeded", 0) == len(expected),
                timeout=120,
                interval=0.2,
            )
            assert workers[-1].terminate() == 0
        finally:
            receiver.stop()

        duplicates = receiver.duplicates
        with capsys.disabled():
            print(
                f"\nkill -9 after {sent_before} of {len(expected)} deliveries: "
                f"{deliveries_held} orphaned, duplicates={duplicates}"
            )
        assert set(receiver.counts) == expected  # every event reached every endpoint
        assert duplicates <= 1  # at most the one request in flight when it died
        assert delivery_counts(runtime) == {"succeeded": len(expected)}
        assert leases_held_by(runtime, doomed.pid) == (0, 0)

    def test_sigterm_finishes_the_delivery_in_flight_and_exits(
        self,
        database_url: str,
        tmp_path: Path,
        admin: Caller,
        runtime: Runtime,
        receiver: Receiver,
        workers: list[WorkerProcess],
    ) -> None:
        endpoint = create_endpoint(admin, receiver.url())
        record_events(runtime, 5)
        receiver.delay_seconds = 1.0
        worker = WorkerProcess(
            database_url,
            tmp_path,
            "worker",
            webhook_concurrency=1,
            webhook_read_timeout_seconds=5,
        )
        workers.append(worker)
        assert receiver.arrived.wait(60), worker.log()

        started = time.monotonic()
        exit_code = worker.terminate(timeout=20)

        assert exit_code == 0, worker.log()
        assert time.monotonic() - started < 10
        assert len(receiver.received) == 1
        with runtime.db.session_scope(write=False) as session:
            rows = list(
                session.scalars(
                    sa.select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint["id"])
                )
            )
            holder = session.get(WebhookEndpoint, endpoint["id"])
            assert holder is not None
            assert holder.lease_token is None
        by_status = sorted(r.status for r in rows)
        assert by_status == ["pending"] * 4 + ["succeeded"]
        done = next(r for r in rows if r.status == "succeeded")
        assert done.event_id == receiver.received[0].json()["id"]
        assert done.last_status_code == 200
        assert all(r.claim_token is None for r in rows)
        assert '"event": "worker_stopped"' in worker.log()
