"""`make run-prod` (scripts/run-prod.sh): migrate, the production server and one worker."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import httpx2 as httpx
import psutil
import pytest
import sqlalchemy as sa

from tests.support.postgres import free_port
from tests.support.processes import TESSERA, cli_env
from tests.support.settings import make_settings

ROOT = Path(__file__).parents[1]
SCRIPT = ROOT / "scripts" / "run-prod.sh"


def test_refuses_sqlite(tmp_path: Path) -> None:
    env = cli_env(make_settings(f"sqlite:///{tmp_path}/t.db", tmp_path), TESSERA=TESSERA)
    result = subprocess.run(
        [str(SCRIPT)], env=env, capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 2
    assert "DATABASE_URL=postgresql://" in result.stderr
    assert not (tmp_path / "t.db").exists()


@pytest.mark.slow
def test_migrates_then_serves_with_one_worker_and_stops_on_sigterm(
    database_url: str, tmp_path: Path, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("make run-prod is the PostgreSQL layout")
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:  # an empty database: the script must migrate it
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    port = free_port()
    env = cli_env(
        make_settings(database_url, tmp_path), TESSERA=TESSERA, PORT=str(port), WEB_CONCURRENCY="1"
    )
    log_path = tmp_path / "run-prod.log"
    with log_path.open("wb") as log:
        script = subprocess.Popen(
            [str(SCRIPT)], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path
        )
    try:
        deadline = time.monotonic() + 180
        while True:
            assert script.poll() is None, log_path.read_text()[-3000:]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log_path.read_text()[-3000:]
            time.sleep(0.3)
        commands = [
            child.cmdline()[2:4] for child in psutil.Process(script.pid).children(recursive=False)
        ]
        assert sorted(commands) == [["serve", "--prod"], ["worker"]], commands
        script.send_signal(signal.SIGTERM)
        assert script.wait(60) == 0, log_path.read_text()[-3000:]
    finally:
        if script.poll() is None:
            script.kill()
            script.wait(10)
    output = log_path.read_text()
    assert '"event": "worker_started"' in output
    assert '"event": "worker_stopped"' in output
