"""Statements run on the DB-API cursor itself, for the few queries on every request's path.

Profiling the service (bench/README.md) showed SQLAlchemy's ``Connection.execute`` costing about
thirty times the query it runs: a primary-key read takes ~8 µs in sqlite3 and ~250 µs through
Core on the same machine, and a transfer makes a dozen such calls. So the statements that run on
every request (who is calling, the account read, the money path inside the writer) are written
once here in plain SQL and executed on the driver's cursor, inside the transaction SQLAlchemy
already opened. Everything else keeps using the ORM and Core: this is the exception, kept small,
and every statement is exercised on SQLite and PostgreSQL by the suite.

SQL is written with ``?`` placeholders (sqlite3's style) and rewritten once to ``%s`` for
psycopg. Parameters and results go through ``stamp``/``parse_stamp`` and ``json_param`` so that
each database gets what its column type stores: SQLite keeps naive UTC text and JSON text (as
SQLAlchemy's types do), PostgreSQL ``timestamptz`` and ``jsonb``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.orm import Session

Params = Sequence[Any]


@dataclass(frozen=True, slots=True)
class Statement:
    """One SQL statement, spelled for each driver."""

    sqlite: str
    postgresql: str

    @classmethod
    def of(cls, sql: str) -> Statement:
        """Build from qmark-style SQL (``?``); the SQL must contain no other ``?`` or ``%``."""
        if "%" in sql:
            raise ValueError("raw statements must not contain %")
        return cls(sqlite=sql, postgresql=sql.replace("?", "%s"))

    def sql(self, dialect: str) -> str:
        return self.sqlite if dialect == "sqlite" else self.postgresql


class Cursor:
    """The driver cursor of a session's current transaction, and how to speak its dialect.

    Driver errors come out as SQLAlchemy's (``IntegrityError``, ``OperationalError``...), so
    callers and the app's handlers (a lost database is a 503) treat both paths alike.
    """

    __slots__ = ("_cursor", "_driver_error", "dialect", "is_sqlite")

    def __init__(self, raw: Any, dialect: str, driver_error: type[Exception] = Exception) -> None:
        self._cursor = raw
        self._driver_error = driver_error
        self.dialect = dialect
        self.is_sqlite = dialect == "sqlite"

    def execute(self, statement: Statement, params: Params = ()) -> Cursor:
        sql = statement.sqlite if self.is_sqlite else statement.postgresql
        try:
            self._cursor.execute(sql, params)
        except self._driver_error as exc:
            raise self._error(sql, params, exc) from exc
        return self

    def executemany(self, statement: Statement, rows: Sequence[Params]) -> None:
        sql = statement.sqlite if self.is_sqlite else statement.postgresql
        try:
            self._cursor.executemany(sql, rows)
        except self._driver_error as exc:
            raise self._error(sql, rows, exc) from exc

    def _error(self, sql: str, params: Any, exc: Exception) -> StatementError:
        # A statement that failed because its connection died (the server went away: a crash,
        # a failover) says so, as SQLAlchemy's own statements do, so that the writer gives up
        # the whole batch at once and the app answers 503.
        connection = getattr(self._cursor, "connection", None)
        lost = bool(getattr(connection, "closed", False))  # psycopg's; sqlite3 has none
        return DBAPIError.instance(
            sql, params, exc, self._driver_error, connection_invalidated=lost
        )

    def one(self, statement: Statement, params: Params = ()) -> tuple[Any, ...] | None:
        self.execute(statement, params)
        row: tuple[Any, ...] | None = self._cursor.fetchone()
        return row

    def all(self, statement: Statement, params: Params = ()) -> list[tuple[Any, ...]]:
        self.execute(statement, params)
        return list(self._cursor.fetchall())

    @property
    def rowcount(self) -> int:
        return int(self._cursor.rowcount)

    def stamp(self, moment: datetime) -> Any:
        """A timestamp parameter as the column stores it (see the module doc)."""
        return stamp(moment, self.dialect)

    def json(self, value: Any) -> Any:
        """A JSON parameter as the column stores it."""
        return json_param(value, self.dialect)

    def day(self, value: date) -> Any:
        """A date parameter: ISO text on SQLite (as SQLAlchemy stores it), else the date."""
        return value.isoformat() if self.is_sqlite else value


_PINNED = "tessera.rawsql.cursor"


def cursor(session: Session) -> Cursor:
    """The driver cursor of ``session``'s transaction (begun if it was not yet)."""
    pinned: Cursor | None = session.info.get(_PINNED)
    if pinned is not None:
        return pinned
    connection = session.connection()
    raw = connection.connection.driver_connection
    if raw is None:  # pragma: no cover - a pooled connection always has its driver connection
        raise RuntimeError("no driver connection")
    dialect = connection.dialect
    return Cursor(raw.cursor(), dialect.name, dialect.loaded_dbapi.Error)


def pin_cursor(session: Session) -> None:
    """Begin ``session``'s transaction and keep its cursor for every ``cursor(session)`` call.

    For a session that lives for one transaction on one connection (the writer's batch): asking
    SQLAlchemy for the connection again on every statement costs more than the statement.
    """
    session.info[_PINNED] = cursor(session)


@contextmanager
def read_cursor(engine: Engine) -> Iterator[Cursor]:
    """A pooled connection's cursor for a one-statement read outside any session.

    On SQLite the statement runs in autocommit (one statement is its own consistent snapshot);
    on PostgreSQL its implicit transaction is rolled back when the connection goes back to the
    pool. A connection that cannot be made raises SQLAlchemy's error (``OperationalError``).
    """
    driver_error: type[Exception] = engine.dialect.loaded_dbapi.Error
    try:
        raw = engine.raw_connection()
    except driver_error as exc:
        # ``raw_connection()`` lets the driver's own error out when no connection can be made
        # (no host answers, or none accepts writes during a failover): give it SQLAlchemy's
        # class, as ``Engine.connect()`` would, so that the app answers 503 and not 500.
        raise DBAPIError.instance(None, None, exc, driver_error) from exc
    try:
        yield Cursor(raw.cursor(), engine.dialect.name, driver_error)
    except DBAPIError as exc:
        if exc.connection_invalidated:
            # Dead (the server went away): discard it, rather than have the pool try to roll
            # it back on return and log that failure as an error.
            raw.invalidate(exc.orig)
        raise
    finally:
        raw.close()


def stamp(moment: datetime, dialect: str) -> Any:
    """A UTC timestamp as SQLite's naive text (SQLAlchemy's format) or as itself."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    if dialect == "sqlite":
        return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    return moment


def parse_stamp(value: Any) -> datetime:
    """A timestamp read back: aware UTC whatever the database returned."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):  # pragma: no cover - a column of another type
        raise TypeError(f"not a timestamp: {value!r}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def json_param(value: Any, dialect: str) -> Any:
    """A JSON value as SQLite's text or as psycopg's ``jsonb`` parameter."""
    if dialect == "sqlite":
        return json.dumps(value, separators=(",", ":"))
    from psycopg.types.json import Jsonb

    return Jsonb(value)
