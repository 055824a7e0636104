"""The audit log: firm admins read it; `tessera audit verify` catches edits and deletions."""

from __future__ import annotations

import sqlalchemy as sa

from tessera.config import Settings
from tessera.models import Role
from tests.support.api import Api
from tests.support.processes import run_cli


def _disable_guard(conn: sa.Connection, backend: str) -> None:
    """Take the append-only guard off, as an attacker with database access would."""
    if backend == "sqlite":
        conn.execute(sa.text("DROP TRIGGER audit_events_no_update"))
        conn.execute(sa.text("DROP TRIGGER audit_events_no_delete"))
    else:
        conn.execute(sa.text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))


class TestAuditEvents:
    def test_firm_admin_reads_their_firm_newest_first(self, api: Api) -> None:
        customer = api.customer()
        admin = api.staff(Role.FIRM_ADMIN)
        page = admin.get("/v1/audit-events", params={"action": "auth.login"}).json()
        assert page["total"] >= 2
        assert page["items"][0]["seq"] > page["items"][-1]["seq"]
        assert {e["target_id"] for e in page["items"]} >= {customer.user_id, admin.user_id}
        assert all(e["firm_id"] == "firm_default" for e in page["items"])

    def test_operators_and_customers_may_not(self, api: Api) -> None:
        assert api.customer().get("/v1/audit-events").status_code == 403
        assert api.staff(Role.FIRM_OPERATOR).get("/v1/audit-events").status_code == 403

    def test_another_firms_entries_are_invisible(self, api: Api) -> None:
        api.customer()
        firm = api.create_firm("elsewhere")
        foreign = api.staff(Role.FIRM_ADMIN, firm_id=firm.id)
        items = foreign.get("/v1/audit-events").json()["items"]
        assert {e["firm_id"] for e in items} == {firm.id}

    def test_entries_name_the_acting_users_email(self, api: Api) -> None:
        customer = api.customer()
        admin = api.staff()
        items = admin.get("/v1/audit-events", params={"action": "auth.login"}).json()["items"]
        by_actor = {i["actor_id"]: i for i in items}
        assert by_actor[customer.user_id]["actor_type"] == "user"
        assert by_actor[customer.user_id]["actor_email"] == customer.email
        assert by_actor[admin.user_id]["actor_email"] == admin.email


class TestAuditVerify:
    def test_detects_an_edited_entry(self, api: Api, settings: Settings, backend: str) -> None:
        for _ in range(3):
            api.customer()
        with api.runtime.db.engine.connect() as conn:
            entries = conn.execute(sa.text("SELECT count(*) FROM audit_events")).scalar_one()
        assert entries >= 6  # three signups and three logins, at least
        ok = run_cli(settings, "audit", "verify")
        assert ok.returncode == 0, ok.stderr
        assert f"audit chain ok: {entries} entries" in ok.stdout
        with api.runtime.db.engine.begin() as conn:
            _disable_guard(conn, backend)
            conn.execute(
                sa.text("UPDATE audit_events SET actor_id = 'usr_someone_else' WHERE seq = 3")
            )
        broken = run_cli(settings, "audit", "verify")
        assert broken.returncode == 1
        assert "entry 3 was altered" in broken.stdout

    def test_detects_a_deleted_entry(self, api: Api, settings: Settings, backend: str) -> None:
        for _ in range(2):
            api.customer()
        with api.runtime.db.engine.begin() as conn:
            _disable_guard(conn, backend)
            conn.execute(sa.text("DELETE FROM audit_events WHERE seq = 2"))
        broken = run_cli(settings, "audit", "verify")
        assert broken.returncode == 1
        assert "entry 2 is missing" in broken.stdout

    def test_detects_removal_of_the_newest_entries(
        self, api: Api, settings: Settings, backend: str
    ) -> None:
        for _ in range(2):
            api.customer()
        with api.runtime.db.engine.begin() as conn:
            _disable_guard(conn, backend)
            newest = conn.execute(sa.text("SELECT max(seq) FROM audit_events")).scalar_one()
            conn.execute(sa.text("DELETE FROM audit_events WHERE seq = :seq"), {"seq": newest})
        broken = run_cli(settings, "audit", "verify")
        assert broken.returncode == 1
        assert f"newest entries after {newest - 1} were removed" in broken.stdout
