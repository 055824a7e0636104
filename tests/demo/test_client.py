"""`tessera demo client`: the seed 003 flow over HTTP, against a real server in a subprocess."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tessera.config import Settings
from tessera.demo.client import load_plan, to_minor_units
from tessera.runtime import Runtime
from tests.support.processes import TESSERA, cli_env, serve

EXAMPLE_PLAN = Path(__file__).parents[2] / "docs" / "demo-client.json"


def run_client(
    settings: Settings, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TESSERA, "demo", "client", *args],
        env=cli_env(settings, COLUMNS="160"),
        cwd=settings.var_dir,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def plan_file(tmp_path: Path, base_url: str, **changes: Any) -> Path:
    """The documented example plan, against ``base_url``."""
    plan = json.loads(EXAMPLE_PLAN.read_text(encoding="utf-8"))
    plan["base_url"] = base_url
    plan.update(changes)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    return path


def balances(runtime: Runtime) -> list[tuple[str, int]]:
    """Every account's type and balance, as the database holds them."""
    with runtime.db.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT type, balance FROM accounts").all()
    return sorted((str(kind), int(balance)) for kind, balance in rows)


class TestConfigMode:
    def test_runs_the_documented_flow_and_shows_the_results(
        self, settings: Settings, runtime: Runtime, tmp_path: Path
    ) -> None:
        with serve(settings) as server:
            result = run_client(settings, "--config", str(plan_file(tmp_path, server.base_url)))
            again = run_client(settings, "--config", str(plan_file(tmp_path, server.base_url)))

        assert result.returncode == 0, result.stdout + result.stderr
        out = result.stdout
        assert f"Demo client against {server.base_url}" in out
        for expected in (
            "sign up ada@example.com",
            "open checking account 'checking'",
            "deposit 100.00 USD to 'checking'",
            "balance 100.00 USD",
            "transfer 25.00 USD 'checking' to 'savings'",
            "withdrawal 12.50 USD from 'checking'",
            "balance 62.50 USD",
            "3 transactions, closing 62.50 USD",
        ):
            assert expected in out, expected
        statement = out[out.index("Statement of 'checking'") :]
        assert [line.split("│")[2].strip() for line in statement.splitlines()[4:7]] == [
            "deposit",
            "transfer_out",
            "withdrawal",
        ]
        assert "Accounts" in out
        assert "25.00 USD" in out[out.index("Accounts") :]
        # The server agrees: the money moved once per run, exactly.
        assert again.returncode == 0, again.stdout
        assert "already signed up" in again.stdout
        assert balances(runtime) == [
            ("checking", 6250),
            ("checking", 6250),
            ("savings", 2500),
            ("savings", 2500),
        ]

    def test_a_failing_step_stops_the_plan_with_the_error_code(
        self, settings: Settings, tmp_path: Path
    ) -> None:
        steps = json.loads(EXAMPLE_PLAN.read_text(encoding="utf-8"))["steps"][:4]
        steps.append({"action": "withdraw", "account": "checking", "amount": 500})
        steps.append({"action": "statement", "account": "checking"})
        with serve(settings) as server:
            result = run_client(
                settings, "--config", str(plan_file(tmp_path, server.base_url, steps=steps))
            )

        assert result.returncode == 1
        assert "409 insufficient_funds" in result.stdout
        assert "statement of" not in result.stdout

    def test_a_bad_plan_is_one_line(self, settings: Settings, tmp_path: Path) -> None:
        path = tmp_path / "plan.json"
        path.write_text(json.dumps({"steps": [{"action": "teleport"}]}), encoding="utf-8")

        result = run_client(settings, "--config", str(path))

        assert result.returncode == 2
        assert len(result.stderr.strip().splitlines()) == 1
        assert "steps.0" in result.stderr


class TestInteractiveMode:
    def test_asks_for_the_server_the_customer_and_the_amounts(
        self, settings: Settings, runtime: Runtime
    ) -> None:
        with serve(settings) as server:
            answers = [
                server.base_url,
                "grace@example.com",
                "correct horse battery",
                "Grace",
                "Hopper",
                "1986-12-09",
                "",
                "",
                "usd",
                "250.00",
                "40.10",
            ]
            result = run_client(settings, stdin="\n".join(answers) + "\n")

        assert result.returncode == 0, result.stdout + result.stderr
        assert "deposit 250.00 USD to 'checking'" in result.stdout
        assert "transfer 40.10 USD 'checking' to 'savings'" in result.stdout
        assert balances(runtime) == [("checking", 20990), ("savings", 4010)]


class TestPlans:
    def test_the_documented_plan_is_valid(self) -> None:
        plan = load_plan(json.loads(EXAMPLE_PLAN.read_text(encoding="utf-8")))
        assert [step.action for step in plan.steps][:2] == ["signup", "login"]

    @pytest.mark.parametrize(
        ("text", "currency", "minor"),
        [("100", "USD", 10000), ("0.5", "USD", 50), ("1000", "JPY", 1000), ("1.234", "KWD", 1234)],
    )
    def test_amounts_in_major_units(self, text: str, currency: str, minor: int) -> None:
        assert to_minor_units(text, currency) == minor

    @pytest.mark.parametrize("text", ["0", "-1", "1.001", "ten"])
    def test_bad_amounts_are_refused(self, text: str) -> None:
        with pytest.raises(ValueError, match="amount"):
            to_minor_units(text, "USD")
