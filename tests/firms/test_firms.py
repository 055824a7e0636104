"""Firms: created by platform admins, their settings changed by their own admins."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tessera.app import create_app
from tessera.models import Role
from tessera.runtime import build_runtime
from tests.support.api import Api
from tests.support.firms import create_tenant, platform_admin
from tests.support.settings import make_settings


class TestCreateFirm:
    def test_platform_admin_creates_a_firm_with_its_settings(self, api: Api) -> None:
        admin = platform_admin(api)
        response = admin.post(
            "/v1/firms",
            json={
                "name": "Acme Cards",
                "slug": "acme",
                "auto_approve_registrations": True,
                "issuing_bin": "40001200",
                "issuing_bin_end": "40001299",
            },
        )
        assert response.status_code == 201, response.text
        firm = response.json()
        assert firm["slug"] == "acme"
        assert firm["auto_approve_registrations"] is True
        assert (firm["issuing_bin"], firm["issuing_bin_end"]) == ("40001200", "40001299")
        assert firm["status"] == "active"
        listed = admin.get("/v1/firms").json()
        assert firm["id"] in [f["id"] for f in listed["items"]]
        audit = admin.get("/v1/audit-events", params={"action": "firm.created"}).json()
        assert [e["target_id"] for e in audit["items"]] == [firm["id"]]

    def test_defaults_to_one_bin_and_manual_approval(self, api: Api) -> None:
        firm = platform_admin(api).post("/v1/firms", json={"name": "B", "slug": "bee"}).json()
        assert firm["auto_approve_registrations"] is False
        assert firm["issuing_bin"] == firm["issuing_bin_end"] == "400012"

    def test_a_taken_slug_is_409(self, api: Api) -> None:
        admin = platform_admin(api)
        assert admin.post("/v1/firms", json={"name": "A", "slug": "dup"}).status_code == 201
        second = admin.post("/v1/firms", json={"name": "B", "slug": "dup"})
        assert second.status_code == 409
        assert second.json()["error"]["code"] == "slug_taken"

    def test_a_bad_slug_is_422(self, api: Api) -> None:
        response = platform_admin(api).post("/v1/firms", json={"name": "A", "slug": "Not A Slug"})
        assert response.status_code == 422
        assert response.json()["error"]["details"]["fields"][0]["field"] == "slug"

    def test_firm_staff_and_customers_cannot_create_or_list_firms(self, api: Api) -> None:
        tenant = create_tenant(api)
        for caller in (tenant.admin, tenant.staff("firm_operator"), tenant.customer()):
            created = caller.post("/v1/firms", json={"name": "X", "slug": "xx"})
            assert created.status_code == 403, created.text
            assert caller.get("/v1/firms").status_code == 403

    def test_unauthenticated_is_401(self, api: Api) -> None:
        response = api.client.post("/v1/firms", json={"name": "X", "slug": "xx"})
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"


class TestBinRange:
    def test_refuses_ends_of_different_lengths(self, api: Api) -> None:
        response = platform_admin(api).post(
            "/v1/firms",
            json={"name": "A", "slug": "aa", "issuing_bin": "400012", "issuing_bin_end": "4000129"},
        )
        assert response.status_code == 422
        assert response.json()["error"]["details"]["fields"][0]["field"] == "issuing_bin_end"

    def test_refuses_an_end_before_the_start(self, api: Api) -> None:
        response = platform_admin(api).post(
            "/v1/firms",
            json={"name": "A", "slug": "aa", "issuing_bin": "400019", "issuing_bin_end": "400012"},
        )
        assert response.status_code == 422

    def test_refuses_a_range_across_brands(self, api: Api) -> None:
        response = platform_admin(api).post(
            "/v1/firms",
            json={"name": "A", "slug": "aa", "issuing_bin": "499990", "issuing_bin_end": "510009"},
        )
        assert response.status_code == 422
        assert response.json()["error"]["details"]["fields"][0]["field"] == "issuing_bin_end"

    def test_refuses_a_brand_without_sixteen_digit_cards(self, api: Api) -> None:
        response = platform_admin(api).post(
            "/v1/firms", json={"name": "A", "slug": "aa", "issuing_bin": "370000"}
        )
        assert response.status_code == 422
        assert "sixteen" in response.json()["error"]["message"]

    def test_refuses_an_unknown_brand(self, api: Api) -> None:
        response = platform_admin(api).post(
            "/v1/firms", json={"name": "A", "slug": "aa", "issuing_bin": "990000"}
        )
        assert response.status_code == 422

    def test_refuses_non_digits(self, api: Api) -> None:
        response = platform_admin(api).post(
            "/v1/firms", json={"name": "A", "slug": "aa", "issuing_bin": "40001x"}
        )
        assert response.status_code == 422


class TestFirmSettings:
    def test_firm_admin_changes_auto_approval_and_bin_range(self, api: Api) -> None:
        tenant = create_tenant(api)
        response = tenant.admin.patch(
            f"/v1/firms/{tenant.id}",
            json={
                "auto_approve_registrations": True,
                "issuing_bin": "51000000",
                "issuing_bin_end": "51000099",
            },
        )
        assert response.status_code == 200, response.text
        firm = response.json()
        assert firm["auto_approve_registrations"] is True
        assert (firm["issuing_bin"], firm["issuing_bin_end"]) == ("51000000", "51000099")
        audit = tenant.admin.get("/v1/audit-events", params={"action": "firm.updated"}).json()
        assert audit["items"][0]["data"]["changes"]["auto_approve_registrations"] is True

    def test_firm_admin_reads_own_firm(self, api: Api) -> None:
        tenant = create_tenant(api)
        response = tenant.admin.get(f"/v1/firms/{tenant.id}")
        assert response.status_code == 200
        assert response.json()["slug"] == tenant.slug

    def test_operator_cannot_change_settings(self, api: Api) -> None:
        tenant = create_tenant(api)
        response = tenant.staff("firm_operator").patch(
            f"/v1/firms/{tenant.id}", json={"auto_approve_registrations": True}
        )
        assert response.status_code == 403

    def test_an_invalid_range_leaves_the_firm_unchanged(self, api: Api) -> None:
        tenant = create_tenant(api)
        response = tenant.admin.patch(f"/v1/firms/{tenant.id}", json={"issuing_bin": "990000"})
        assert response.status_code == 422
        assert tenant.admin.get(f"/v1/firms/{tenant.id}").json()["issuing_bin"] == "400012"

    def test_platform_admin_changes_any_firm(self, api: Api) -> None:
        admin = platform_admin(api)
        tenant = create_tenant(api, admin)
        response = admin.patch(f"/v1/firms/{tenant.id}", json={"name": "Renamed"})
        assert response.status_code == 200
        assert response.json()["name"] == "Renamed"

    def test_another_firms_admin_gets_404(self, api: Api) -> None:
        admin = platform_admin(api)
        first, second = create_tenant(api, admin), create_tenant(api, admin)
        assert second.admin.get(f"/v1/firms/{first.id}").status_code == 404
        patched = second.admin.patch(f"/v1/firms/{first.id}", json={"name": "Mine"})
        assert patched.status_code == 404
        assert api.staff(Role.FIRM_ADMIN).get(f"/v1/firms/{first.id}").status_code == 404


class TestRegionalDefaults:
    """DEFAULT_PHONE_REGION and DEFAULT_TIMEZONE: how a new firm reads phones and timestamps."""

    def test_a_new_firm_reads_phones_and_courier_times_in_the_configured_region(
        self, database_url: str, tmp_path: Path
    ) -> None:
        settings = make_settings(
            database_url, tmp_path, default_phone_region="GB", default_timezone="Europe/London"
        )
        runtime = build_runtime(settings)
        courier_file = b"ID,Card ID,User Mobile,Timestamp\r\n1,ZYW1,07911123456,12-11-2023 11:59 PM"
        try:
            with TestClient(create_app(runtime=runtime), raise_server_exceptions=False) as client:
                tenant = create_tenant(Api(client, runtime))
                customer = tenant.customer(phone="07911 123456")
                holder = customer.get(f"/v1/account-holders/{customer.holder_id}").json()
                upload = tenant.staff().post(
                    "/v1/deliveries/imports", files={"file": ("Pickup.csv", courier_file)}
                )
        finally:
            runtime.db.dispose()

        assert holder["phone"] == "+447911123456"
        assert upload.status_code == 201, upload.text
        report = upload.json()
        assert (report["phone_region"], report["timezone"]) == ("GB", "Europe/London")
        assert report["rows_imported"] == 1
