"""The writer: one thread that owns the write path and commits many requests together.

Request handlers submit a unit of work (a function of a ``Session``) and await its result. The
writer thread takes every unit that is waiting, opens one database transaction, runs each unit in
its own savepoint (so a unit that fails rolls back alone, with its error), commits once, and only
then hands each handler its result. That is group commit: on SQLite's single writer, a hundred
transfers cost one ``BEGIN IMMEDIATE`` and one ``COMMIT`` instead of a hundred, and no request
thread ever waits on the database's write lock.

The guarantees:

- **Nothing is acknowledged before its commit.** A unit's result is released only after the
  ``COMMIT`` that holds it returned. If the commit fails, every unit of the batch gets 503
  ``unavailable`` (nothing of theirs was kept, or, after a lost connection, the client must retry
  with its ``Idempotency-Key`` to learn the outcome).
- **Bounded waiting.** A unit that waited longer than its deadline before the writer reached it
  (the request's deadline, counted from its arrival: see ``tessera.overload``) is not run at
  all and gets 503 ``overloaded`` with ``Retry-After``: answering late is worse
  than answering "try again" at once, and nothing was changed. The queue also has a hard length.
- **One writer per process.** On SQLite the writer's transactions take the same in-process write
  lock as any other writing session (see ``tessera.db``), so the two never fight inside SQLite.
  On PostgreSQL each process has its own writer; row locks order them.

On PostgreSQL the writer runs several threads, each taking one unit at a time in a transaction
of its own (``threads > 1`` forces ``max_batch = 1``): there the cost of a transfer is its round
trips, which overlap across threads, while batching on one connection would serialise them.
Batches on several threads could also deadlock one another (each unit locks its accounts in
order, but two batches of several units would not), which single units cannot. ``make bench``
measured the choice (bench/README.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

from tessera import rawsql
from tessera.db import Database, is_read_only_error
from tessera.errors import Overloaded, TesseraError, Unavailable
from tessera.observability import get_logger
from tessera.overload import start_by

log = get_logger(__name__)

_SAVEPOINT = rawsql.Statement.of("SAVEPOINT tessera_unit")
_RELEASE = rawsql.Statement.of("RELEASE SAVEPOINT tessera_unit")
_ROLLBACK_TO = rawsql.Statement.of("ROLLBACK TO SAVEPOINT tessera_unit")

T = TypeVar("T")

Work = Callable[[Session], T]


@dataclass(slots=True)
class _Unit(Generic[T]):
    work: Work[T]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[T]
    deadline: float
    context: contextvars.Context | None = None
    result: Any = None
    error: BaseException | None = None


@dataclass
class WriterStats:
    """Counters for the metrics endpoint and the benchmarks."""

    batches: int = 0
    units: int = 0
    expired: int = 0
    largest_batch: int = 0
    sizes: dict[int, int] = field(default_factory=dict)


class Writer:
    """Runs units of work on one thread, many to a transaction (see the module doc)."""

    def __init__(
        self,
        db: Database,
        *,
        threads: int = 1,
        max_batch: int = 256,
        max_queue: int = 4096,
        deadline_seconds: float = 2.0,
        on_batch: Callable[[int, float], None] | None = None,
    ) -> None:
        self._db = db
        self._threads_wanted = threads
        self._max_batch = 1 if threads > 1 else max_batch
        self._max_queue = max_queue
        self._deadline = deadline_seconds
        self._queue: queue.SimpleQueue[_Unit[Any] | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._stopping = False
        self._on_batch = on_batch
        self.stats = WriterStats()

    # --- the request side ------------------------------------------------------------------

    async def run(self, work: Work[T], *, deadline_seconds: float | None = None) -> T:
        """Run ``work`` in the next batch and return its result once that batch committed.

        ``work`` runs on the writer thread inside a savepoint; it raises a ``TesseraError`` to
        fail alone. It must return plain data (or objects it will not lazy-load from later).
        """
        if self._stopping:
            raise Unavailable("The service is shutting down; retry shortly.", retry_after=1)
        self._ensure_started()
        if self._queue.qsize() >= self._max_queue:
            self.stats.expired += 1
            raise Overloaded()
        loop = asyncio.get_running_loop()
        unit: _Unit[T] = _Unit(
            work=work,
            loop=loop,
            future=loop.create_future(),
            deadline=_deadline(deadline_seconds or self._deadline),
            # The unit runs in the request's context: its log lines and audit entries carry
            # the request id and the caller's address.
            context=contextvars.copy_context(),
        )
        self._queue.put(unit)
        # Not shielded from cancellation on purpose: a client that went away no longer waits,
        # but the unit still runs and commits (its Idempotency-Key lets the client find out).
        return await unit.future

    # --- lifecycle ---------------------------------------------------------------------------

    def _ensure_started(self) -> None:
        if self._threads:
            return
        with self._lock:
            if not self._threads:
                threads = [
                    threading.Thread(target=self._loop, name=f"tessera-writer-{n}", daemon=True)
                    for n in range(self._threads_wanted)
                ]
                for thread in threads:
                    thread.start()
                self._threads = threads

    def start(self) -> None:
        """Start the writer's threads (they also start on the first unit)."""
        self._ensure_started()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish what was submitted, then stop the threads."""
        self._stopping = True
        threads = self._threads
        if not threads:
            self._stopping = False
            return
        for _ in threads:
            self._queue.put(None)  # one stop marker for each thread
        ends = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, ends - time.monotonic()))
        self._threads = []
        self._stopping = False  # a later unit starts new threads (tests reuse a runtime)

    # --- the writer thread -------------------------------------------------------------------

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                if self._drain_after_stop():
                    return
                continue
            batch: list[_Unit[Any]] = [first]
            stop_seen = False
            while len(batch) < self._max_batch:
                try:
                    unit = self._queue.get_nowait()
                except queue.Empty:
                    break
                if unit is None:
                    stop_seen = True
                    break
                batch.append(unit)
            self._run_batch(batch)
            if stop_seen and self._drain_after_stop():
                return

    def _drain_after_stop(self) -> bool:
        """After the stop marker: run what is left; True when the thread may end."""
        left: list[_Unit[Any]] = []
        markers = 0
        while True:
            try:
                unit = self._queue.get_nowait()
            except queue.Empty:
                break
            if unit is None:
                markers += 1  # another thread's stop marker: it gets it back below
            else:
                left.append(unit)
        for _ in range(markers):
            self._queue.put(None)
        for start in range(0, len(left), self._max_batch):
            self._run_batch(left[start : start + self._max_batch])
        return True

    def _run_batch(self, batch: list[_Unit[Any]]) -> None:
        now = time.monotonic()
        live: list[_Unit[Any]] = []
        for unit in batch:
            if unit.future.cancelled():
                # The handler is gone (client disconnected before we started): nothing to do,
                # and nothing was done.
                continue
            if unit.deadline < now:
                unit.error = Overloaded()
                self.stats.expired += 1
            else:
                live.append(unit)
        started = time.perf_counter()
        if len(live) == 1 and self._max_batch == 1:
            self._apply_alone(live[0])
        elif live:
            self._apply(live)
        if live:
            with self._lock:  # several threads count here
                self.stats.batches += 1
                self.stats.units += len(live)
                self.stats.largest_batch = max(self.stats.largest_batch, len(live))
        if self._on_batch is not None and live:
            self._on_batch(len(live), time.perf_counter() - started)
        self._resolve(batch)

    def _apply(self, live: list[_Unit[Any]]) -> None:
        session = self._db.session(write=True)
        connection: Connection | None = None
        try:
            connection = session.connection()  # begins the batch's transaction
            rawsql.pin_cursor(session)  # one transaction, one connection: see rawsql
            for unit in live:
                _run_unit(session, unit)
            session.commit()
        except Exception as exc:
            # The transaction as a whole did not commit: no unit of it may claim success.
            log.warning("writer_batch_failed", units=len(live), error=type(exc).__name__)
            if connection is not None and is_read_only_error(exc):
                # Statements on the pinned cursor bypass SQLAlchemy's error handling (see
                # tessera.db): discard this connection here, so the next batch reconnects.
                with contextlib.suppress(Exception):  # the writer thread must go on
                    connection.invalidate(exc)
            with contextlib.suppress(Exception):  # the connection may already be gone
                session.rollback()
            failure: TesseraError = exc if isinstance(exc, Overloaded) else _unconfirmed()
            for unit in live:
                unit.result = None
                unit.error = failure
        finally:
            session.close()

    def _apply_alone(self, unit: _Unit[Any]) -> None:
        """One unit in a transaction of its own: no savepoint, its error is the batch's."""
        session = self._db.session(write=True)
        connection: Connection | None = None
        try:
            connection = session.connection()  # begins the unit's transaction
            rawsql.pin_cursor(session)
            try:
                _call(session, unit)
            except TesseraError as exc:
                unit.error = exc
                if exc.commit:
                    session.commit()  # what the error keeps (a failed login's audit entry)
                else:
                    session.rollback()
                return
            except SQLAlchemyError as exc:
                if _connection_lost(exc) or is_read_only_error(exc):
                    raise
                log.exception("writer_unit_failed")
                unit.error = exc
                session.rollback()
                return
            except Exception as exc:
                log.exception("writer_unit_failed")
                unit.error = exc
                session.rollback()
                return
            session.commit()
        except Exception as exc:
            log.warning("writer_batch_failed", units=1, error=type(exc).__name__)
            if connection is not None and is_read_only_error(exc):
                with contextlib.suppress(Exception):  # as in _apply
                    connection.invalidate(exc)
            with contextlib.suppress(Exception):
                session.rollback()
            unit.result = None
            unit.error = exc if isinstance(exc, Overloaded) else _unconfirmed()
        finally:
            session.close()

    def _resolve(self, batch: list[_Unit[Any]]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[_Unit[Any]]] = {}
        for unit in batch:
            by_loop.setdefault(unit.loop, []).append(unit)
        for loop, units in by_loop.items():
            # A loop that closed under us (shutdown) has nobody left to answer.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, units)


