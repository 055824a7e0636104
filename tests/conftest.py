"""Shared fixtures: every database test runs on SQLite and on a real PostgreSQL.

``TESSERA_TEST_BACKENDS=sqlite`` (or ``postgresql``) narrows a local run to one backend; CI runs
both. A test that does not depend on the database engine is marked ``one_backend`` and runs on
the first of them only; ``sqlite_only`` and ``postgres_only`` tests run on theirs, when selected.

The suite runs in parallel (``pytest -n 2``, pytest-xdist). One throwaway PostgreSQL cluster
serves the whole run, started by the first worker that needs it; each worker has its own
template databases, temporary directories and ports. The helpers are in ``tests/support/``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tessera.app import create_app
from tessera.config import Settings
from tessera.observability import configure_logging
from tessera.runtime import Runtime, build_runtime
from tests.support.api import Api
from tests.support.database import PostgresTemplate, SqliteTemplate, State
from tests.support.logs import LOG_SINK, LogView
from tests.support.postgres import Cluster, shared_cluster, stop_shared_cluster
from tests.support.settings import (
    TEST_JWT_SECRET,
    TEST_MASTER_KEY,
    make_settings,
    selected_backends,
)

# Re-exported for tests written before the helpers moved to tests/support/.
__all__ = ["TEST_JWT_SECRET", "TEST_MASTER_KEY", "LogView", "make_settings"]

BACKENDS = selected_backends()
# Where the processes of one run (the xdist workers) meet: the shared PostgreSQL cluster.
RUN_DIR_VARIABLE = "TESSERA_TEST_RUN_DIR"
DATABASE_STATE = pytest.StashKey[State]()
# Screen -> counts of axe's non-blocking findings, from the browser tests' reports.
AXE_FINDINGS: dict[str, dict[str, int]] = {}


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the controller (or a run without xdist)
        os.environ[RUN_DIR_VARIABLE] = tempfile.mkdtemp(prefix="tessera-tests-")


def pytest_unconfigure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):
        run_dir = Path(os.environ.pop(RUN_DIR_VARIABLE))
        try:
            stop_shared_cluster(run_dir)
        finally:
            shutil.rmtree(run_dir, ignore_errors=True)


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Heavy process-level tests (load and concurrency against real servers, the browser) all
    go to one xdist worker (``--dist loadgroup``), one after another: never two at once, so
    that none of them measures the other; the rest of the suite runs beside them."""
    for item in items:
        if item.get_closest_marker("slow") or item.get_closest_marker("e2e"):
            item.add_marker(pytest.mark.xdist_group("serial"))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Collect the axe findings the browser tests report (in the controller under xdist)."""
    for name, value in report.user_properties:
        if name == "axe":
            AXE_FINDINGS.update(value)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """After a run with browser tests: each screen axe checked, and its non-blocking findings."""
    if not AXE_FINDINGS:
        return
    terminalreporter.section("axe-core (no serious or critical violation on any screen)")
    for screen, counts in sorted(AXE_FINDINGS.items()):
        found = ", ".join(f"{n} {impact}" for impact, n in sorted(counts.items())) or "none"
        terminalreporter.write_line(f"{screen:40} {found}")


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Narrow the ``backend`` of tests marked one_backend, sqlite_only or postgres_only."""
    if "backend" not in metafunc.fixturenames:
        return
    only = {"sqlite_only": "sqlite", "postgres_only": "postgresql"}
    chosen: list[Any]
    if metafunc.definition.get_closest_marker("one_backend"):
        chosen = BACKENDS[:1]
    elif marker := next((m for m in only if metafunc.definition.get_closest_marker(m)), None):
        wanted = only[marker]
        skip = pytest.mark.skip(reason=f"{marker}: {wanted} is not in TESSERA_TEST_BACKENDS")
        chosen = [wanted] if wanted in BACKENDS else [pytest.param(wanted, marks=skip)]
    else:
        return
    # As a marker, which takes precedence over the fixture's own params (a direct
    # metafunc.parametrize call would collide with them).
    metafunc.definition.add_marker(
        pytest.mark.parametrize("backend", chosen, indirect=True, scope="session")
    )


@pytest.fixture(scope="session", autouse=True)
def _json_logging() -> None:
    configure_logging("DEBUG", stream=LOG_SINK)


@pytest.fixture
def logs() -> LogView:
    """The JSON log lines written during this test."""
    return LogView()


@pytest.fixture(scope="session")
def pg_cluster() -> Cluster:
    """The run's PostgreSQL cluster (shared by the workers; stopped when the run ends)."""
    return shared_cluster(Path(os.environ[RUN_DIR_VARIABLE]))


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """``sqlite`` or ``postgresql``: each database test runs once per backend."""
    return str(request.param)


def _own_database(admin_url: str, name: str) -> None:
    """(Re)create database ``name`` on the server of ``admin_url``."""
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def db_template(
    backend: str,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> Iterator[SqliteTemplate | PostgresTemplate]:
    """This worker's templates on ``backend`` (see tests/support/database.py)."""
    worker_id = os.environ.get("PYTEST_XDIST_WORKER", "master")
    directory = tmp_path_factory.mktemp(f"{backend}-template")
    if backend == "sqlite":
        yield SqliteTemplate(directory)
        return
    external = os.environ.get("TESSERA_TEST_POSTGRES_URL")
    if external and worker_id == "master":
        url = external
    elif external:
        base = sa.make_url(external)
        name = f"{base.database}_{worker_id}"
        _own_database(external, name)
        url = base.set(database=name).render_as_string(hide_password=False)
    else:
        cluster: Cluster = request.getfixturevalue("pg_cluster")
        name = f"tessera_test_{worker_id}"
        _own_database(cluster.admin_url, name)
        url = cluster.url(name)
    template = PostgresTemplate(url, directory)
    try:
        yield template
    finally:
        template.dispose()


@pytest.fixture
def database_url(
    db_template: SqliteTemplate | PostgresTemplate, tmp_path: Path, request: pytest.FixtureRequest
) -> str:
    """A database at the latest migration, holding only what the migrations seed; for a test
    that starts the app in process (``client``), also what its start makes (the first master
    key version and the CA), unless the test is marked ``bare_database``."""
    started = "client" in request.fixturenames
    state: State = (
        "started" if started and not request.node.get_closest_marker("bare_database") else "bare"
    )
    request.node.stash[DATABASE_STATE] = state
    if isinstance(db_template, SqliteTemplate):
        return db_template.fresh_url(tmp_path, state)
    return db_template.reset(state)


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
def client(app: FastAPI, request: pytest.FixtureRequest) -> Iterator[TestClient]:
    runtime: Runtime = app.state.runtime
    master_key = runtime.settings.master_key
    if request.node.stash.get(DATABASE_STATE, "bare") == "started" and (
        master_key is None or master_key.get_secret_value() != TEST_MASTER_KEY
    ):
        pytest.fail(
            "the database holds keys sealed under TEST_MASTER_KEY, but this app has another "
            "master key: mark the test `bare_database`"
        )
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient, runtime: Runtime) -> Api:
    """The HTTP API with helpers to sign up, log in and act as a user."""
    return Api(client, runtime)
