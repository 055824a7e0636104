"""The worker loop: due jobs run, busy jobs run again, failures do not stop the loop."""

from __future__ import annotations

import threading

from tessera.runtime import Runtime
from tessera.worker.runner import Job, Worker


class TestWorker:
    def test_runs_due_jobs_and_survives_a_failing_one(self, runtime: Runtime) -> None:
        calls: list[str] = []

        def busy(_: Runtime) -> int:
            calls.append("busy")
            return 1 if calls.count("busy") < 3 else 0

        def broken(_: Runtime) -> int:
            calls.append("broken")
            raise RuntimeError("boom")

        worker = Worker(runtime, [Job("busy", busy, 60), Job("broken", broken, 60)])
        assert worker.run_once() == 1
        assert worker.run_once() == 1
        assert worker.run_once() == 0
        # The broken job was called once and then waits for its interval.
        assert calls.count("broken") == 1
        assert calls.count("busy") == 3

    def test_stops_promptly_from_another_thread(self, runtime: Runtime) -> None:
        ran = threading.Event()

        def job(_: Runtime) -> int:
            ran.set()
            return 0

        worker = Worker(runtime, [Job("idle", job, 3600)], idle_sleep=30)
        worker.start_thread()
        assert ran.wait(5)
        worker.stop(timeout=5)
        assert worker.stopping
        assert worker._thread is not None
        assert not worker._thread.is_alive()

    def test_purges_expired_idempotency_keys(self, runtime: Runtime) -> None:
        from datetime import timedelta

        import sqlalchemy as sa

        from tessera.kit import idempotency
        from tessera.models import DEFAULT_FIRM_ID
        from tessera.worker.jobs import purge_idempotency_keys

        with runtime.db.session_scope() as session:
            idempotency.reserve(
                session,
                firm_id=DEFAULT_FIRM_ID,
                principal_id="usr_x",
                key="old",
                request_hash="h",
                now=runtime.now() - timedelta(hours=30),
            )
            idempotency.reserve(
                session,
                firm_id=DEFAULT_FIRM_ID,
                principal_id="usr_x",
                key="new",
                request_hash="h",
                now=runtime.now(),
            )
        purge_idempotency_keys(runtime)
        with runtime.db.engine.connect() as conn:
            keys = conn.execute(sa.text("SELECT key FROM idempotency_keys")).scalars().all()
        assert keys == ["new"]