def _deadline(seconds: float) -> float:
    """When the unit must have started: ``seconds`` from now, or the request's own deadline
    when that is sooner (time already spent waiting for admission counts)."""
    own = time.monotonic() + seconds
    request = start_by()
    return own if request is None else min(own, request)


def _unconfirmed() -> Unavailable:
    return Unavailable(
        "The database did not confirm this change; retry with the same Idempotency-Key.",
        retry_after=1,
    )


def _call(session: Session, unit: _Unit[Any]) -> None:
    if unit.context is None:
        unit.result = unit.work(session)
    else:
        unit.result = unit.context.run(unit.work, session)


def _run_unit(session: Session, unit: _Unit[Any]) -> None:
    """One unit in its own savepoint: kept when it returns, rolled back alone when it fails.

    The session's nested transaction says SAVEPOINT only when the ORM next needs the connection,
    and a unit that speaks through the pinned cursor (tessera.rawsql) never does: alone, it
    would roll back nothing of such a unit, and on PostgreSQL one failed statement would abort
    the whole batch. So the unit's savepoint is said on the cursor itself (asking the session for
    its connection to force one costs ~0.45 ms a unit, the cursor ~0.01 ms); the nested
    transaction stays for the ORM's bookkeeping and, if the unit uses the ORM, its own
    savepoint inside ours.
    """
    cursor = rawsql.cursor(session)
    savepoint = session.begin_nested()
    cursor.execute(_SAVEPOINT)

    def keep() -> None:
        savepoint.commit()
        cursor.execute(_RELEASE)

    def undo() -> None:
        savepoint.rollback()
        cursor.execute(_ROLLBACK_TO)
        cursor.execute(_RELEASE)

    try:
        _call(session, unit)
    except TesseraError as exc:
        # Some errors keep what was recorded before them (a failed login's audit entry).
        if exc.commit:
            keep()
        else:
            undo()
        unit.error = exc
    except SQLAlchemyError as exc:
        if _connection_lost(exc) or is_read_only_error(exc):
            raise  # the whole batch is lost with its connection
        undo()
        log.exception("writer_unit_failed")
        unit.error = exc
    except Exception as exc:
        undo()
        log.exception("writer_unit_failed")
        unit.error = exc
    else:
        keep()


def _settle(units: list[_Unit[Any]]) -> None:
    for unit in units:
        if unit.future.done():
            continue
        if unit.error is not None:
            unit.future.set_exception(unit.error)
        else:
            unit.future.set_result(unit.result)


def _connection_lost(exc: SQLAlchemyError) -> bool:
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)
