"""`tessera pki init`, `tessera pki rotate-intermediate` and `tessera pki show`."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tessera.cli.app import app
from tessera.config import get_settings
from tests.support.settings import TEST_JWT_SECRET, TEST_MASTER_KEY


@pytest.fixture
def cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """The command line, configured through the environment like a deployment."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TESSERA_MASTER_KEY", TEST_MASTER_KEY)
    monkeypatch.setenv("JWT_SECRET", TEST_JWT_SECRET)
    monkeypatch.setenv("APP_ENV", "test")
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    get_settings.cache_clear()
    try:
        yield CliRunner()
    finally:
        get_settings.cache_clear()
        # The commands configure logging for themselves; give the test session its own back.
        root.handlers[:] = handlers
        root.setLevel(level)


def run(cli: CliRunner, *args: str) -> Result:
    return cli.invoke(app, ["pki", *args], catch_exceptions=False)


class TestPkiCommands:
    def test_init_creates_the_ca_once(self, cli: CliRunner) -> None:
        first = run(cli, "init")
        second = run(cli, "init")

        assert first.exit_code == second.exit_code == 0
        assert "certificate authority created" in first.output
        assert "certificate authority already exists" in second.output
        assert first.output.count("root") == 1
        assert "intermediate" in first.output
        # The second run names the same two CAs.
        ids = [
            line.split()[2]
            for line in first.output.splitlines()
            if line.startswith(("root", "intermediate"))
        ]
        assert all(ca_id in second.output for ca_id in ids)

    def test_rotate_intermediate_retires_the_old_one(self, cli: CliRunner) -> None:
        run(cli, "init")

        rotated = run(cli, "rotate-intermediate", "--validity-days", "400")
        shown = run(cli, "show")

        assert rotated.exit_code == 0
        assert "new issuing intermediate" in rotated.output
        assert "retired" in rotated.output
        lines = [
            line
            for line in shown.output.splitlines()
            if line.split()[:1] in (["root"], ["intermediate"])
        ]
        assert [line.split()[:2] for line in lines] == [
            ["root", "active"],
            ["intermediate", "active"],
            ["intermediate", "retired"],
        ]

    def test_rotation_before_init_fails_clearly(self, cli: CliRunner) -> None:
        result = run(cli, "rotate-intermediate")

        assert result.exit_code == 1
        assert "tessera pki init" in result.output

    def test_show_before_init_fails_clearly(self, cli: CliRunner) -> None:
        result = run(cli, "show")

        assert result.exit_code == 1
        assert "tessera pki init" in result.output
