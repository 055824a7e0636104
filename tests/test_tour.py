"""The README's tour is scripts/tour.sh, verbatim, and it runs: against a live server, each step
prints what the README says it does."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tessera.config import Settings
from tests.support.processes import TESSERA, cli_env, serve

ROOT = Path(__file__).parents[1]
SCRIPT = ROOT / "scripts" / "tour.sh"
BEGIN = "<!-- tour: begin scripts/tour.sh -->\n```sh\n"
END = "```\n<!-- tour: end -->"
RUN = "test"


def readme_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(BEGIN) + len(BEGIN)
    return text[start : text.index(END, start)]


def sections(output: str) -> dict[str, list[str]]:
    """The tour's output, by step: the heading after `== ` and the lines under it."""
    steps: dict[str, list[str]] = {}
    current: list[str] = []
    for line in output.splitlines():
        if line.startswith("== "):
            current = steps.setdefault(line[3:], [])
        elif line.strip():
            current.append(line)
    return steps


def objects(lines: list[str]) -> list[dict[str, Any]]:
    """The JSON objects a step printed, one a line."""
    return [json.loads(line) for line in lines if line.startswith("{")]


def step(steps: dict[str, list[str]], starts: str) -> list[str]:
    (lines,) = [lines for heading, lines in steps.items() if heading.startswith(starts)]
    return lines


class TestTheScript:
    def test_the_readme_shows_the_script_verbatim(self) -> None:
        assert readme_block() == SCRIPT.read_text(encoding="utf-8")

    def test_it_is_executable_and_strict(self) -> None:
        assert os.access(SCRIPT, os.X_OK)
        assert "set -euo pipefail" in SCRIPT.read_text(encoding="utf-8")

    def test_one_name_per_meaning(self) -> None:
        text = SCRIPT.read_text(encoding="utf-8")
        # $TOKEN once meant both an access token and a vault token.
        assert re.search(r"\$\{?TOKEN\b", text) is None
        assert "../" not in text.replace('"$(dirname "${BASH_SOURCE[0]}")/.."', "")


@pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("bash", "curl", "jq", "openssl")),
    reason="the tour needs bash, curl, jq and openssl (scripts/ensure-system-deps.sh)",
)
@pytest.mark.one_backend  # the tour drives the HTTP API
class TestTheTourRuns:
    def test_every_step_against_a_live_server(self, settings: Settings) -> None:
        with serve(settings) as server:
            env = cli_env(settings, API=server.base_url, TESSERA=TESSERA, RUN=RUN)
            result = subprocess.run(
                ["bash", str(SCRIPT)],
                env=env,
                cwd=settings.var_dir,  # the script finds the repository itself
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        steps = sections(result.stdout)
        today = datetime.now(UTC).date()

        firm_line = step(steps, "a platform admin")[-1]
        firm_id = re.fullmatch(r"FIRM=(firm_\w+) SLUG=acme-test", firm_line)
        assert firm_id is not None, firm_line
        staff = step(steps, "the firm's admin and operator")
        assert [line.split()[-3:] for line in staff] == [
            ["firm_admin", "of", "acme-test"],
            ["firm_operator", "of", "acme-test"],
        ]

        (signup,) = objects(step(steps, "a customer signs up"))
        assert signup["user"]["firm"] == firm_id[1]  # the customer is in the staff's firm
        assert signup["account_holder"]["phone"] == "+971585949014"

        money = step(steps, "two accounts")
        assert re.fullmatch(r"A=acc_\w+ B=acc_\w+", money[0])
        deposit, transfer = objects(money)
        assert (deposit["type"], deposit["amount"], deposit["balance_after"]) == (
            "deposit",
            10000,
            10000,
        )
        assert (transfer["amount"], transfer["description"]) == (2500, "Rent")

        replay = step(steps, "the same deposit again")
        assert replay[0].lower() == "idempotent-replayed: true"
        assert objects(replay)[0]["balance"] == 7500

        statement_lines = step(steps, "this month's statement")
        (statement,) = objects(statement_lines)
        assert statement["from"] == today.replace(day=1).isoformat()
        assert statement["to"] == today.isoformat()
        assert (statement["opening_balance"], statement["closing_balance"]) == (0, 7500)
        rows = list(csv.reader(line for line in statement_lines if not line.startswith("{")))
        assert rows[0][:4] == ["id", "created_at", "type", "amount"]
        assert [row[2] for row in rows[1:]] == ["deposit", "transfer_out"]

        assert objects(step(steps, "refresh tokens rotate")) == [
            {"token_type": "bearer", "expires_in": 900}
        ]
        assert objects(step(steps, "a machine client")) == [
            {"token_type": "bearer", "scope": "cards:read cards:write"}
        ]

        registration_lines = step(steps, "the customer registers a card")
        (registration,) = objects(registration_lines)
        assert registration["status"] == "pending"
        assert (registration["card"]["bin"], registration["card"]["last4"]) == ("411111", "1111")
        assert "4111111111111111" not in "".join(registration_lines)
        assert "cvv" not in registration_lines[0]

        approval = step(steps, "the firm's operator approves it")
        decided, masked = objects(approval)
        assert decided == {"id": registration["id"], "status": "approved"}
        csv_rows = list(csv.reader(line for line in approval if not line.startswith("{")))
        assert csv_rows[0][:4] == ["id", "status", "brand", "masked_number"]
        assert csv_rows[1][:4] == [
            registration["id"],
            "approved",
            "visa",
            "411111******1111",
        ]
        assert masked["masked_number"] == "411111******1111"

        revealed, audited = objects(step(steps, "only the firm's admin reveals"))
        assert revealed == {"card_number": "4111111111111111"}
        assert audited == {"total": 1, "action": "vault.card_revealed"}

        (card,) = objects(step(steps, "an issued physical card"))
        assert (card["type"], card["status"]) == ("physical", "blocked")
        assert card["reference"].startswith("TSR")

        deliveries = step(steps, "courier files")
        upload, by_phone, by_card = objects(deliveries)
        assert upload == {
            "kind": "pickup",
            "status": "completed",
            "rows_imported": 3,
            "rows_rejected": 0,
        }
        assert "importing into firm acme-test (Acme Cards)" in deliveries
        assert all(len(line) <= 80 for line in deliveries if not line.startswith("{"))
        assert by_phone == {
            "card_id": "ZYW8827",
            "phone": "+971585949014",
            "status": "delivered",
            "delivery_attempts": 0,
        }
        assert by_card == {"card_id": "ZYW7631", "status": "delivered", "delivery_attempts": 1}

        certificate = step(steps, "the firm declares its domain")
        assert certificate[0] == '{"domain":"acme-test.example"}'
        verified = [line for line in certificate if line.endswith("cert.pem: OK")]
        assert len(verified) == 2  # by the whole CA chain, and pinned to the firm's own CA
        assert objects(certificate)[-1]["status"] == "revoked"
        assert certificate[-1] == "refused, as it should be"

        webhooks = step(steps, "a webhook endpoint")
        assert re.fullmatch(r"ENDPOINT=whe_\w+ EVENT=evt_\w+", webhooks[0])
        redelivered, log = objects(webhooks)
        assert redelivered["queued"] == 1
        assert log == {"total": 1, "status": "pending", "trigger": "redelivery"}

        operations = step(steps, "operations")
        assert objects(operations) == [{"status": "ok", "database": "ok"}]
        movements = {
            line.split("{")[1].split("}")[0]: float(line.split()[-1]) for line in operations[1:]
        }
        assert movements == {'type="deposit"': 1.0, 'type="transfer"': 1.0}
