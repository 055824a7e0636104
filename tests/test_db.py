"""The database layer: SQLite pragmas, the single-writer discipline, UTC timestamps."""

from __future__ import annotations

import threading
import time
from datetime import datetime

import pytest
import sqlalchemy as sa

from tessera import db as db_module
from tessera.config import Settings
from tessera.db import Database
from tessera.models import DEFAULT_FIRM_ID, Firm
from tessera.runtime import Runtime


@pytest.mark.sqlite_only  # SQLite's pragmas
class TestSqlite:
    def test_wal_busy_timeout_and_foreign_keys(self, runtime: Runtime) -> None:
        with runtime.db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5_000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1

    def test_concurrent_writers_queue_instead_of_failing(self, runtime: Runtime) -> None:
        errors: list[BaseException] = []

        def write(index: int) -> None:
            try:
                for step in range(20):
                    with runtime.db.session_scope() as session:
                        firm = session.get(Firm, DEFAULT_FIRM_ID)
                        assert firm is not None
                        # Read, then write in the same transaction: the pattern that fails
                        # with SQLITE_BUSY under deferred transactions.
                        firm.name = f"writer {index} step {step}"
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(i,)) for i in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []

    def test_readers_do_not_wait_for_a_writer(self, runtime: Runtime) -> None:
        writer = runtime.db.session(write=True)
        writer.execute(sa.update(Firm).values(name="held"))
        try:
            with runtime.db.session_scope(write=False) as reader:
                assert reader.scalar(sa.select(sa.func.count()).select_from(Firm)) == 1
        finally:
            writer.rollback()
            writer.close()


class TestUtcColumns:
    def test_naive_datetimes_are_refused_and_values_come_back_in_utc(
        self, runtime: Runtime
    ) -> None:
        with runtime.db.session_scope() as session:
            firm = session.get(Firm, DEFAULT_FIRM_ID)
            assert firm is not None
            assert firm.created_at.tzinfo is not None
            assert firm.created_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
            firm.created_at = datetime(2026, 1, 1)  # noqa: DTZ001 - the point of the test
            with pytest.raises(sa.exc.StatementError, match="naive datetime"):
                session.flush()
            session.rollback()


class TestPing:
    def test_ping_raises_when_the_file_cannot_be_opened(self, tmp_path: object) -> None:
        db = Database(f"sqlite:///{tmp_path}/no/such/dir/x.db")
        with pytest.raises(sa.exc.OperationalError):
            db.ping()
        db.dispose()


@pytest.mark.postgres_only  # SQLite has no connection for a server to drop
class TestConnectionsThatDied:
    """A pooled connection is pinged on checkout only after it sat idle (db._ping_after_idle)."""

    def _pid(self, database: Database) -> int:
        with database.engine.connect() as conn:
            pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
            conn.rollback()
        return int(pid)

    def _terminate(self, database: Database, pid: int) -> None:
        """End backend ``pid`` and wait until the server has let it go."""
        with database.engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            conn.rollback()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                alive = conn.execute(
                    sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
                ).scalar_one()
                conn.rollback()
                if not alive:
                    return
                time.sleep(0.01)
        raise AssertionError(f"backend {pid} outlived pg_terminate_backend")

    def test_an_idle_connection_the_server_dropped_is_replaced_before_use(
        self, settings: Settings, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 0.2)
        victim = Database(settings.database_url, pool_size=1)
        killer = Database(settings.database_url, pool_size=1)
        try:
            dead = self._pid(victim)
            self._terminate(killer, dead)
            time.sleep(0.3)
            # Without the ping this checkout would hand out the dead connection and fail.
            assert self._pid(victim) != dead
        finally:
            victim.dispose()
            killer.dispose()

    def test_a_connection_in_steady_use_is_not_pinged(self, settings: Settings) -> None:
        database = Database(settings.database_url, pool_size=1)
        killer = Database(settings.database_url, pool_size=1)
        try:
            self._pid(killer)  # connected already, so the kill below takes milliseconds
            dead = self._pid(database)
            self._terminate(killer, dead)
            # Checked out again at once: no ping, so its statement meets the dead connection,
            # fails as a disconnect (answered 503 by the app), and the pool reconnects.
            with pytest.raises(sa.exc.OperationalError):
                self._pid(database)
            assert self._pid(database) != dead
        finally:
            database.dispose()
            killer.dispose()
