"""POST /v1/certificates/{id}/renew: a new certificate for the same subject and key."""

from __future__ import annotations

from pathlib import Path

from tessera.runtime import Runtime
from tests.support.api import Api
from tests.support.certificates import (
    allow_ip_sans,
    events_of,
    fetch_ca,
    issue,
    load_certificate,
    openssl,
    p256_csr,
    patch,
    write,
)


class TestRenewCertificate:
    def test_new_certificate_for_the_same_subject_names_and_key(
        self, api: Api, workdir: Path
    ) -> None:
        allow_ip_sans(api)
        customer = api.customer()
        original = issue(
            customer,
            common_name="api.example.com",
            subject_alt_names=["api.example.com", "192.0.2.10"],
            csr=p256_csr(workdir),
            validity_days=30,
            labels={"env": "prod"},
            notify_days_before_expiry=[10],
        )

        response = customer.post(f"/v1/certificates/{original['id']}/renew")

        assert response.status_code == 201, response.text
        renewed = response.json()
        assert renewed["id"] != original["id"]
        assert renewed["serial_number"] != original["serial_number"]
        assert renewed["renewal_of"] == original["id"]
        assert renewed["private_key_pem"] is None
        for field in ("common_name", "subject_alt_names", "owner_id", "key_algorithm", "labels"):
            assert renewed[field] == original[field], field
        assert renewed["notify_days_before_expiry"] == [10]
        old_cert, new_cert = load_certificate(original), load_certificate(renewed)
        assert new_cert.public_key() == old_cert.public_key()
        assert (new_cert.not_valid_after_utc - new_cert.not_valid_before_utc).days == 30
        # The owner's key (made by openssl, never seen by Tessera) fits the renewed certificate.
        write(workdir, "renewed.pem", renewed["certificate_pem"])
        key_pub = openssl(workdir, "pkey", "-in", "key.pem", "-pubout").stdout
        cert_pub = openssl(workdir, "x509", "-in", "renewed.pem", "-noout", "-pubkey").stdout
        verified = openssl(
            workdir, "verify", "-CAfile", fetch_ca(api.client, workdir), "renewed.pem"
        )
        assert key_pub == cert_pub
        assert verified.stdout.strip() == "renewed.pem: OK"

    def test_validity_can_be_chosen(self, api: Api) -> None:
        customer = api.customer()
        original = issue(customer, validity_days=30)

        response = customer.post(
            f"/v1/certificates/{original['id']}/renew", json={"validity_days": 400}
        )

        certificate = load_certificate(response.json())
        assert (certificate.not_valid_after_utc - certificate.not_valid_before_utc).days == 400

    def test_renewal_leaves_the_original_alone_and_emits_issued(
        self, api: Api, runtime: Runtime
    ) -> None:
        customer = api.customer()
        original = issue(customer)

        renewed = customer.post(f"/v1/certificates/{original['id']}/renew").json()

        assert customer.get(f"/v1/certificates/{original['id']}").json()["status"] == "active"
        issued = events_of(runtime, customer.firm_id, "certificate.issued")
        assert [e.data["id"] for e in issued] == [original["id"], renewed["id"]]
        assert issued[1].data["renewal_of"] == original["id"]

    def test_a_revoked_certificate_is_not_renewed(self, api: Api) -> None:
        customer = api.customer()
        original = issue(customer)
        patch(customer, original["id"], status="revoked", revocation_reason="key_compromise")

        response = customer.post(f"/v1/certificates/{original['id']}/renew")

        assert response.status_code == 409
        assert response.json()["error"]["code"] == "certificate_revoked"

    def test_an_inactive_certificate_renews_into_an_active_one(self, api: Api) -> None:
        customer = api.customer()
        original = issue(customer)
        patch(customer, original["id"], status="inactive")

        renewed = customer.post(f"/v1/certificates/{original['id']}/renew").json()

        assert renewed["status"] == "active"

    def test_idempotency_key_replays_the_renewal(self, api: Api) -> None:
        customer = api.customer()
        original = issue(customer)
        headers = {"Idempotency-Key": "renew-1"}

        first = customer.post(f"/v1/certificates/{original['id']}/renew", headers=headers)
        again = customer.post(f"/v1/certificates/{original['id']}/renew", headers=headers)

        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json()["id"] == first.json()["id"]
        assert customer.get("/v1/certificates").json()["total"] == 2

    def test_bad_validity_is_422(self, api: Api) -> None:
        customer = api.customer()
        original = issue(customer)

        response = customer.post(
            f"/v1/certificates/{original['id']}/renew", json={"validity_days": 826}
        )

        assert response.status_code == 422

    def test_another_customers_certificate_is_404(self, api: Api) -> None:
        original = issue(api.customer())

        response = api.customer().post(f"/v1/certificates/{original['id']}/renew")

        assert response.status_code == 404
