"""`tessera keys ...` and `tessera staff grant` as an operator runs them, in a separate process."""

from __future__ import annotations

import sqlalchemy as sa

from tessera.config import Settings, decode_master_key
from tessera.kit.card_numbers import generate_card_number, validate_card_number
from tessera.models import DEFAULT_FIRM_ID, Role
from tessera.runtime import Runtime
from tessera.vault import card_store, rotation
from tessera.worker.jobs import default_jobs
from tests.support.api import PASSWORD, Api
from tests.support.firms import create_tenant, login
from tests.support.processes import run_cli


def _seed(runtime: Runtime, count: int) -> None:
    with runtime.db.session_scope() as session:
        for _ in range(count):
            card_store.store_card(
                session,
                runtime.keyring,
                firm_id=DEFAULT_FIRM_ID,
                holder_id=None,
                card=validate_card_number(generate_card_number("411111")),
                expiry=runtime.now().date().replace(year=runtime.now().year + 2, month=12, day=31),
                cardholder_name="Ada Lovelace",
                source=card_store.SOURCE_REGISTRATION,
                now=runtime.now(),
            )


def _versions(runtime: Runtime) -> dict[int, int]:
    with runtime.db.session_scope(write=False) as session:
        return rotation.repository.count_cards_by_version(session)


class TestKeysRotate:
    def test_rotates_every_card_and_reports_its_rate(
        self, runtime: Runtime, settings: Settings
    ) -> None:
        _seed(runtime, 25)
        assert _versions(runtime) == {1: 25}
        result = run_cli(settings, "keys", "rotate", "--batch-size", "10")
        assert result.returncode == 0, result.stderr
        assert "rotation complete: 25 rows moved to key version 2" in result.stderr
        assert "rows/s" in result.stderr
        assert _versions(runtime) == {2: 25}
        verified = run_cli(settings, "keys", "verify")
        assert verified.returncode == 0, verified.stderr
        assert "vault ok: 25 cards decrypt (v2: 25)" in verified.stdout
        status = run_cli(settings, "keys", "status")
        assert "retired" in status.stdout
        assert "completed, 25/25" in status.stdout

    def test_background_start_is_finished_by_the_worker_job(
        self, runtime: Runtime, settings: Settings
    ) -> None:
        _seed(runtime, 7)
        started = run_cli(settings, "keys", "rotate", "--background")
        assert started.returncode == 0, started.stderr
        assert "the workers will move the rows" in started.stderr
        assert _versions(runtime) == {1: 7}
        job = next(j for j in default_jobs() if j.name == "rotate_vault_keys")
        moved = [job.run(runtime) for _ in range(3)]
        assert moved == [7, 0, 0]
        assert _versions(runtime) == {2: 7}
        with runtime.db.engine.connect() as conn:
            actor = conn.execute(
                sa.text(
                    "SELECT actor_type FROM audit_events "
                    "WHERE action = 'vault.key_rotation_completed'"
                )
            ).scalar_one()
        assert actor == "system"

    def test_verify_names_a_card_that_does_not_decrypt(
        self, runtime: Runtime, settings: Settings
    ) -> None:
        _seed(runtime, 2)
        with runtime.db.engine.begin() as conn:
            rows = conn.execute(sa.text("SELECT id, token, sealed_number FROM vault_cards")).all()
            conn.execute(
                sa.text("UPDATE vault_cards SET sealed_number = :s WHERE id = :id"),
                {"s": rows[0].sealed_number, "id": rows[1].id},
            )
        result = run_cli(settings, "keys", "verify")
        assert result.returncode == 1
        assert rows[1].token in result.stderr
        assert "1 of 2 cards do not decrypt" in result.stderr

    def test_generate_prints_a_usable_master_key(self, settings: Settings) -> None:
        result = run_cli(settings, "keys", "generate")
        assert result.returncode == 0
        assert len(decode_master_key(result.stdout.strip())) == 32


class TestStaffGrant:
    def test_creates_then_changes_a_staff_user_and_audits_it(
        self, api: Api, settings: Settings
    ) -> None:
        tenant = create_tenant(api)
        email = api.unique_email("cli-staff")
        created = run_cli(
            settings,
            "staff", "grant", "--email", email, "--firm", tenant.slug,
            "--role", "firm_operator", "--password", PASSWORD,
        )  # fmt: skip
        assert created.returncode == 0, created.stderr
        assert "created as firm_operator" in created.stdout
        caller = login(api, email, firm_id=tenant.id)
        assert caller.get("/v1/auth/me").json()["role"] == "firm_operator"
        promoted = run_cli(
            settings, "staff", "grant", "--email", email, "--firm", tenant.slug,
            "--role", "firm_admin",
        )  # fmt: skip
        assert promoted.returncode == 0, promoted.stderr
        assert caller.get("/v1/auth/me").json()["role"] == Role.FIRM_ADMIN.value
        entries = tenant.admin.get(
            "/v1/audit-events", params={"action": "staff.role_granted"}
        ).json()["items"]
        cli_entries = [e for e in entries if e["target_id"] == caller.user_id]
        assert [(e["actor_type"], e["data"]["to"]) for e in cli_entries] == [
            ("cli", "firm_admin"),
            ("cli", "firm_operator"),
        ]

    def test_refuses_an_unknown_firm_and_a_missing_password(
        self, api: Api, settings: Settings
    ) -> None:
        tenant = create_tenant(api)
        unknown = run_cli(
            settings, "staff", "grant", "--email", "x@example.com", "--firm", "nope",
            "--role", "firm_admin",
        )  # fmt: skip
        assert unknown.returncode == 1
        assert "no firm has the slug" in unknown.stderr
        missing = run_cli(
            settings, "staff", "grant", "--email", "new@example.com", "--firm", tenant.slug,
            "--role", "firm_admin",
        )  # fmt: skip
        assert missing.returncode == 1
        assert "give a password" in missing.stderr
        bad_role = run_cli(
            settings, "staff", "grant", "--email", "x@example.com", "--firm", tenant.slug,
            "--role", "platform_admin",
        )  # fmt: skip
        assert bad_role.returncode == 2
