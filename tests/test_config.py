"""Settings: production refuses weak secrets; development keeps its secrets across restarts."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from tessera.config import AppEnv, ConfigError, Settings, new_master_key, resolve_secrets


def _settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(_env_file=None, var_dir=tmp_path, **values)  # type: ignore[call-arg]


class TestProductionSecrets:
    def test_missing_jwt_secret_stops_start_up_naming_the_variable(self, tmp_path: Path) -> None:
        settings = _settings(tmp_path, app_env=AppEnv.PROD, master_key=SecretStr(new_master_key()))
        with pytest.raises(ConfigError, match="JWT_SECRET") as excinfo:
            resolve_secrets(settings)
        assert "\n" not in str(excinfo.value)

    def test_weak_jwt_secret_is_refused(self, tmp_path: Path) -> None:
        settings = _settings(
            tmp_path,
            app_env=AppEnv.PROD,
            jwt_secret=SecretStr("changeme"),
            master_key=SecretStr(new_master_key()),
        )
        with pytest.raises(ConfigError, match="JWT_SECRET"):
            resolve_secrets(settings)
        repetitive = settings.model_copy(update={"jwt_secret": SecretStr("a" * 64)})
        with pytest.raises(ConfigError, match="JWT_SECRET"):
            resolve_secrets(repetitive)

    def test_missing_or_malformed_master_key_is_refused(self, tmp_path: Path) -> None:
        strong = SecretStr("a1b2c3d4e5f6g7h8i9" * 3)
        with pytest.raises(ConfigError, match="TESSERA_MASTER_KEY"):
            resolve_secrets(_settings(tmp_path, app_env=AppEnv.PROD, jwt_secret=strong))
        with pytest.raises(ConfigError, match="TESSERA_MASTER_KEY"):
            resolve_secrets(
                _settings(
                    tmp_path,
                    app_env=AppEnv.PROD,
                    jwt_secret=strong,
                    master_key=SecretStr("c2hvcnQ="),
                )
            )

    def test_strong_secrets_pass_and_nothing_is_written(self, tmp_path: Path) -> None:
        settings = _settings(
            tmp_path,
            app_env=AppEnv.PROD,
            jwt_secret=SecretStr("a1b2c3d4e5f6g7h8i9" * 3),
            master_key=SecretStr(new_master_key()),
        )
        assert resolve_secrets(settings) is settings
        assert list(tmp_path.iterdir()) == []


class TestDevelopmentSecrets:
    def test_generated_once_with_mode_0600_and_reused(self, tmp_path: Path) -> None:
        first = resolve_secrets(_settings(tmp_path, app_env=AppEnv.DEV))
        second = resolve_secrets(_settings(tmp_path, app_env=AppEnv.DEV))
        assert first.jwt_key() == second.jwt_key()
        assert first.master_key_bytes() == second.master_key_bytes()
        for name in ("jwt_secret", "master.key"):
            mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
            assert mode == 0o600, name

    def test_test_env_gets_fresh_secrets_without_files(self, tmp_path: Path) -> None:
        settings = resolve_secrets(_settings(tmp_path, app_env=AppEnv.TEST))
        assert len(settings.master_key_bytes()) == 32
        assert list(tmp_path.iterdir()) == []


class TestSettingsParsing:
    def test_cors_origins_and_postgres_driver(self, tmp_path: Path) -> None:
        settings = _settings(
            tmp_path,
            cors_origins="https://a.example, https://b.example",
            database_url="postgresql://u:p@db/x",
        )
        assert settings.cors_origins == ["https://a.example", "https://b.example"]
        assert settings.database_url == "postgresql+psycopg://u:p@db/x"

    def test_regional_defaults_are_checked(self, tmp_path: Path) -> None:
        settings = _settings(tmp_path, default_phone_region=" gb ", default_timezone="Europe/Paris")
        assert (settings.default_phone_region, settings.default_timezone) == ("GB", "Europe/Paris")
        assert (_settings(tmp_path).default_phone_region, _settings(tmp_path).default_timezone) == (
            "AE",
            "Asia/Dubai",
        )
        with pytest.raises(ValueError, match="DEFAULT_PHONE_REGION"):
            _settings(tmp_path, default_phone_region="XX")
        with pytest.raises(ValueError, match="DEFAULT_TIMEZONE"):
            _settings(tmp_path, default_timezone="Mars/Base")

    def test_log_level_is_checked(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError, match="LOG_LEVEL"):
            _settings(tmp_path, log_level="chatty")

    def test_trusted_proxies_are_ips_or_networks_and_none_by_default(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        assert _settings(tmp_path).trusted_proxy_networks == ()
        monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7,::1")
        settings = _settings(tmp_path)
        assert [str(n) for n in settings.trusted_proxy_networks] == [
            "10.0.0.0/8",
            "192.0.2.7/32",
            "::1/128",
        ]
        with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
            _settings(tmp_path, trusted_proxies="lb.internal")


class TestWriterLayout:
    """The writer follows the database unless told otherwise (see tessera.writer)."""

    def test_sqlite_has_one_thread_that_batches(self, tmp_path: Path) -> None:
        s = _settings(tmp_path, database_url="sqlite:///x.db", writer_threads=4)
        assert (s.writer_thread_count, s.writer_batch_limit) == (1, 256)
        assert (
            _settings(
                tmp_path, database_url="sqlite:///x.db", writer_max_batch=8
            ).writer_batch_limit
            == 8
        )

    def test_postgresql_has_four_threads_a_transaction_each(self, tmp_path: Path) -> None:
        url = "postgresql+psycopg://u@localhost/db"
        s = _settings(tmp_path, database_url=url)
        assert (s.writer_thread_count, s.writer_batch_limit) == (4, 1)
        one = _settings(tmp_path, database_url=url, writer_threads=1, writer_max_batch=32)
        assert (one.writer_thread_count, one.writer_batch_limit) == (1, 32)
        # Every writer thread has its connection on top of the request slots.
        assert s.db_pool_size - one.db_pool_size == 3
