"""The worker loop: run each registered job when it is due, until told to stop.

A job claims its work from database tables, so any number of workers can run side by side
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite one writer at a time anyway), and a worker
that dies loses nothing: unfinished work is still in the tables. A job that found work runs
again at once; an idle one waits for its interval. Stopping lets the job in progress finish.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tessera.observability import get_logger
from tessera.runtime import Runtime

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Job:
    """A unit of background work: ``run`` processes one batch and says how many items it did.

    A job whose batches can take long (many network calls) gives ``stop``: the worker calls it
    when asked to stop, and the job then finishes the item in flight and returns early.
    """

    name: str
    run: Callable[[Runtime], int]
    interval_seconds: float
    stop: Callable[[], None] | None = None


class Worker:
    """Runs jobs in a loop on the calling thread (or a thread of its own, for embedded mode)."""

    def __init__(self, runtime: Runtime, jobs: Sequence[Job], *, idle_sleep: float = 0.5) -> None:
        self.runtime = runtime
        self.jobs = list(jobs)
        self.idle_sleep = idle_sleep
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_due = dict.fromkeys((job.name for job in self.jobs), 0.0)

    def run_once(self) -> int:
        """Run every due job once; returns the number of items processed."""
        done = 0
        now = time.monotonic()
        for job in self.jobs:
            if self._stop.is_set():
                break
            if self._next_due[job.name] > now:
                continue
            try:
                count = job.run(self.runtime)
            except Exception:
                log.exception("worker_job_failed", job=job.name)
                count = 0
            done += count
            self._next_due[job.name] = (
                time.monotonic() if count else time.monotonic() + job.interval_seconds
            )
        return done

    def run_forever(self) -> None:
        """Loop until ``stop()``; sleeps only when no job found work."""
        log.info("worker_started", jobs=[job.name for job in self.jobs])
        while not self._stop.is_set():
            if self.run_once() == 0:
                self._stop.wait(self._sleep_time())
        log.info("worker_stopped")

    def _sleep_time(self) -> float:
        soonest = min(self._next_due.values(), default=time.monotonic() + self.idle_sleep)
        return max(0.01, min(self.idle_sleep, soonest - time.monotonic()))

    def start_thread(self) -> None:
        """Run the loop on a daemon thread (embedded mode)."""
        self._thread = threading.Thread(target=self.run_forever, name="tessera-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the loop to stop after the current job, and wait for its thread."""
        self._stop.set()
        for job in self.jobs:
            if job.stop is not None:
                job.stop()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()
