"""The writer: group commit with one savepoint per unit, answered only after the commit."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tessera import rawsql
from tessera.errors import Overloaded, RuleViolation, TesseraError, Unavailable
from tessera.models import DEFAULT_FIRM_ID, Event
from tessera.runtime import Runtime
from tessera.writer import Writer
from tests.support.logs import LogView


def _add_event(name: str) -> Callable[[Session], str]:
    def work(session: Session) -> str:
        session.add(
            Event(id=f"evt_{name}", firm_id=DEFAULT_FIRM_ID, type="test.unit", data={"n": name})
        )
        session.flush()
        return name

    return work


_RAW_INSERT = rawsql.Statement.of(
    "INSERT INTO events (id, firm_id, type, data, created_at) VALUES (?, ?, ?, ?, ?)"
)


def _add_raw_event(name: str) -> Callable[[Session], str]:
    """Like ``_add_event``, through the writer's pinned driver cursor (as the money path does)."""

    def work(session: Session) -> str:
        cursor = rawsql.cursor(session)
        cursor.execute(
            _RAW_INSERT,
            (
                f"evt_{name}",
                DEFAULT_FIRM_ID,
                "test.unit",
                cursor.json({"n": name}),
                cursor.stamp(datetime.now(UTC)),
            ),
        )
        return name

    return work


def _stored(runtime: Runtime) -> set[str]:
    with runtime.db.session_scope(write=False) as session:
        return set(session.scalars(sa.select(Event.id).where(Event.type == "test.unit")))


