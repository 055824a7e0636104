"""The settings of a test: cheap argon2, fixed secrets, no embedded worker."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from tessera.config import AppEnv, Settings

TEST_JWT_SECRET = "test-jwt-secret-0123456789-abcdefghijklmnop"
TEST_MASTER_KEY = "dGVzc2VyYS10ZXN0LW1hc3Rlci1rZXktMzItYnl0ZXM="  # 32 bytes, base64


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


def selected_backends() -> list[str]:
    """The backends this run covers: ``TESSERA_TEST_BACKENDS`` narrows them (sqlite,postgresql)."""
    return [
        b.strip()
        for b in os.environ.get("TESSERA_TEST_BACKENDS", "sqlite,postgresql").split(",")
        if b.strip()
    ]
