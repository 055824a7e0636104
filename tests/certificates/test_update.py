"""PATCH /v1/certificates/{id}: the status machine, revocation and the CRL, labels, events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from tessera.certificates import issuance, service
from tessera.models import Certificate, CertificateStatus, Event, Role
from tessera.principal import ROLE_SCOPES, Principal
from tessera.runtime import Runtime
from tests.support.api import Api, Caller
from tests.support.certificates import (
    event_ids_for,
    events_of,
    fetch_ca,
    fetch_crl,
    issue,
    openssl,
    patch,
    write,
)


class TestStatusMachine:
    def test_deactivate_and_activate_are_reversible_and_each_emits_its_event(
        self, api: Api, runtime: Runtime
    ) -> None:
        customer = api.customer()
        created = issue(customer)

        off = patch(customer, created["id"], status="inactive")
        on = patch(customer, created["id"], status="active")

        assert off["status"] == "inactive"
        assert on["status"] == "active"
        firm = customer.firm_id
        assert len(event_ids_for(runtime, firm, "certificate.deactivated", created["id"])) == 1
        assert len(event_ids_for(runtime, firm, "certificate.activated", created["id"])) == 1
        (deactivated,) = events_of(runtime, firm, "certificate.deactivated")
        assert deactivated.data["status"] == "inactive"

    def test_asking_for_the_current_status_changes_nothing(
        self, api: Api, runtime: Runtime
    ) -> None:
        customer = api.customer()
        created = issue(customer)

        patch(customer, created["id"], status="active")

        assert events_of(runtime, customer.firm_id, "certificate.activated") == []

    @pytest.mark.parametrize("reason", ["key_compromise", "superseded", "unspecified"])
    def test_revocation_is_recorded_with_its_reason(
        self, api: Api, runtime: Runtime, reason: str
    ) -> None:
        customer = api.customer()
        created = issue(customer)

        revoked = patch(customer, created["id"], status="revoked", revocation_reason=reason)

        assert revoked["status"] == "revoked"
        assert revoked["revocation_reason"] == reason
        assert revoked["revoked_at"] is not None
        (event,) = events_of(runtime, customer.firm_id, "certificate.revoked")
        assert event.data["id"] == created["id"]
        assert event.data["revocation_reason"] == reason

    def test_revocation_reason_defaults_to_unspecified(self, api: Api) -> None:
        customer = api.customer()
        created = issue(customer)

        assert patch(customer, created["id"], status="revoked")["revocation_reason"] == (
            "unspecified"
        )

    @pytest.mark.parametrize("target", ["active", "inactive"])
    def test_no_un_revoking(self, api: Api, runtime: Runtime, target: str) -> None:
        customer = api.customer()
        created = issue(customer)
        patch(customer, created["id"], status="revoked", revocation_reason="key_compromise")

        response = customer.patch(f"/v1/certificates/{created['id']}", json={"status": target})

        assert response.status_code == 409
        error = response.json()["error"]
        assert error["code"] == "invalid_status_transition"
        assert error["details"] == {"current": "revoked", "requested": target}
        assert customer.get(f"/v1/certificates/{created['id']}").json()["status"] == "revoked"
        assert events_of(runtime, customer.firm_id, "certificate.activated") == []

    def test_revoking_again_is_a_no_op_but_the_reason_cannot_change(
        self, api: Api, runtime: Runtime
    ) -> None:
        customer = api.customer()
        created = issue(customer)
        patch(customer, created["id"], status="revoked", revocation_reason="superseded")

        same = customer.patch(
            f"/v1/certificates/{created['id']}",
            json={"status": "revoked", "revocation_reason": "superseded"},
        )
        other = customer.patch(
            f"/v1/certificates/{created['id']}",
            json={"status": "revoked", "revocation_reason": "key_compromise"},
        )

        assert same.status_code == 200
        assert other.status_code == 409
        assert other.json()["error"]["code"] == "invalid_status_transition"
        assert len(events_of(runtime, customer.firm_id, "certificate.revoked")) == 1

    def test_an_inactive_certificate_can_be_revoked(self, api: Api) -> None:
        customer = api.customer()
        created = issue(customer)
        patch(customer, created["id"], status="inactive")

        assert patch(customer, created["id"], status="revoked")["status"] == "revoked"

    def test_certificate_hold_is_refused_because_revocation_is_final(self, api: Api) -> None:
        customer = api.customer()
        created = issue(customer)

        response = customer.patch(
            f"/v1/certificates/{created['id']}",
            json={"status": "revoked", "revocation_reason": "certificate_hold"},
        )

        assert response.status_code == 422
        assert "inactive" in response.json()["error"]["message"]
        assert customer.get(f"/v1/certificates/{created['id']}").json()["status"] == "active"

    @pytest.mark.parametrize(
        "body",
        [
            {},
            {"revocation_reason": "key_compromise"},
            {"status": "inactive", "revocation_reason": "key_compromise"},
            {"status": "expired"},
            {"status": "revoked", "revocation_reason": "remove_from_crl"},
        ],
    )
    def test_incoherent_bodies_are_422(self, api: Api, body: dict[str, Any]) -> None:
        customer = api.customer()
        created = issue(customer)

        response = customer.patch(f"/v1/certificates/{created['id']}", json=body)

        assert response.status_code == 422
        assert response.json()["error"]["code"] == "validation_error"

    def test_staff_can_revoke_a_customers_certificate(self, api: Api) -> None:
        created = issue(api.customer())

        revoked = patch(api.staff(Role.FIRM_OPERATOR), created["id"], status="revoked")

        assert revoked["status"] == "revoked"


class TestRevocationAndTheCrl:
    def test_revoked_serial_is_on_the_crl_that_openssl_parses(
        self, api: Api, workdir: Path
    ) -> None:
        customer = api.customer()
        kept, revoked = issue(customer), issue(customer)
        before = api.client.get("/v1/pki/crl.pem").text

        patch(customer, revoked["id"], status="revoked", revocation_reason="key_compromise")

        crl_file = fetch_crl(api.client, workdir)
        text = openssl(workdir, "crl", "-in", crl_file, "-noout", "-text").stdout
        assert revoked["serial_number"].upper() in text.upper()
        assert kept["serial_number"].upper() not in text.upper()
        assert "Key Compromise" in text
        assert revoked["serial_number"].upper() not in before.upper()
        crl = x509.load_pem_x509_crl((workdir / crl_file).read_bytes())
        assert crl.get_revoked_certificate_by_serial_number(int(revoked["serial_number"], 16))

    def test_crl_is_signed_by_the_issuing_ca_and_openssl_verify_rejects_the_revoked(
        self, api: Api, workdir: Path
    ) -> None:
        customer = api.customer()
        kept, revoked = issue(customer), issue(customer)
        patch(customer, revoked["id"], status="revoked")
        write(workdir, "kept.pem", kept["certificate_pem"])
        write(workdir, "revoked.pem", revoked["certificate_pem"])
        ca, crl = fetch_ca(api.client, workdir), fetch_crl(api.client, workdir)

        signed = openssl(workdir, "crl", "-in", crl, "-CAfile", ca, "-noout")
        good = openssl(workdir, "verify", "-crl_check", "-CAfile", ca, "-CRLfile", crl, "kept.pem")
        bad = openssl(
            workdir, "verify", "-crl_check", "-CAfile", ca, "-CRLfile", crl, "revoked.pem",
            check=False,
        )  # fmt: skip

        assert "verify OK" in signed.stderr + signed.stdout
        assert good.stdout.strip() == "kept.pem: OK"
        assert bad.returncode != 0
        assert "certificate revoked" in bad.stdout + bad.stderr

    def test_each_revocation_publishes_a_crl_with_a_higher_number(
        self, api: Api, workdir: Path
    ) -> None:
        customer = api.customer()
        first, second = issue(customer), issue(customer)

        def crl_number() -> int:
            crl = x509.load_pem_x509_crl(api.client.get("/v1/pki/crl.pem").content)
            return crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number

        start = crl_number()
        patch(customer, first["id"], status="revoked")
        after_first = crl_number()
        patch(customer, second["id"], status="inactive")
        after_deactivation = crl_number()
        patch(customer, second["id"], status="revoked")

        crl = x509.load_pem_x509_crl(api.client.get("/v1/pki/crl.pem").content)
        listed = {entry.serial_number for entry in crl}
        assert start < after_first == after_deactivation < crl_number()
        assert listed == {int(first["serial_number"], 16), int(second["serial_number"], 16)}


class TestLabelsAndNotices:
    def test_labels_are_replaced_as_a_whole(self, api: Api) -> None:
        customer = api.customer()
        created = issue(customer, labels={"env": "prod", "team": "payments"})

        updated = patch(customer, created["id"], labels={"env": "staging"})
        cleared = patch(customer, created["id"], labels={})

        assert created["labels"] == {"env": "prod", "team": "payments"}
        assert updated["labels"] == {"env": "staging"}
        assert cleared["labels"] == {}

    def test_notice_thresholds_are_normalised(self, api: Api) -> None:
        customer = api.customer()
        created = issue(customer)

        updated = patch(customer, created["id"], notify_days_before_expiry=[7, 60, 7, 14])

        assert updated["notify_days_before_expiry"] == [60, 14, 7]

    def test_labels_alone_emit_no_status_event(self, api: Api, runtime: Runtime) -> None:
        customer = api.customer()
        created = issue(customer)

        patch(customer, created["id"], labels={"a": "b"})

        for kind in ("activated", "deactivated", "revoked"):
            assert events_of(runtime, customer.firm_id, f"certificate.{kind}") == []

    def test_too_many_labels_are_refused(self, api: Api) -> None:
        customer = api.customer()
        created = issue(customer)

        response = customer.patch(
            f"/v1/certificates/{created['id']}",
            json={"labels": {f"k{i}": "v" for i in range(21)}},
        )

        assert response.status_code == 422


def _principal(customer: Caller) -> Principal:
    return Principal(
        kind="user",
        id=customer.user_id,
        firm_id=customer.firm_id,
        role=Role.CUSTOMER,
        scopes=ROLE_SCOPES[Role.CUSTOMER],
        holder_id=customer.holder_id,
    )


class TestEventsShareTheTransaction:
    def test_a_rolled_back_status_change_leaves_no_event_and_no_crl(
        self, api: Api, runtime: Runtime
    ) -> None:
        customer = api.customer()
        created = issue(customer)
        crl_before = api.client.get("/v1/pki/crl.pem").text

        session = runtime.db.session(write=True)
        try:
            service.update_certificate(
                session,
                runtime.keyring,
                principal=_principal(customer),
                certificate_id=created["id"],
                status=CertificateStatus.REVOKED,
                now=runtime.now(),
            )
            session.flush()
            assert session.query(Event).filter_by(type="certificate.revoked").count() == 1
            session.rollback()
        finally:
            session.close()

        assert events_of(runtime, customer.firm_id, "certificate.revoked") == []
        assert customer.get(f"/v1/certificates/{created['id']}").json()["status"] == "active"
        assert api.client.get("/v1/pki/crl.pem").text == crl_before

    def test_a_rolled_back_issuance_leaves_no_event(self, api: Api, runtime: Runtime) -> None:
        customer = api.customer()
        principal = _principal(customer)
        request = issuance.IssueRequest(common_name="rolled-back.example")

        with runtime.db.session_scope() as session:
            signed = issuance.sign_new(
                session, runtime.keyring, principal=principal, request=request, now=runtime.now()
            )
        session = runtime.db.session(write=True)
        try:
            view = issuance.record(session, principal=principal, signed=signed, now=runtime.now())
            assert session.get(Certificate, view.certificate.id) is not None
            assert session.query(Event).filter_by(type="certificate.issued").count() == 1
            session.rollback()
        finally:
            session.close()
        with runtime.db.session_scope() as session:
            committed = issuance.record(
                session, principal=principal, signed=signed, now=runtime.now()
            )

        (event,) = events_of(runtime, customer.firm_id, "certificate.issued")
        assert event.data["id"] == committed.certificate.id
        assert customer.get("/v1/certificates").json()["total"] == 1


class TestOwnerDeleted:
    def test_deleting_a_user_revokes_their_certificates(
        self, api: Api, runtime: Runtime, tmp_path: Path
    ) -> None:
        customer = api.customer()
        other = api.customer()
        mine = [issue(customer), issue(customer)]
        patch(customer, mine[1]["id"], status="inactive")
        theirs = issue(other)

        assert customer.delete(f"/v1/users/{customer.user_id}").status_code == 204

        staff = api.staff(Role.FIRM_ADMIN)
        for created in mine:
            row = staff.get(f"/v1/certificates/{created['id']}").json()
            assert row["status"] == "revoked"
            assert row["revocation_reason"] == "cessation_of_operation"
        assert staff.get(f"/v1/certificates/{theirs['id']}").json()["status"] == "active"
        crl = x509.load_pem_x509_crl(api.client.get("/v1/pki/crl.pem").content)
        listed = {format(entry.serial_number, "x") for entry in crl}
        assert {c["serial_number"].lstrip("0") for c in mine} <= {s.lstrip("0") for s in listed}
        revoked_events = events_of(runtime, customer.firm_id, "certificate.revoked")
        assert {e.data["id"] for e in revoked_events} == {c["id"] for c in mine}
