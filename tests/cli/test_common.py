"""What every `tessera` command shares: one line naming DATABASE_URL instead of a traceback,
`--version`, and the flag to add in its errors."""

from __future__ import annotations

import ast
import logging
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

import tessera
from tessera.cli.app import app
from tessera.config import get_settings
from tests.support.ports import free_port
from tests.support.processes import TESSERA
from tests.support.settings import TEST_JWT_SECRET, TEST_MASTER_KEY

CLI_SOURCES = Path(tessera.__file__).parent / "cli"

# The arguments that make each command that reads or writes the database get that far. A new
# command fails TestEveryCommand until it is listed here (or below, when it needs no database).
COMMAND_ARGS: dict[str, list[str]] = {
    "serve": ["--port", "1"],
    "downgrade": ["base"],
    "worker": [],
    "admin create": ["--email", "root@example.com", "--password", "a long admin password"],
    "staff grant": ["--email", "ops@example.com", "--firm", "acme", "--role", "firm_admin"],
    "keys rotate": [],
    "keys status": [],
    "keys verify": [],
    "pki init": [],
    "pki rotate-intermediate": [],
    "pki show": [],
    "tls init": [],
    "ledger verify": [],
    "audit verify": [],
    "deliveries import": ["{samples}"],
    "deliveries watch": ["{folder}", "--once"],
    "deliveries partners set": ["acme-couriers", "--region", "AE", "--timezone", "Asia/Dubai"],
    "deliveries partners list": [],
    "demo seed": [],
    "backup": ["{folder}/backup.db"],
}
# Commands that never open the database: they print a key, create the schema, or talk HTTP.
NO_DATABASE = {"generate-key", "keys generate", "migrate", "demo client"}
# Creates the database it fills: it needs the backup's master key instead (tested below).
NEW_DATABASE = {"restore"}


