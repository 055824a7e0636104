"""DELETE /v1/users/{id}: the login goes, personal data is erased, the ledger stays."""

from __future__ import annotations

import sqlalchemy as sa

from tessera.models import Role
from tests.support.api import Api


class TestDeleteUser:
    def test_erases_personal_data_and_keeps_ledger_rows(self, api: Api) -> None:
        customer = api.customer(phone="0585949014")
        account = customer.open_account()
        customer.deposit(account, 500)
        withdrawal = customer.post(
            "/v1/transactions",
            json={"account_id": account, "type": "withdrawal", "amount": 500, "currency": "USD"},
        )
        assert withdrawal.status_code == 201

        assert customer.delete(f"/v1/users/{customer.user_id}").status_code == 204

        with api.runtime.db.engine.connect() as conn:
            user = conn.execute(
                sa.text("SELECT email, password_hash, status FROM users WHERE id = :id"),
                {"id": customer.user_id},
            ).one()
            holder = conn.execute(
                sa.text(
                    "SELECT first_name, last_name, dob, phone FROM account_holders WHERE id = :id"
                ),
                {"id": customer.holder_id},
            ).one()
            ledger_rows = conn.execute(
                sa.text("SELECT count(*) FROM transactions WHERE account_id = :id"), {"id": account}
            ).scalar_one()
            status = conn.execute(
                sa.text("SELECT status FROM accounts WHERE id = :id"), {"id": account}
            ).scalar_one()
            event = conn.execute(
                sa.text("SELECT count(*) FROM events WHERE type = 'user.deleted'")
            ).scalar_one()
        assert customer.email not in user[0]
        assert user[1] is None
        assert user[2] == "deleted"
        assert tuple(holder) == (None, None, None, None)
        assert ledger_rows == 2
        assert status == "closed"
        assert event == 1
        relogin = api.client.post(
            "/v1/auth/login", json={"email": customer.email, "password": "correct horse battery"}
        )
        assert relogin.status_code == 401

    def test_refused_while_an_account_holds_money(self, api: Api) -> None:
        customer = api.customer()
        account = customer.open_account()
        customer.deposit(account, 1)
        response = customer.delete(f"/v1/users/{customer.user_id}")
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "accounts_not_closed"
        assert response.json()["error"]["details"]["account_ids"] == [account]
        assert customer.get("/v1/auth/me").status_code == 200

    def test_a_customer_cannot_delete_someone_else(self, api: Api) -> None:
        alice, bob = api.customer(), api.customer()
        assert bob.delete(f"/v1/users/{alice.user_id}").status_code == 404
        assert alice.get("/v1/auth/me").status_code == 200

    def test_firm_admin_deletes_users_of_their_firm_only(self, api: Api) -> None:
        customer = api.customer()
        api.create_firm("other")
        outsider = api.customer(firm="other")
        admin = api.staff(Role.FIRM_ADMIN)
        operator = api.staff(Role.FIRM_OPERATOR)
        # The operator sees the firm's users but manages none of them.
        assert operator.delete(f"/v1/users/{customer.user_id}").status_code == 403
        assert admin.delete(f"/v1/users/{outsider.user_id}").status_code == 404
        assert admin.delete(f"/v1/users/{customer.user_id}").status_code == 204

    def test_second_delete_is_not_found(self, api: Api) -> None:
        customer = api.customer()
        admin = api.staff(Role.FIRM_ADMIN)
        assert admin.delete(f"/v1/users/{customer.user_id}").status_code == 204
        assert admin.delete(f"/v1/users/{customer.user_id}").status_code == 404

    def test_a_firm_admin_cannot_delete_the_platform_admin_named_in_its_audit_log(
        self, api: Api
    ) -> None:
        platform = api.staff(Role.PLATFORM_ADMIN)
        admin = api.staff(Role.FIRM_ADMIN)  # the same (default) firm as the platform admin
        operator = api.staff(Role.FIRM_OPERATOR)
        granted = platform.post(
            "/v1/firms/firm_default/staff", json={"email": operator.email, "role": "firm_admin"}
        )
        assert granted.status_code == 200, granted.text
        entries = admin.get("/v1/audit-events", params={"action": "staff.role_granted"}).json()
        platform_id = next(e["actor_id"] for e in entries["items"] if e["actor_type"] == "user")
        assert platform_id == platform.user_id

        response = admin.delete(f"/v1/users/{platform_id}")

        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"
        assert platform.get("/v1/auth/me").status_code == 200
        api.login(platform.email)