class _Gate:
    """A unit that holds the writer thread until released, so that others pile up behind it."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, session: Session) -> str:
        self.entered.set()
        assert self.release.wait(10)
        return "gate"


@pytest.fixture
def writer(runtime: Runtime) -> Writer:
    w = Writer(runtime.db, max_batch=64, deadline_seconds=5)
    yield w  # type: ignore[misc]
    w.stop()


async def _behind_gate(writer: Writer, *works: Callable[[Session], object]) -> list[object]:
    """Submit ``works`` while the writer is held, then release it: they form one batch."""
    gate = _Gate()
    held = asyncio.ensure_future(writer.run(gate))
    await asyncio.to_thread(gate.entered.wait, 10)
    tasks = [asyncio.ensure_future(writer.run(w)) for w in works]
    await asyncio.sleep(0.05)  # let every submission reach the queue
    gate.release.set()
    await held
    return await asyncio.gather(*tasks, return_exceptions=True)


class TestGroupCommit:
    def test_waiting_units_share_one_transaction(self, runtime: Runtime, writer: Writer) -> None:
        results = asyncio.run(_behind_gate(writer, *(_add_event(f"u{i}") for i in range(20))))
        assert results == [f"u{i}" for i in range(20)]
        assert _stored(runtime) == {f"evt_u{i}" for i in range(20)}
        # The gate's batch, then one batch for all twenty.
        assert writer.stats.batches == 2
        assert writer.stats.largest_batch == 20

    def test_a_failing_unit_rolls_back_alone(self, runtime: Runtime, writer: Writer) -> None:
        def fails(session: Session) -> str:
            _add_event("bad")(session)
            raise RuleViolation("no", code="test_refused")

        results = asyncio.run(_behind_gate(writer, _add_event("a"), fails, _add_event("c")))
        assert results[0] == "a"
        assert isinstance(results[1], RuleViolation)
        assert results[2] == "c"
        assert _stored(runtime) == {"evt_a", "evt_c"}

    def test_a_unit_that_wrote_through_the_raw_cursor_rolls_back_alone(
        self, runtime: Runtime, writer: Writer
    ) -> None:
        def fails(session: Session) -> str:
            _add_raw_event("bad")(session)
            raise RuleViolation("no", code="test_refused")

        results = asyncio.run(_behind_gate(writer, _add_raw_event("a"), fails, _add_raw_event("c")))
        assert results[0] == "a"
        assert isinstance(results[1], RuleViolation)
        assert results[2] == "c"
        assert _stored(runtime) == {"evt_a", "evt_c"}

    def test_a_failed_raw_statement_leaves_the_rest_of_the_batch_working(
        self, runtime: Runtime, writer: Writer
    ) -> None:
        # On PostgreSQL a failed statement aborts the transaction unless it ran in a savepoint:
        # every later unit of the batch would fail with "current transaction is aborted" (a 500).
        results = asyncio.run(
            _behind_gate(
                writer, _add_raw_event("first"), _add_raw_event("first"), _add_raw_event("next")
            )
        )
        assert results[0] == "first"
        assert isinstance(results[1], sa.exc.IntegrityError)
        assert results[2] == "next"
        assert _stored(runtime) == {"evt_first", "evt_next"}

    def test_an_unexpected_exception_rolls_back_alone(
        self, runtime: Runtime, writer: Writer
    ) -> None:
        def breaks(session: Session) -> str:
            _add_event("broken")(session)
            raise KeyError("bug")

        results = asyncio.run(_behind_gate(writer, breaks, _add_event("fine")))
        assert isinstance(results[0], KeyError)
        assert results[1] == "fine"
        assert _stored(runtime) == {"evt_fine"}

    def test_an_error_that_commits_keeps_what_it_recorded(
        self, runtime: Runtime, writer: Writer
    ) -> None:
        class Recorded(TesseraError):
            status = 401
            commit = True

        def audited_failure(session: Session) -> str:
            _add_event("kept")(session)
            raise Recorded()

        (result,) = asyncio.run(_behind_gate(writer, audited_failure))
        assert isinstance(result, Recorded)
        assert _stored(runtime) == {"evt_kept"}


class TestNothingBeforeTheCommit:
    def test_a_failed_commit_fails_every_unit_and_keeps_nothing(
        self, runtime: Runtime, writer: Writer, backend: str
    ) -> None:
        def breaks_the_commit(session: Session) -> str:
            if backend == "sqlite":
                # A foreign key checked only at COMMIT: the commit itself fails.
                session.execute(sa.text("PRAGMA defer_foreign_keys = ON"))
                session.add(
                    Event(id="evt_orphan", firm_id="firm_missing", type="test.unit", data={})
                )
                session.flush()
            else:
                # The connection dies under the batch, before its COMMIT.
                session.execute(sa.text("SELECT pg_terminate_backend(pg_backend_pid())"))
            return "looked fine"

        results = asyncio.run(
            _behind_gate(writer, _add_event("one"), breaks_the_commit, _add_event("two"))
        )
        assert all(isinstance(r, Unavailable) for r in results), results
        assert all(r.headers.get("Retry-After") for r in results if isinstance(r, TesseraError))
        assert _stored(runtime) == set()
        # The writer goes on with a fresh connection.
        assert asyncio.run(writer.run(_add_event("after"))) == "after"
        assert _stored(runtime) == {"evt_after"}

    def test_a_connection_lost_under_the_raw_cursor_fails_the_batch_at_once(
        self, runtime: Runtime, writer: Writer, backend: str, logs: LogView
    ) -> None:
        if backend != "postgresql":
            pytest.skip("a server that goes away is PostgreSQL's case")
        kill = rawsql.Statement.of("SELECT pg_terminate_backend(pg_backend_pid())")

        def loses_its_connection(session: Session) -> str:
            rawsql.cursor(session).execute(kill)
            return "looked fine"

        def after_the_loss(session: Session) -> str:
            rawsql.cursor(session).execute(rawsql.Statement.of("SELECT 1"))
            return "never"

        results = asyncio.run(_behind_gate(writer, loses_its_connection, after_the_loss))
        assert all(isinstance(r, Unavailable) for r in results), results
        # The loss is one warning for the batch, not a traceback per unit (as a bug would be).
        events = [r["event"] for r in logs.records()]
        assert "writer_batch_failed" in events
        assert "writer_unit_failed" not in events
        assert asyncio.run(writer.run(_add_event("after"))) == "after"


class TestBoundedWaiting:
    def test_a_unit_past_its_deadline_is_not_run(self, runtime: Runtime) -> None:
        writer = Writer(runtime.db, deadline_seconds=0.05)
        ran: list[str] = []

        def late(session: Session) -> str:
            ran.append("late")
            return "late"

        async def scenario() -> object:
            gate = _Gate()
            held = asyncio.ensure_future(writer.run(gate, deadline_seconds=10))
            await asyncio.to_thread(gate.entered.wait, 10)
            task = asyncio.ensure_future(writer.run(late))
            await asyncio.sleep(0.2)  # past the deadline while the writer is busy
            gate.release.set()
            await held
            return (await asyncio.gather(task, return_exceptions=True))[0]

        try:
            result = asyncio.run(scenario())
        finally:
            writer.stop()
        assert isinstance(result, Overloaded)
        assert result.status == 503
        assert result.headers["Retry-After"] == "1"
        assert ran == []

    def test_a_full_queue_answers_at_once(self, runtime: Runtime) -> None:
        writer = Writer(runtime.db, max_queue=2, deadline_seconds=10)

        async def scenario() -> list[object]:
            gate = _Gate()
            held = asyncio.ensure_future(writer.run(gate))
            await asyncio.to_thread(gate.entered.wait, 10)
            queued = [asyncio.ensure_future(writer.run(_add_event(f"q{i}"))) for i in range(2)]
            await asyncio.sleep(0.05)
            with pytest.raises(Overloaded):
                await writer.run(_add_event("refused"))
            gate.release.set()
            await held
            return await asyncio.gather(*queued)

        try:
            assert asyncio.run(scenario()) == ["q0", "q1"]
        finally:
            writer.stop()
        assert _stored(runtime) == {"evt_q0", "evt_q1"}

    def test_stop_finishes_what_was_submitted(self, runtime: Runtime) -> None:
        writer = Writer(runtime.db)

        async def scenario() -> list[object]:
            tasks = [asyncio.ensure_future(writer.run(_add_event(f"s{i}"))) for i in range(5)]
            await asyncio.sleep(0)
            await asyncio.to_thread(writer.stop)
            return await asyncio.gather(*tasks)

        assert asyncio.run(scenario()) == [f"s{i}" for i in range(5)]
        assert _stored(runtime) == {f"evt_s{i}" for i in range(5)}

    def test_while_stopping_new_units_are_refused(self, runtime: Runtime) -> None:
        writer = Writer(runtime.db)

        async def scenario() -> None:
            gate = _Gate()
            held = asyncio.ensure_future(writer.run(gate))
            await asyncio.to_thread(gate.entered.wait, 10)
            stopping = asyncio.ensure_future(asyncio.to_thread(writer.stop))
            await asyncio.sleep(0.05)
            with pytest.raises(Unavailable):
                await writer.run(_add_event("too late"))
            gate.release.set()
            await held
            await stopping

        asyncio.run(scenario())
        assert _stored(runtime) == set()


class TestSeveralThreads:
    """PostgreSQL's layout: several writer threads, each unit in a transaction of its own."""

    @pytest.mark.postgres_only
    def test_units_run_side_by_side_each_in_its_own_transaction(
        self, runtime: Runtime, backend: str
    ) -> None:
        if backend != "postgresql":
            pytest.skip("SQLite has one write lock: its writer has one thread")
        writer = Writer(runtime.db, threads=3, max_batch=64, deadline_seconds=10)
        gates = [_Gate() for _ in range(3)]

        async def scenario() -> list[object]:
            held = [asyncio.ensure_future(writer.run(gate)) for gate in gates]
            # All three are inside a unit at once: three threads, three transactions.
            for gate in gates:
                assert await asyncio.to_thread(gate.entered.wait, 10)
            for gate in gates:
                gate.release.set()
            return await asyncio.gather(*held)

        try:
            assert asyncio.run(scenario()) == ["gate"] * 3
        finally:
            writer.stop()
        assert writer.stats.batches == 3
        assert writer.stats.largest_batch == 1

    def test_a_failing_unit_fails_alone(self, runtime: Runtime) -> None:
        writer = Writer(runtime.db, threads=2, deadline_seconds=10)

        class Recorded(TesseraError):
            status = 401
            commit = True

        def refused(session: Session) -> str:
            _add_event("refused")(session)
            raise RuleViolation("no", code="test_refused")

        def recorded(session: Session) -> str:
            _add_event("recorded")(session)
            raise Recorded()

        def breaks(session: Session) -> str:
            _add_event("broken")(session)
            raise KeyError("bug")

        async def scenario() -> list[object]:
            works = (_add_event("a"), refused, recorded, breaks, _add_event("b"))
            return await asyncio.gather(*(writer.run(w) for w in works), return_exceptions=True)

        try:
            results = asyncio.run(scenario())
        finally:
            writer.stop()
        assert results[0] == "a"
        assert results[4] == "b"
        assert isinstance(results[1], RuleViolation)
        assert isinstance(results[2], Recorded)
        assert isinstance(results[3], KeyError)
        assert _stored(runtime) == {"evt_a", "evt_b", "evt_recorded"}
        assert writer.stats.largest_batch == 1

    def test_stop_finishes_the_work_and_ends_every_thread(self, runtime: Runtime) -> None:
        writer = Writer(runtime.db, threads=3)

        async def scenario() -> list[object]:
            tasks = [asyncio.ensure_future(writer.run(_add_event(f"t{i}"))) for i in range(12)]
            await asyncio.sleep(0)
            await asyncio.to_thread(writer.stop)
            return await asyncio.gather(*tasks)

        assert asyncio.run(scenario()) == [f"t{i}" for i in range(12)]
        assert _stored(runtime) == {f"evt_t{i}" for i in range(12)}
        alive = [t.name for t in threading.enumerate() if t.name.startswith("tessera-writer-")]
        assert alive == []
