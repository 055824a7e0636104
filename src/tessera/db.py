"""The engine, the session per request, and ``session_scope()`` for the CLI and the worker.

SQLite allows one writer at a time. A transaction that starts by reading and later writes can
fail at once with ``SQLITE_BUSY`` when another writer committed in between, whatever the busy
timeout. So every session declares up front whether it may write: a writing session opens its
transaction with ``BEGIN IMMEDIATE`` and, inside this process, first takes a lock, so that
writers queue in Python instead of polling SQLite's busy handler. Reading sessions use a plain
deferred ``BEGIN`` and never wait. On PostgreSQL the flag changes nothing: row locks
(``SELECT ... FOR UPDATE``) do the work.

Services ``flush()`` and never commit; whoever opened the session commits it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, ExceptionContext
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from tessera.errors import Overloaded

WRITE_OPTION = "tessera_write"

SessionScope = Callable[[], AbstractContextManager[Session]]
"""A unit of work of its own (``Database.session_scope``): the session it yields is committed by
its owner when the block ends, rolled back when it raises. A service that must end a transaction
before a slow step (signing) takes one of these, and so never commits itself."""

# SQLSTATE 25006 read_only_sql_transaction: the server this connection reached no longer
# accepts writes (a primary demoted or fenced in place). The connection is of no use to a writer.
READ_ONLY_SQLSTATE = "25006"


def is_read_only_error(exc: BaseException) -> bool:
    """Whether ``exc`` (SQLAlchemy's or the driver's) says the server refuses writes."""
    orig = getattr(exc, "orig", exc)
    return getattr(orig, "sqlstate", None) == READ_ONLY_SQLSTATE


class Database:
    """One engine and the sessions made from it."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 10,
        pool_timeout: float = 2.0,
        busy_timeout_ms: int = 5_000,
        echo: bool = False,
    ) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self._write_lock = threading.Lock()
        # The pool is sized for every thread that can hold a connection (see Settings.db_pool_size)
        # and never overflows: if it is ever exhausted, the wait is short and ends in a 503.
        kwargs: dict[str, Any] = {
            "echo": echo,
            "hide_parameters": True,
            "pool_size": pool_size,
            "max_overflow": 0,
            "pool_timeout": pool_timeout,
        }
        if self.is_sqlite:
            kwargs["connect_args"] = {
                "check_same_thread": False,
                "timeout": busy_timeout_ms / 1000,
            }
        self.engine: Engine = sa.create_engine(url, **kwargs)
        if not self.is_sqlite:
            _ping_after_idle(self.engine, PING_AFTER_IDLE_SECONDS)
            event.listen(self.engine, "handle_error", _read_only_is_a_disconnect)
        self._write_engine = self.engine.execution_options(**{WRITE_OPTION: True})
        if self.is_sqlite:
            self._install_sqlite_hooks(busy_timeout_ms, lock_timeout=pool_timeout)
        self._read_factory = sessionmaker(self.engine, expire_on_commit=False)
        self._write_factory = sessionmaker(self._write_engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def _install_sqlite_hooks(self, busy_timeout_ms: int, lock_timeout: float) -> None:
        lock = self._write_lock

        @event.listens_for(self.engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
            # Take transaction control away from the driver so that we can say BEGIN IMMEDIATE.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cursor.close()

        @event.listens_for(self.engine, "begin")
        def _on_begin(conn: Connection) -> None:
            if conn.get_execution_options().get(WRITE_OPTION):
                # Bounded like everything on the request path: a writer that cannot get the lock
                # in time is told the service is busy (nothing was written yet).
                if not lock.acquire(timeout=lock_timeout):
                    raise Overloaded()
                conn.info["tessera_holds_write_lock"] = True
                try:
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                except BaseException:
                    _release(conn)
                    raise
            else:
                conn.exec_driver_sql("BEGIN")

        def _release(conn: Connection) -> None:
            if conn.info.pop("tessera_holds_write_lock", False):
                lock.release()

        event.listen(self.engine, "commit", _release)
        event.listen(self.engine, "rollback", _release)

    def session(self, *, write: bool) -> Session:
        """A new session; ``write=True`` for one that may change rows (see the module doc)."""
        return (self._write_factory if write else self._read_factory)()

    @contextmanager
    def session_scope(self, *, write: bool = True) -> Iterator[Session]:
        """A session that commits when the block ends normally and rolls back otherwise."""
        session = self.session(write=write)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def read_scope(self) -> AbstractContextManager[Session]:
        """A ``SessionScope`` that only reads: a short unit of work of its own, on a plain
        ``BEGIN`` that never waits for SQLite's write lock."""
        return self.session_scope(write=False)

    def ping(self) -> None:
        """Run ``SELECT 1``; raises when the database does not answer."""
        with self.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
            conn.rollback()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


# A pooled connection idle for longer than this is pinged on checkout (see _ping_after_idle).
PING_AFTER_IDLE_SECONDS = 1.0


def _ping_after_idle(engine: Engine, idle_seconds: float) -> None:
    """Ping a connection on checkout only when it has sat in the pool for ``idle_seconds``.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: a round trip per checkout, ~11 % of
    the API workers' samples on PostgreSQL transfers (bench/README.md). A connection in steady
    use has just proved itself; one that sat idle (through a crash or a failover) is pinged and,
    when dead, replaced before anyone uses it (with a multi-host DATABASE_URL the new one goes to
    the current primary). A connection that dies while in use fails its statement, which is
    answered 503 and invalidates the pool's older connections, as a failed pre-ping does.
    """
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < idle_seconds:
            return  # just connected, or back from use a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:
            # The pool discards this connection and checks out another (a new one if need be).
            raise DisconnectionError() from exc


def _read_only_is_a_disconnect(context: ExceptionContext) -> None:
    # A pre-ping cannot tell a read-only server from a primary: discard the pool's connections
    # to it as if they were lost, so that the next checkout reconnects and libpq picks the host
    # that accepts writes (target_session_attrs=read-write).
    if context.original_exception is not None and is_read_only_error(context.original_exception):
        context.is_disconnect = True
