"""Shared fixtures: every database test runs on SQLite and on a real PostgreSQL.

``TESSERA_TEST_BACKENDS=sqlite`` (or ``postgresql``) narrows a local run to one backend; CI runs
both. The PostgreSQL cluster is started once per session, only if a test needs it.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from tessera.app import create_app
from tessera.config import AppEnv, Settings
from tessera.observability import configure_logging
from tessera.runtime import Runtime, build_runtime
from tests.support.api import Api
from tests.support.database import PostgresTemplate, SqliteTemplate
from tests.support.postgres import Cluster, start_cluster

BACKENDS = [
    b.strip()
    for b in os.environ.get("TESSERA_TEST_BACKENDS", "sqlite,postgresql").split(",")
    if b.strip()
]

TEST_JWT_SECRET = "test-jwt-secret-0123456789-abcdefghijklmnop"
TEST_MASTER_KEY = "dGVzc2VyYS10ZXN0LW1hc3Rlci1rZXktMzItYnl0ZXM="  # 32 bytes, base64


class LogSink(io.TextIOBase):
    """Collects every JSON log line written during the session."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def write(self, text: str) -> int:
        self.lines.extend(line for line in text.splitlines() if line.strip())
        return len(text)


_LOG_SINK = LogSink()


@pytest.fixture(scope="session", autouse=True)
def _json_logging() -> None:
    configure_logging("DEBUG", stream=_LOG_SINK)


class LogView:
    """The JSON log lines written since the view was made."""

    def __init__(self) -> None:
        self._start = len(_LOG_SINK.lines)

    @property
    def lines(self) -> list[str]:
        return _LOG_SINK.lines[self._start :]

    def records(self) -> list[dict[str, Any]]:
        """Every line as a dict (every line must be JSON)."""
        return [json.loads(line) for line in self.lines]


@pytest.fixture
def logs() -> LogView:
    """The JSON log lines written during this test."""
    return LogView()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """``sqlite`` or ``postgresql``: each database test runs once per backend."""
    return str(request.param)


@pytest.fixture(scope="session")
def db_template(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[SqliteTemplate | PostgresTemplate]:
    if backend == "sqlite":
        yield SqliteTemplate(tmp_path_factory.mktemp("sqlite-template"))
        return
    external = os.environ.get("TESSERA_TEST_POSTGRES_URL")
    if external:
        template = PostgresTemplate(external)
    else:
        cluster: Cluster = request.getfixturevalue("pg_cluster")
        admin = sa.create_engine(cluster.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text("CREATE DATABASE tessera_test"))
        admin.dispose()
        template = PostgresTemplate(cluster.url("tessera_test"))
    try:
        yield template
    finally:
        template.dispose()


@pytest.fixture
def database_url(db_template: SqliteTemplate | PostgresTemplate, tmp_path: Path) -> str:
    """A database at the latest migration, holding only what the migrations seed."""
    if isinstance(db_template, SqliteTemplate):
        return db_template.fresh_url(tmp_path)
    return db_template.reset()


def make_settings(database_url: str, var_dir: Path, **overrides: Any) -> Settings:
    """Settings for a test: cheap argon2, fixed secrets, no embedded worker."""
    values: dict[str, Any] = {
        "app_env": AppEnv.TEST,
        "database_url": database_url,
        "jwt_secret": SecretStr(TEST_JWT_SECRET),
        "master_key": SecretStr(TEST_MASTER_KEY),
        "argon2_time_cost": 1,
        "argon2_memory_kib": 1024,
        "argon2_parallelism": 1,
        "run_worker_in_process": False,
        "var_dir": var_dir,
        "log_level": "DEBUG",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path)


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = build_runtime(settings)
    try:
        yield rt
    finally:
        rt.db.dispose()


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    return create_app(runtime=runtime)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient, runtime: Runtime) -> Api:
    """The HTTP API with helpers to sign up, log in and act as a user."""
    return Api(client, runtime)
