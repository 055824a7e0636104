"""`tessera demo seed`: demo data made through the services, twice without duplicates."""

from __future__ import annotations

import re
import subprocess
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from tessera.config import Settings
from tessera.demo.seed import FIRM_SLUG, samples_dir
from tessera.runtime import Runtime
from tests.support.api import Api, Caller
from tests.support.processes import TESSERA, cli_env, run_cli

LOGIN_ROW = re.compile(r"^│ (?P<role>[a-z ]+?) +│ (?P<email>\S+@\S+) +│ (?P<password>\S+) +│")


def table_counts(runtime: Runtime) -> dict[str, int]:
    """The number of rows of every table."""
    meta = sa.MetaData()
    meta.reflect(runtime.db.engine)
    with runtime.db.engine.connect() as conn:
        return {
            table.name: int(
                conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            )
            for table in meta.sorted_tables
        }


def logins(stdout: str) -> list[tuple[str, str, str]]:
    """(role, email, password) of each row of the printed logins table."""
    found = [LOGIN_ROW.match(line) for line in stdout.splitlines()]
    return [(m["role"], m["email"], m["password"]) for m in found if m]


def login_as(api: Api, email: str, password: str) -> Caller:
    tokens = api.login(email, password)
    return Caller(api=api, access_token=tokens["access_token"], email=email)


class TestDemoSeed:
    def test_twice_creates_everything_once_and_the_logins_work(
        self, api: Api, runtime: Runtime, settings: Settings
    ) -> None:
        first = run_cli(settings, "demo", "seed")
        assert first.returncode == 0, first.stderr
        after_first = table_counts(runtime)
        second = run_cli(settings, "demo", "seed")
        assert second.returncode == 0, second.stderr

        assert table_counts(runtime) == after_first
        assert "created nothing new" in second.stdout
        printed = logins(first.stdout)
        assert printed == logins(second.stdout)
        assert [role for role, _, _ in printed] == [
            "platform admin",
            "firm admin",
            "firm operator",
            "customer",
            "customer",
            "customer",
        ]
        assert all(len(line) <= 80 for line in first.stdout.splitlines())
        callers = {role: login_as(api, email, password) for role, email, password in printed}
        me = {role: c.get("/v1/auth/me").json() for role, c in callers.items()}
        assert me["platform admin"]["role"] == "platform_admin"
        assert me["firm admin"]["role"] == "firm_admin"
        assert me["firm operator"]["role"] == "firm_operator"
        assert me["firm admin"]["firm"] == me["customer"]["firm"] == me["firm operator"]["firm"]

    def test_the_firm_has_history_cards_registrations_deliveries_a_certificate_and_a_webhook(
        self, api: Api, runtime: Runtime, settings: Settings
    ) -> None:
        result = run_cli(settings, "demo", "seed")
        assert result.returncode == 0, result.stderr
        passwords = {email: password for _role, email, password in logins(result.stdout)}

        def login(email: str) -> Caller:
            return login_as(api, email, passwords[email])

        operator = login("operator@demobank.example")
        admin = login("admin@demobank.example")
        ada = login("ada@demobank.example")

        today = runtime.now().date()
        accounts = ada.get("/v1/accounts").json()["items"]
        assert {a["type"] for a in accounts} == {"checking", "savings"}
        checking = next(a for a in accounts if a["type"] == "checking")
        statement = ada.get(
            f"/v1/statements/{checking['id']}",
            params={"from": str(today - timedelta(days=45)), "to": str(today)},
        ).json()
        kinds = {t["type"] for t in statement["transactions"]}
        assert {"deposit", "withdrawal", "transfer_out", "transfer_in"} <= kinds
        days = sorted({t["created_at"][:10] for t in statement["transactions"]})
        # Dated relative to today: spread over the past six weeks, none in the future.
        assert days[0] <= str(today - timedelta(days=35))
        assert days[-1] < str(today)
        assert statement["closing_balance"] == checking["balance"] > 0

        cards = operator.get("/v1/cards").json()["items"]
        assert {c["type"] for c in cards} == {"virtual", "physical"}
        statuses = {r["status"] for r in operator.get("/v1/card-registrations").json()["items"]}
        assert {"pending", "approved"} <= statuses

        imports = operator.get("/v1/deliveries/imports").json()["items"]
        assert sorted(i["file_name"] for i in imports) == sorted(
            p.name for p in samples_dir().glob("*.csv")
        )
        delivery = operator.get("/v1/card-status", params={"card_id": "ZYW8827"}).json()
        assert delivery["status"] == "delivered"

        certificates = admin.get("/v1/certificates").json()["items"]
        assert [c["common_name"] for c in certificates] == ["payments.demobank.example"]
        endpoints = admin.get("/v1/webhook-endpoints").json()["items"]
        assert [e["events"] for e in endpoints] == [["*"]]
        firms = login("admin@tessera.example")
        slugs = [f["slug"] for f in firms.get("/v1/firms").json()["items"]]
        assert FIRM_SLUG in slugs
        ledger = run_cli(settings, "ledger", "verify")
        assert ledger.returncode == 0, ledger.stdout

    def test_refused_in_production(self, settings: Settings, runtime: Runtime) -> None:
        before = table_counts(runtime)
        result = subprocess.run(
            [TESSERA, "demo", "seed"],
            env=cli_env(settings, APP_ENV="prod"),
            cwd=settings.var_dir,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 1
        assert "APP_ENV=prod" in result.stderr
        assert table_counts(runtime) == before


class TestSamples:
    def test_the_packaged_samples_are_the_partners_files(self) -> None:
        tests_copy = Path(__file__).parents[1] / "deliveries" / "samples"
        packaged = {p.name: p.read_bytes() for p in samples_dir().glob("*.csv")}
        assert packaged == {p.name: p.read_bytes() for p in tests_copy.glob("*.csv")}
        assert len(packaged) == 4
