"""Staff roles: granted and revoked by a firm's admins, audited, effective at once."""

from __future__ import annotations

from tests.support.api import PASSWORD, Api
from tests.support.firms import create_tenant, login, platform_admin


class TestGrantStaffRole:
    def test_admin_creates_an_operator_who_can_log_in(self, api: Api) -> None:
        tenant = create_tenant(api)
        email = api.unique_email("op")
        response = tenant.admin.post(
            f"/v1/firms/{tenant.id}/staff",
            json={"email": email, "role": "firm_operator", "password": PASSWORD},
        )
        assert response.status_code == 201, response.text
        assert response.json()["role"] == "firm_operator"
        assert response.json()["firm"] == tenant.id
        operator = login(api, email, firm_id=tenant.id)
        assert operator.get("/v1/auth/me").json()["role"] == "firm_operator"

    def test_promoting_an_existing_customer_takes_effect_on_the_next_request(
        self, api: Api
    ) -> None:
        tenant = create_tenant(api)
        customer = tenant.customer()
        assert customer.get("/v1/audit-events").status_code == 403
        response = tenant.admin.post(
            f"/v1/firms/{tenant.id}/staff", json={"email": customer.email, "role": "firm_admin"}
        )
        assert response.status_code == 200, response.text
        assert response.json()["role"] == "firm_admin"
        # Same token: the role is read from the database on every request.
        assert customer.get("/v1/audit-events").status_code == 200

    def test_role_changes_are_audited_with_before_and_after(self, api: Api) -> None:
        tenant = create_tenant(api)
        operator = tenant.staff("firm_operator")
        tenant.admin.post(
            f"/v1/firms/{tenant.id}/staff", json={"email": operator.email, "role": "firm_admin"}
        )
        tenant.admin.delete(f"/v1/firms/{tenant.id}/staff/{operator.user_id}")
        entries = tenant.admin.get("/v1/audit-events").json()["items"]
        staff_entries = [
            e
            for e in entries
            if e["target_id"] == operator.user_id and e["action"].startswith("staff.")
        ]
        changes = [(e["action"], e["data"]) for e in staff_entries]
        assert ("staff.role_granted", {"from": "firm_operator", "to": "firm_admin"}) in changes
        assert ("staff.role_granted", {"from": "customer", "to": "firm_operator"}) in changes
        assert ("staff.role_revoked", {"from": "firm_admin", "to": "customer"}) in changes
        assert {e["actor_id"] for e in staff_entries} == {tenant.admin.user_id}

    def test_creating_without_a_password_is_422(self, api: Api) -> None:
        tenant = create_tenant(api)
        response = tenant.admin.post(
            f"/v1/firms/{tenant.id}/staff",
            json={"email": api.unique_email(), "role": "firm_operator"},
        )
        assert response.status_code == 422
        assert response.json()["error"]["details"]["fields"][0]["field"] == "password"

    def test_an_unknown_role_is_422(self, api: Api) -> None:
        tenant = create_tenant(api)
        response = tenant.admin.post(
            f"/v1/firms/{tenant.id}/staff",
            json={"email": api.unique_email(), "role": "platform_admin", "password": PASSWORD},
        )
        assert response.status_code == 422

    def test_a_user_of_another_firm_is_409_email_taken(self, api: Api) -> None:
        admin = platform_admin(api)
        first, second = create_tenant(api, admin), create_tenant(api, admin)
        outsider = first.customer()
        response = second.admin.post(
            f"/v1/firms/{second.id}/staff", json={"email": outsider.email, "role": "firm_admin"}
        )
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "email_taken"

    def test_operators_customers_and_clients_cannot_grant(self, api: Api) -> None:
        tenant = create_tenant(api)
        body = {"email": api.unique_email(), "role": "firm_admin", "password": PASSWORD}
        callers = [
            tenant.staff("firm_operator"),
            tenant.customer(),
            tenant.client("clients:manage", "cards:read"),
        ]
        for caller in callers:
            response = caller.post(f"/v1/firms/{tenant.id}/staff", json=body)
            assert response.status_code == 403, response.text

    def test_an_admin_cannot_change_their_own_role(self, api: Api) -> None:
        tenant = create_tenant(api)
        response = tenant.admin.post(
            f"/v1/firms/{tenant.id}/staff",
            json={"email": tenant.admin.email, "role": "firm_operator"},
        )
        assert response.status_code == 403
        revoked = tenant.admin.delete(f"/v1/firms/{tenant.id}/staff/{tenant.admin.user_id}")
        assert revoked.status_code == 403

    def test_platform_admins_are_not_managed_here(self, api: Api) -> None:
        admin = platform_admin(api)
        tenant = create_tenant(api, admin)
        other = platform_admin(api)
        response = admin.post(
            "/v1/firms/firm_default/staff", json={"email": other.email, "role": "firm_operator"}
        )
        assert response.status_code == 403
        assert tenant.admin.get(f"/v1/firms/{tenant.id}").status_code == 200


class TestListAndRevokeStaff:
    def test_list_shows_staff_only(self, api: Api) -> None:
        tenant = create_tenant(api)
        operator = tenant.staff("firm_operator")
        tenant.customer()
        listed = tenant.admin.get(f"/v1/firms/{tenant.id}/staff").json()
        assert {u["email"] for u in listed["items"]} == {tenant.admin.email, operator.email}
        assert listed["total"] == 2

    def test_revoked_operator_loses_staff_rights_at_once(self, api: Api) -> None:
        tenant = create_tenant(api)
        operator = tenant.staff("firm_operator")
        assert operator.get("/v1/card-registrations").status_code == 200
        revoked = tenant.admin.delete(f"/v1/firms/{tenant.id}/staff/{operator.user_id}")
        assert revoked.status_code == 204
        assert operator.get("/v1/auth/me").json()["role"] == "customer"
        # A customer without a holder profile sees nothing of the firm.
        assert operator.get("/v1/card-registrations").json()["total"] == 0

    def test_revoking_someone_who_is_not_staff_is_404(self, api: Api) -> None:
        tenant = create_tenant(api)
        customer = tenant.customer()
        response = tenant.admin.delete(f"/v1/firms/{tenant.id}/staff/{customer.user_id}")
        assert response.status_code == 404