def leaf_commands() -> list[str]:
    """Every command of `tessera`, as it is typed ("deliveries partners set")."""
    names: list[str] = []

    def walk(command: Any, prefix: list[str]) -> None:
        subcommands = getattr(command, "commands", None)  # a group (Typer vendors its click)
        if subcommands:
            for name, sub in subcommands.items():
                walk(sub, [*prefix, name])
        else:
            names.append(" ".join(prefix))

    walk(typer.main.get_command(app), [])
    return sorted(names)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """Commands run in an empty folder (not the project root), with no DATABASE_URL."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    for name in ("DATABASE_URL", "JWT_SECRET", "TESSERA_MASTER_KEY", "VAR_DIR", "APP_ENV"):
        monkeypatch.delenv(name, raising=False)
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


def invoke(cli: CliRunner, command: str, tmp_path: Path, **env: str) -> tuple[int, str, str]:
    folder = tmp_path / "inbox"
    folder.mkdir(exist_ok=True)
    samples = Path(__file__).parents[1] / "deliveries" / "samples"
    args = [a.format(samples=samples, folder=folder) for a in COMMAND_ARGS[command]]
    result = cli.invoke(app, [*command.split(), *args], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{command}: {result.exception!r}"
    )
    return result.exit_code, result.stdout, result.stderr


class TestEveryCommand:
    def test_every_command_is_checked_below(self) -> None:
        assert set(leaf_commands()) == set(COMMAND_ARGS) | NO_DATABASE | NEW_DATABASE

    def test_restore_outside_the_project_root_wants_the_backups_key(
        self, cli: CliRunner, tmp_path: Path
    ) -> None:
        backup = tmp_path / "inbox" / "backup.db"
        backup.parent.mkdir()
        backup.write_bytes(b"SQLite format 3\x00")
        result = cli.invoke(app, ["restore", str(backup)])
        assert result.exit_code == 1
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "TESSERA_MASTER_KEY" in result.stderr
        # No key was made up and no database created where the command ran.
        assert list(Path.cwd().iterdir()) == []

    @pytest.mark.parametrize("command", sorted(COMMAND_ARGS))
    def test_outside_the_project_root_one_line_names_database_url(
        self, cli: CliRunner, command: str, tmp_path: Path
    ) -> None:
        code, stdout, stderr = invoke(cli, command, tmp_path)

        assert code == 1
        assert stdout == ""
        assert len(stderr.strip().splitlines()) == 1, stderr
        assert "DATABASE_URL" in stderr
        assert "no database at" in stderr
        # Nothing was left behind: no empty database, no development secrets.
        assert list(Path.cwd().iterdir()) == []

    # `downgrade` of an empty database is a legitimate no-op.
    @pytest.mark.parametrize("command", sorted(set(COMMAND_ARGS) - {"downgrade"}))
    def test_an_empty_database_asks_for_migrate(
        self, cli: CliRunner, command: str, tmp_path: Path
    ) -> None:
        empty = tmp_path / "empty.db"
        empty.touch()

        code, _stdout, stderr = invoke(
            cli,
            command,
            tmp_path,
            DATABASE_URL=f"sqlite:///{empty}",
            APP_ENV="test",
            LOG_LEVEL="WARNING",
        )

        assert code == 1
        assert len(stderr.strip().splitlines()) == 1, stderr
        assert "DATABASE_URL" in stderr
        assert "run `tessera migrate`" in stderr

    def test_a_database_that_does_not_answer_is_one_line(
        self, cli: CliRunner, tmp_path: Path
    ) -> None:
        url = f"postgresql://tessera:s3cret@127.0.0.1:{free_port()}/none"
        for command in ("ledger verify", "keys status", "demo seed"):
            code, _stdout, stderr = invoke(cli, command, tmp_path, DATABASE_URL=url, APP_ENV="test")
            assert code == 1
            assert stderr.strip().splitlines() == [
                "error: the database at DATABASE_URL does not answer (OperationalError)"
            ]

    def test_a_real_process_prints_no_traceback(self, tmp_path: Path) -> None:
        env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
        result = subprocess.run(
            [TESSERA, "ledger", "verify"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        assert result.stderr.count("\n") == 1
        assert "DATABASE_URL" in result.stderr


class TestVersion:
    def test_prints_the_version(self, cli: CliRunner) -> None:
        result = cli.invoke(app, ["--version"])
        assert result.exit_code == 0
        assert result.stdout == f"tessera {tessera.__version__}\n"


GRANT = ["staff", "grant", "--email", "new@example.com"]


class TestFlagNames:
    def test_staff_grant_names_the_password_flag(
        self, cli: CliRunner, database_url: str, tmp_path: Path
    ) -> None:
        env = {
            "DATABASE_URL": database_url,
            "APP_ENV": "test",
            "JWT_SECRET": TEST_JWT_SECRET,
            "TESSERA_MASTER_KEY": TEST_MASTER_KEY,
        }
        result = cli.invoke(
            app,
            [*GRANT, "--firm", "default", "--role", "firm_operator"],
            env=env,
        )
        assert result.exit_code == 1
        assert result.stderr.strip() == (
            "error: No user has this email; give a password to create one. (add --password)"
        )
        unknown = cli.invoke(
            app,
            [*GRANT, "--firm", "nope", "--role", "firm_operator", "--password", "long enough"],
            env=env,
        )
        assert unknown.exit_code == 1
        assert "(check --firm)" in unknown.stderr


class TestOneHomeForWhatCommandsShare:
    """Issue 13: subcommands import `fail` and the runtime from cli/common.py, never cli/app.py,
    and no command builds its own runtime or console."""

    def _calls_and_imports(self, path: Path) -> tuple[set[str], set[str]]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = {
            node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
        }
        imports = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        imports |= {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        return calls, imports

    def test_no_subcommand_imports_back_from_the_app(self) -> None:
        for path in sorted(CLI_SOURCES.glob("*.py")):
            if path.name in {"app.py", "__init__.py"}:
                continue
            _calls, imports = self._calls_and_imports(path)
            assert "tessera.cli.app" not in imports, path.name

    def test_only_common_builds_runtimes_and_consoles(self) -> None:
        for path in sorted(CLI_SOURCES.glob("*.py")):
            if path.name == "common.py":
                continue
            calls, _imports = self._calls_and_imports(path)
            assert "build_runtime" not in calls, path.name
            assert "Database" not in calls, path.name
            assert "Console" not in calls, path.name
