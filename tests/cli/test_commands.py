"""The `tessera` command: serve fails fast, stops cleanly; migrate, admin create, generate-key."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx2 as httpx
import pytest

from tessera.config import AppEnv, Settings, decode_master_key
from tests.support.ports import free_port
from tests.support.processes import cli_env, run_cli, serve
from tests.support.settings import make_settings


class TestServe:
    def test_refuses_to_start_on_an_unmigrated_database(self, tmp_path: Path) -> None:
        empty = make_settings(f"sqlite:///{tmp_path}/empty.db", tmp_path)
        result = run_cli(empty, "serve", "--port", str(free_port()), timeout=60)
        assert result.returncode == 1
        assert "run `tessera migrate`" in result.stderr
        assert "Traceback" not in result.stderr

    def test_refuses_to_start_without_a_database(self, tmp_path: Path) -> None:
        url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none"
        result = run_cli(make_settings(url, tmp_path), "serve", "--port", str(free_port()))
        assert result.returncode == 1
        assert "does not answer" in result.stderr

    def test_production_without_secrets_names_the_variable(self, tmp_path: Path) -> None:
        prod = make_settings(f"sqlite:///{tmp_path}/x.db", tmp_path, app_env=AppEnv.PROD)
        env = cli_env(prod)
        del env["JWT_SECRET"]
        result = run_cli(prod, "serve", env=env)
        assert result.returncode == 2
        assert "JWT_SECRET" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1

    def test_serves_then_stops_cleanly_on_sigterm(self, settings: Settings) -> None:
        with serve(settings) as server:
            assert httpx.get(f"{server.base_url}/v1/health").json()["status"] == "ok"
            server.process.send_signal(signal.SIGTERM)
            code = server.process.wait(20)
        assert code == 0
        assert '"event": "stopped"' in server.output()


class TestMigrateCommand:
    def test_creates_the_sqlite_directory_and_reaches_head(self, tmp_path: Path) -> None:
        nested = make_settings(f"sqlite:///{tmp_path}/nested/dir/t.db", tmp_path)
        result = run_cli(nested, "migrate")
        assert result.returncode == 0, result.stderr
        database = tmp_path / "nested/dir/t.db"
        assert database.exists()
        assert database.stat().st_mode & 0o777 == 0o600
        again = run_cli(nested, "migrate")
        assert again.returncode == 0


class TestAdminCreate:
    def test_creates_a_platform_admin_who_can_log_in(self, settings: Settings) -> None:
        result = run_cli(
            settings,
            "admin",
            "create",
            "--email",
            "root@example.com",
            "--password",
            "a long admin password",
        )
        assert result.returncode == 0, result.stderr
        duplicate = run_cli(
            settings,
            "admin",
            "create",
            "--email",
            "root@example.com",
            "--password",
            "a long admin password",
        )
        assert duplicate.returncode == 1
        assert "already exists" in duplicate.stderr
        short = run_cli(
            settings, "admin", "create", "--email", "x@example.com", "--password", "short"
        )
        assert short.returncode == 1
        with serve(settings) as server:
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
        result = run_cli(make_settings("sqlite://", tmp_path), "generate-key")
        assert result.returncode == 0
        assert len(decode_master_key(result.stdout.strip())) == 32


@pytest.mark.slow
class TestRunSignals:
    def test_ctrl_c_stops_the_server(self, settings: Settings) -> None:
        with serve(settings) as server:
            server.process.send_signal(signal.SIGINT)
            assert server.process.wait(20) == 0
