"""The container files, checked statically (no Docker engine runs here): the Dockerfile lints
clean with hadolint, and `docker-compose config` parses the scaled layout we describe."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).parents[1]
HADOLINT = Path(sys.executable).with_name("hadolint")
SECRETS = {
    "POSTGRES_PASSWORD": "compose-test-password",
    "JWT_SECRET": "compose-test-jwt-secret-of-enough-length-0123456789",
    "TESSERA_MASTER_KEY": "compose-test-master-key",
}


def compose_config(**env: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("docker-compose") is None:
        pytest.fail("docker-compose is missing: run `make system-deps`")
    clean = {k: v for k, v in os.environ.items() if k not in SECRETS}
    return subprocess.run(
        ["docker-compose", "--file", str(ROOT / "docker-compose.yml"), "config"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    result = compose_config(**SECRETS)
    assert result.returncode == 0, result.stderr
    parsed: dict[str, Any] = yaml.safe_load(result.stdout)
    return parsed


class TestDockerfile:
    def test_hadolint_finds_nothing(self) -> None:
        result = subprocess.run(
            [str(HADOLINT), "--no-color", str(ROOT / "Dockerfile")],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr

    def test_multi_stage_slim_non_root_with_a_health_check_and_no_secrets(self) -> None:
        text = (ROOT / "Dockerfile").read_text()
        stages = re.findall(r"^FROM\s+(\S+)\s+AS\s+(\w+)", text, re.MULTILINE)
        assert [name for _, name in stages] == ["web", "build", "runtime"]
        runtime = text[text.index("AS runtime") :]
        assert {n: i for i, n in stages}["runtime"].endswith("-slim-bookworm")
        assert "npm" not in runtime  # Node and the build tools stay in their stages
        assert "uv " not in runtime
        assert re.search(r"^USER\s+10001:10001$", runtime, re.MULTILINE)
        assert re.search(r"^HEALTHCHECK .*/v1/health", runtime, re.MULTILINE | re.DOTALL)
        assert "wheel" in text[text.index("AS build") : text.index("AS runtime")]
        for secret in ("JWT_SECRET", "TESSERA_MASTER_KEY", "DATABASE_URL", "PASSWORD"):
            assert not re.search(rf"^(ENV|ARG).*{secret}", text, re.MULTILINE), secret
        ignored = (ROOT / ".dockerignore").read_text().split()
        assert {".env", "var", ".git"} <= set(ignored)


class TestCompose:
    def test_refuses_to_start_without_its_secrets(self) -> None:
        result = compose_config(POSTGRES_PASSWORD="x", TESSERA_MASTER_KEY="y")
        assert result.returncode != 0
        assert "JWT_SECRET" in result.stderr

    def test_services(self, compose: dict[str, Any]) -> None:
        assert set(compose["services"]) == {
            "db",
            "redis",
            "migrate",
            "api1",
            "api2",
            "worker",
            "lb",
        }

    def test_migration_runs_once_before_the_apis_and_the_worker(
        self, compose: dict[str, Any]
    ) -> None:
        services = compose["services"]
        assert services["migrate"]["command"] == ["tessera", "migrate"]
        assert services["migrate"]["restart"] == "no"
        assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
        for name in ("api1", "api2", "worker"):
            waits = services[name]["depends_on"]["migrate"]["condition"]
            assert waits == "service_completed_successfully", name

    def test_two_production_apis_with_health_checks_behind_haproxy(
        self, compose: dict[str, Any]
    ) -> None:
        services = compose["services"]
        for name in ("api1", "api2"):
            api = services[name]
            assert api["command"][:3] == ["tessera", "serve", "--prod"]
            assert "/v1/health" in " ".join(api["healthcheck"]["test"])
            assert api["environment"]["RUN_WORKER_IN_PROCESS"] == "false"
            assert api["environment"]["RATE_LIMIT_STORAGE"].startswith("redis://redis:")
            assert api["depends_on"]["redis"]["condition"] == "service_healthy"
        lb = services["lb"]
        assert lb["image"].startswith("haproxy:")
        assert any("deploy/haproxy.cfg" in str(volume) for volume in lb["volumes"])
        assert {lb["environment"]["API1_ADDR"], lb["environment"]["API2_ADDR"]} == {
            "api1:8000",
            "api2:8000",
        }
        for name in ("api1", "api2"):
            assert lb["depends_on"][name]["condition"] == "service_healthy"
        # The APIs believe X-Forwarded-For from the balancer's fixed address only.
        address = lb["networks"]["backend"]["ipv4_address"]
        assert services["api1"]["environment"]["TRUSTED_PROXIES"] == address

    def test_one_worker_and_the_stores_have_health_checks(self, compose: dict[str, Any]) -> None:
        services = compose["services"]
        assert services["worker"]["command"] == ["tessera", "worker"]
        assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
        assert "ping" in services["redis"]["healthcheck"]["test"]

    def test_secrets_come_from_the_environment(self, compose: dict[str, Any]) -> None:
        text = (ROOT / "docker-compose.yml").read_text()
        for name in SECRETS:
            assert f"${{{name}:?" in text, name  # required, with no default
        api = compose["services"]["api1"]["environment"]
        assert api["JWT_SECRET"] == SECRETS["JWT_SECRET"]


def test_haproxy_config_is_valid_and_checks_health() -> None:
    if shutil.which("haproxy") is None:
        pytest.fail("haproxy is missing: run `make system-deps`")
    env = {
        **os.environ,
        "LB_BIND": "127.0.0.1:18080",
        "API1_ADDR": "127.0.0.1:18081",
        "API2_ADDR": "127.0.0.1:18082",
    }
    config = ROOT / "deploy" / "haproxy.cfg"
    result = subprocess.run(
        ["haproxy", "-c", "-f", str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    text = config.read_text()
    assert "http-check send meth GET uri /v1/health" in text
    assert re.search(r"^\s+server api1 .* check$", text, re.MULTILINE)
    assert re.search(r"^\s+server api2 .* check$", text, re.MULTILINE)
