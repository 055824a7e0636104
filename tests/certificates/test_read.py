"""GET /v1/certificates and /v1/certificates/{id}: visibility, filters, pages, no keys."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from tessera.app import create_app
from tessera.config import Settings
from tessera.models import Role
from tessera.runtime import Runtime, build_runtime
from tests.support.api import Api
from tests.support.certificates import issue, patch
from tests.support.settings import make_settings


class TestGetCertificate:
    def test_shows_the_certificate_but_never_a_private_key(self, api: Api) -> None:
        customer = api.customer()
        created = issue(customer)

        shown = customer.get(f"/v1/certificates/{created['id']}")

        assert shown.status_code == 200
        body = shown.json()
        assert "private_key_pem" not in body
        assert "PRIVATE KEY" not in shown.text
        expected = {k: v for k, v in created.items() if k != "private_key_pem"}
        assert body == expected

    def test_another_firm_gets_404(self, api: Api) -> None:
        created = issue(api.customer())
        other = api.create_firm()
        outsider = api.staff(Role.FIRM_ADMIN, firm_id=other.id)

        for response in (
            outsider.get(f"/v1/certificates/{created['id']}"),
            outsider.patch(f"/v1/certificates/{created['id']}", json={"status": "inactive"}),
            outsider.post(f"/v1/certificates/{created['id']}/renew"),
        ):
            assert response.status_code == 404, response.text
            assert response.json()["error"]["code"] == "not_found"

    def test_customer_sees_only_their_own(self, api: Api) -> None:
        alice, bob = api.customer(), api.customer()
        bobs = issue(bob)

        assert alice.get(f"/v1/certificates/{bobs['id']}").status_code == 404
        assert (
            alice.patch(f"/v1/certificates/{bobs['id']}", json={"status": "inactive"}).status_code
            == 404
        )
        assert bob.get(f"/v1/certificates/{bobs['id']}").status_code == 200

    def test_staff_see_every_certificate_of_their_firm(self, api: Api) -> None:
        created = issue(api.customer())

        operator = api.staff(Role.FIRM_OPERATOR)

        assert operator.get(f"/v1/certificates/{created['id']}").status_code == 200

    def test_platform_admin_sees_other_firms(self, api: Api) -> None:
        other = api.create_firm()
        created = issue(api.customer(firm=other.slug))

        admin = api.staff(Role.PLATFORM_ADMIN)

        assert admin.get(f"/v1/certificates/{created['id']}").status_code == 200

    def test_unknown_id_is_404(self, api: Api) -> None:
        response = api.customer().get("/v1/certificates/crt_nope")

        assert response.status_code == 404


class TestListCertificates:
    def test_customer_lists_only_their_own_newest_first(self, api: Api) -> None:
        alice, bob = api.customer(), api.customer()
        first, second = issue(alice), issue(alice)
        issue(bob)

        page = alice.get("/v1/certificates").json()

        assert [c["id"] for c in page["items"]] == [second["id"], first["id"]]
        assert page["total"] == 2
        assert all("private_key_pem" not in c for c in page["items"])
        assert alice.get(f"/v1/certificates?owner_id={bob.user_id}").json()["total"] == 0

    def test_staff_filter_by_owner_and_status(self, api: Api) -> None:
        alice, bob = api.customer(), api.customer()
        a1, a2 = issue(alice), issue(alice)
        b1 = issue(bob)
        patch(alice, a2["id"], status="inactive")
        patch(bob, b1["id"], status="revoked", revocation_reason="key_compromise")
        staff = api.staff(Role.FIRM_OPERATOR)

        def ids(query: str) -> list[str]:
            response = staff.get(f"/v1/certificates?{query}")
            assert response.status_code == 200, response.text
            return [c["id"] for c in response.json()["items"]]

        assert ids(f"owner_id={alice.user_id}") == [a2["id"], a1["id"]]
        assert ids("status=active") == [a1["id"]]
        assert ids("status=revoked") == [b1["id"]]
        assert ids(f"owner_id={alice.user_id}&status=inactive") == [a2["id"]]
        assert set(ids("")) == {a1["id"], a2["id"], b1["id"]}

    def test_another_firms_certificates_are_not_listed(self, api: Api) -> None:
        issue(api.customer())
        other = api.create_firm()

        page = api.staff(Role.FIRM_ADMIN, firm_id=other.id).get("/v1/certificates").json()

        assert page["total"] == 0

    def test_pages_with_limit_and_offset(self, api: Api) -> None:
        customer = api.customer()
        made = [issue(customer)["id"] for _ in range(3)]

        page = customer.get("/v1/certificates?limit=2&offset=1").json()

        assert page["limit"] == 2
        assert page["offset"] == 1
        assert page["total"] == 3
        assert [c["id"] for c in page["items"]] == [made[1], made[0]]

    @pytest.mark.parametrize("query", ["status=expired", "limit=0", "limit=201", "offset=-1"])
    def test_bad_query_is_422(self, api: Api, query: str) -> None:
        response = api.customer().get(f"/v1/certificates?{query}")

        assert response.status_code == 422
        assert response.json()["error"]["code"] == "validation_error"


@pytest.fixture
def keyless_client(settings: Settings, tmp_path: Path) -> Iterator[TestClient]:
    """The same service and database, started with a different TESSERA_MASTER_KEY: no sealed
    value (no CA key) can be opened by it."""
    other_key = base64.urlsafe_b64encode(bytes(range(32))).decode()
    keyless = make_settings(
        settings.database_url,
        tmp_path / "keyless",
        master_key=SecretStr(other_key),
    )
    runtime: Runtime = build_runtime(keyless)
    try:
        with TestClient(create_app(runtime=runtime), raise_server_exceptions=False) as client:
            yield client
    finally:
        runtime.db.dispose()


class TestReadsTouchNoCaKey:
    def test_reads_work_where_ca_keys_cannot_be_opened(
        self, api: Api, keyless_client: TestClient
    ) -> None:
        customer = api.customer()
        created = issue(customer)
        headers = customer.headers

        one = keyless_client.get(f"/v1/certificates/{created['id']}", headers=headers)
        many = keyless_client.get("/v1/certificates", headers=headers)
        chain = keyless_client.get("/v1/pki/ca.pem")
        crl = keyless_client.get("/v1/pki/crl.pem")
        # Signing does need the key: this process cannot issue, so the reads above never
        # opened it.
        signing = keyless_client.post(
            "/v1/certificates", json={"common_name": "x.example"}, headers=headers
        )

        assert one.status_code == 200
        assert one.json()["certificate_pem"] == created["certificate_pem"]
        assert one.json()["chain_pem"] == created["chain_pem"]
        assert many.json()["total"] == 1
        assert chain.status_code == crl.status_code == 200
        assert signing.status_code == 503
        assert signing.json()["error"]["code"] == "ca_key_unavailable"
