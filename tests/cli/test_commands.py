"""The `tessera` command: serve fails fast, stops cleanly; migrate, admin create, generate-key."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import httpx2 as httpx
import pytest

from tessera.config import decode_master_key
from tests.support.postgres import free_port
from tests.support.server import TESSERA, live_server, run_cli, server_env


class TestServe:
    def test_refuses_to_start_on_an_unmigrated_database(self, tmp_path: Path) -> None:
        env = server_env(f"sqlite:///{tmp_path}/empty.db", tmp_path)
        result = run_cli("serve", "--port", str(free_port()), env=env, timeout=60)
        assert result.returncode == 1
        assert "run `tessera migrate`" in result.stderr
        assert "Traceback" not in result.stderr

    def test_refuses_to_start_without_a_database(self, tmp_path: Path) -> None:
        url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none"
        result = run_cli("serve", "--port", str(free_port()), env=server_env(url, tmp_path))
        assert result.returncode == 1
        assert "does not answer" in result.stderr

    def test_production_without_secrets_names_the_variable(self, tmp_path: Path) -> None:
        env = server_env(f"sqlite:///{tmp_path}/x.db", tmp_path, APP_ENV="prod")
        del env["JWT_SECRET"]
        result = run_cli("serve", env=env)
        assert result.returncode == 2
        assert "JWT_SECRET" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1

    def test_serves_then_stops_cleanly_on_sigterm(self, database_url: str, tmp_path: Path) -> None:
        with live_server(database_url, tmp_path) as server:
            assert httpx.get(f"{server.base_url}/v1/health").json()["status"] == "ok"
            server.process.send_signal(signal.SIGTERM)
            code = server.process.wait(20)
        assert code == 0
        assert '"event": "stopped"' in server.log_text()


class TestMigrateCommand:
    def test_creates_the_sqlite_directory_and_reaches_head(self, tmp_path: Path) -> None:
        env = server_env(f"sqlite:///{tmp_path}/nested/dir/t.db", tmp_path)
        result = run_cli("migrate", env=env)
        assert result.returncode == 0, result.stderr
        database = tmp_path / "nested/dir/t.db"
        assert database.exists()
        assert database.stat().st_mode & 0o777 == 0o600
        again = run_cli("migrate", env=env)
        assert again.returncode == 0


class TestAdminCreate:
    def test_creates_a_platform_admin_who_can_log_in(
        self, database_url: str, tmp_path: Path
    ) -> None:
        env = server_env(database_url, tmp_path)
        result = run_cli(
            "admin",
            "create",
            "--email",
            "root@example.com",
            "--password",
            "a long admin password",
            env=env,
        )
        assert result.returncode == 0, result.stderr
        duplicate = run_cli(
            "admin",
            "create",
            "--email",
            "root@example.com",
            "--password",
            "a long admin password",
            env=env,
        )
        assert duplicate.returncode == 1
        assert "already exists" in duplicate.stderr
        short = run_cli(
            "admin", "create", "--email", "x@example.com", "--password", "short", env=env
        )
        assert short.returncode == 1
        with live_server(database_url, tmp_path) as server:
            login = httpx.post(
                f"{server.base_url}/v1/auth/login",
                json={"email": "root@example.com", "password": "a long admin password"},
            )
            assert login.status_code == 200
            me = httpx.get(
                f"{server.base_url}/v1/auth/me",
                headers={"Authorization": f"Bearer {login.json()['access_token']}"},
            )
            assert me.json()["role"] == "platform_admin"


class TestGenerateKey:
    def test_prints_a_usable_master_key(self, tmp_path: Path) -> None:
        result = run_cli("generate-key", env=server_env("sqlite://", tmp_path))
        assert result.returncode == 0
        assert len(decode_master_key(result.stdout.strip())) == 32


@pytest.mark.slow
class TestRunSignals:
    def test_ctrl_c_stops_the_server(self, database_url: str, tmp_path: Path) -> None:
        port = free_port()
        process = subprocess.Popen(
            [TESSERA, "serve", "--port", str(port)],
            env=server_env(database_url, tmp_path),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            process.send_signal(signal.SIGINT)
            assert process.wait(20) == 0
        finally:
            if process.poll() is None:
                process.kill()
