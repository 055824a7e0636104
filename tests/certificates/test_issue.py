"""POST /v1/certificates: signing CSRs, generating keys, refusals, owners and idempotency."""

from __future__ import annotations

import base64
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Connection

from tessera.certificates import issuance, service
from tessera.crypto import pki
from tessera.db import WRITE_OPTION
from tessera.errors import NotFound
from tessera.models import DEFAULT_FIRM_ID, Role
from tessera.principal import ROLE_SCOPES, Principal, Scope
from tessera.runtime import Runtime
from tests.support.api import Api, Caller
from tests.support.certificates import (
    all_stored_text,
    allow_ip_sans,
    event_ids_for,
    events_of,
    fetch_ca,
    issue,
    load_certificate,
    openssl,
    openssl_csr,
    p256_csr,
    patch,
    write,
)


def _der_body(pem: str) -> str:
    """The base64 body of a PEM block, on one line."""
    return "".join(line for line in pem.strip().splitlines() if not line.startswith("-----"))


class TestCreateCertificateWithGeneratedKey:
    def test_default_is_an_ec_p256_key_returned_once_as_pkcs8(self, api: Api) -> None:
        customer = api.customer()

        created = issue(customer, common_name="client.example.com")

        key = serialization.load_pem_private_key(created["private_key_pem"].encode(), None)
        certificate = load_certificate(created)
        assert created["private_key_pem"].startswith("-----BEGIN PRIVATE KEY-----")
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        assert key.curve.name == "secp256r1"
        assert certificate.public_key() == key.public_key()
        assert created["key_algorithm"] == "ec-p256"
        assert created["status"] == "active"
        assert created["owner_id"] == customer.user_id

    def test_answer_describes_the_certificate_it_carries(self, api: Api) -> None:
        allow_ip_sans(api)
        customer = api.customer()

        created = issue(
            customer,
            common_name="gateway.example.com",
            subject_alt_names=["gateway.example.com", "10.1.2.3", "ops@example.com"],
            validity_days=90,
        )

        certificate = load_certificate(created)
        assert created["serial_number"] == format(certificate.serial_number, "x").zfill(
            len(created["serial_number"])
        )
        assert int(created["serial_number"], 16) == certificate.serial_number
        assert certificate.serial_number.bit_length() <= 128
        assert created["fingerprint_sha256"] == certificate.fingerprint(hashes.SHA256()).hex()
        assert created["common_name"] == "gateway.example.com"
        assert created["subject_alt_names"] == [
            "gateway.example.com",
            "10.1.2.3",
            "ops@example.com",
        ]
        assert created["not_before"] == certificate.not_valid_before_utc.strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        assert (certificate.not_valid_after_utc - certificate.not_valid_before_utc).days == 90
        assert created["notify_days_before_expiry"] == [30, 7, 1]
        assert created["labels"] == {}
        assert created["renewal_of"] is None

    def test_certificate_carries_the_extensions_for_tls_clients_and_servers(self, api: Api) -> None:
        created = issue(api.customer(), common_name="svc.example.com")

        certificate = load_certificate(created)
        chain = x509.load_pem_x509_certificates(created["chain_pem"].encode())
        extensions = certificate.extensions
        san = extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        eku = extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        usage = extensions.get_extension_for_class(x509.KeyUsage).value
        aki = extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
        issuer_ski = chain[0].extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        assert san.get_values_for_type(x509.DNSName) == ["svc.example.com"]
        assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
        assert usage.digital_signature
        assert not extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        assert aki.key_identifier == issuer_ski.digest
        assert extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        assert certificate.issuer == chain[0].subject
        assert chain[1].subject == chain[1].issuer  # the root comes last

    def test_a_person_s_name_gets_no_dns_name(self, api: Api) -> None:
        created = issue(api.customer(), common_name="Ada Lovelace")

        certificate = load_certificate(created)
        assert created["subject_alt_names"] == []
        with pytest.raises(x509.ExtensionNotFound):
            certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)

    @pytest.mark.parametrize(("algorithm", "bits"), [("rsa-2048", 2048), ("rsa-3072", 3072)])
    def test_generates_rsa_keys_on_request(self, api: Api, algorithm: str, bits: int) -> None:
        created = issue(api.customer(), key_algorithm=algorithm)

        key = serialization.load_pem_private_key(created["private_key_pem"].encode(), None)
        assert isinstance(key, rsa.RSAPrivateKey)
        assert key.key_size == bits
        assert created["key_algorithm"] == algorithm
        assert load_certificate(created).public_key() == key.public_key()

    def test_key_with_passphrase_opens_with_openssl_pkey_passin(
        self, api: Api, workdir: Path
    ) -> None:
        created = issue(api.customer(), key_passphrase="correct horse 🐎")
        write(workdir, "key.pem", created["private_key_pem"])
        write(workdir, "cert.pem", created["certificate_pem"])

        opened = openssl(workdir, "pkey", "-in", "key.pem", "-passin", "pass:correct horse 🐎")
        wrong = openssl(workdir, "pkey", "-in", "key.pem", "-passin", "pass:wrong", check=False)

        assert created["private_key_pem"].startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
        assert "BEGIN PRIVATE KEY" in opened.stdout
        assert wrong.returncode != 0
        # The decrypted key is the certificate's key.
        write(workdir, "plain.pem", opened.stdout)
        key_pub = openssl(workdir, "pkey", "-in", "plain.pem", "-pubout").stdout
        cert_pub = openssl(workdir, "x509", "-in", "cert.pem", "-noout", "-pubkey").stdout
        assert key_pub == cert_pub

    def test_generated_certificate_verifies_against_the_published_ca(
        self, api: Api, workdir: Path
    ) -> None:
        created = issue(api.customer(), key_algorithm="rsa-2048")
        write(workdir, "cert.pem", created["certificate_pem"])

        result = openssl(workdir, "verify", "-CAfile", fetch_ca(api.client, workdir), "cert.pem")

        assert result.stdout.strip() == "cert.pem: OK"

    def test_private_key_is_never_stored(self, api: Api, runtime: Any) -> None:
        customer = api.customer()

        created = issue(customer, key_algorithm="rsa-2048", key_passphrase="s3cret-pass")
        replay = customer.post(
            "/v1/certificates",
            json={
                "common_name": "client.example.com",
                "key_algorithm": "rsa-2048",
                "key_passphrase": "s3cret-pass",
            },
            headers={"Idempotency-Key": "never-stored"},
        )

        stored = all_stored_text(runtime)
        key_body = _der_body(created["private_key_pem"])
        assert replay.status_code == 201
        assert key_body[:64] not in stored
        assert _der_body(replay.json()["private_key_pem"])[:64] not in stored
        assert "PRIVATE KEY" not in stored
        assert "s3cret-pass" not in stored
        # The certificate itself is stored, so the search above could have found the key.
        assert _der_body(created["certificate_pem"])[:64] in stored


class TestCreateCertificateFromCsr:
    def test_openssl_csr_is_signed_and_verifies_against_ca_pem(
        self, api: Api, workdir: Path
    ) -> None:
        csr = p256_csr(workdir, subject="/CN=from-the-csr.example/O=Ignored")

        created = issue(api.customer(), common_name="device-7.example.com", csr=csr)
        write(workdir, "cert.pem", created["certificate_pem"])
        write(workdir, "chain.pem", created["chain_pem"])

        verified = openssl(workdir, "verify", "-CAfile", fetch_ca(api.client, workdir), "cert.pem")
        chain_verified = openssl(workdir, "verify", "-CAfile", "chain.pem", "cert.pem")
        key_pub = openssl(workdir, "pkey", "-in", "key.pem", "-pubout").stdout
        cert_pub = openssl(workdir, "x509", "-in", "cert.pem", "-noout", "-pubkey").stdout
        subject = openssl(workdir, "x509", "-in", "cert.pem", "-noout", "-subject").stdout
        assert verified.stdout.strip() == "cert.pem: OK"
        assert chain_verified.stdout.strip() == "cert.pem: OK"
        assert key_pub == cert_pub
        # The subject is what the API request says, not what the CSR asked for.
        assert "device-7.example.com" in subject
        assert "from-the-csr" not in subject
        assert created["private_key_pem"] is None
        assert created["key_algorithm"] == "ec-p256"

    def test_rsa_csr_is_signed_with_rsa_key_usage(self, api: Api, workdir: Path) -> None:
        csr = openssl_csr(workdir, "-newkey", "rsa:3072")

        created = issue(api.customer(), csr=csr)

        certificate = load_certificate(created)
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
        assert created["key_algorithm"] == "rsa-3072"
        assert usage.key_encipherment

    def test_p384_csr_is_accepted(self, api: Api, workdir: Path) -> None:
        csr = openssl_csr(workdir, "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384")

        assert issue(api.customer(), csr=csr)["key_algorithm"] == "ec-p384"


def _tampered_signature(csr_pem: str) -> str:
    der = bytearray(
        x509.load_pem_x509_csr(csr_pem.encode()).public_bytes(serialization.Encoding.DER)
    )
    der[-3] ^= 0x01  # inside the signature BIT STRING, at the end of the structure
    body = base64.encodebytes(bytes(der)).decode().replace("\n", "")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return (
        "-----BEGIN CERTIFICATE REQUEST-----\n"
        + "\n".join(lines)
        + "\n-----END CERTIFICATE REQUEST-----\n"
    )


class TestCsrRefusals:
    def _refused(self, api: Api, **body: Any) -> dict[str, Any]:
        response = api.customer().post(
            "/v1/certificates", json={"common_name": "client.example.com", **body}
        )
        assert response.status_code == 422, response.text
        return dict(response.json()["error"])

    def test_bad_signature_is_refused(self, api: Api, workdir: Path) -> None:
        error = self._refused(api, csr=_tampered_signature(p256_csr(workdir)))

        assert error["code"] == "csr_signature_invalid"
        assert "signature" in error["message"]

    @pytest.mark.parametrize(
        "new_key",
        [
            ("-newkey", "rsa:1024"),
            ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:secp256k1"),
            ("-newkey", "ed25519"),
        ],
        ids=["rsa-1024", "secp256k1", "ed25519"],
    )
    def test_weak_or_unsupported_key_is_refused(
        self, api: Api, workdir: Path, new_key: tuple[str, ...]
    ) -> None:
        error = self._refused(api, csr=openssl_csr(workdir, *new_key))

        assert error["code"] == "weak_key"
        assert error["message"]

    def test_csr_asking_for_a_ca_is_refused(self, api: Api, workdir: Path) -> None:
        csr = p256_csr(workdir, extra=("-addext", "basicConstraints=critical,CA:TRUE"))

        error = self._refused(api, csr=csr)

        assert error["code"] == "csr_requests_ca"
        assert "CA" in error["message"]

    def test_text_that_is_not_a_csr_is_refused(self, api: Api) -> None:
        error = self._refused(api, csr="-----BEGIN CERTIFICATE REQUEST-----\nnope\n")

        assert error["code"] == "invalid_csr"

    def test_refusals_create_nothing(self, api: Api, runtime: Any, workdir: Path) -> None:
        customer = api.customer()

        customer.post(
            "/v1/certificates",
            json={"common_name": "x.example", "csr": openssl_csr(workdir, "-newkey", "rsa:1024")},
        )

        assert customer.get("/v1/certificates").json()["total"] == 0
        assert events_of(runtime, customer.firm_id, "certificate.issued") == []


class TestCreateCertificateValidation:
    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"validity_days": 0}, "validity_days"),
            ({"validity_days": 826}, "validity_days"),
            ({"key_algorithm": "rsa-1024"}, "key_algorithm"),
            ({"common_name": ""}, "common_name"),
            ({"common_name": "x" * 65}, "common_name"),
            ({"subject_alt_names": ["not a name"]}, "subject_alt_names"),
            ({"key_passphrase": ""}, "key_passphrase"),
            ({"notify_days_before_expiry": [0]}, "notify_days_before_expiry.0"),
            ({"labels": {"bad key!": "x"}}, "labels.bad key!.[key]"),
            ({"surprise": 1}, "surprise"),
        ],
    )
    def test_invalid_fields_are_422_naming_the_field(
        self, api: Api, body: dict[str, Any], field: str
    ) -> None:
        response = api.customer().post(
            "/v1/certificates", json={"common_name": "client.example.com", **body}
        )

        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert field in [f["field"] for f in error["details"]["fields"]]

    def test_csr_and_key_algorithm_together_are_refused(self, api: Api, workdir: Path) -> None:
        response = api.customer().post(
            "/v1/certificates",
            json={"common_name": "a.example", "csr": p256_csr(workdir), "key_algorithm": "ec-p256"},
        )

        assert response.status_code == 422
        assert "either" in response.text

    def test_passphrase_with_a_csr_is_refused(self, api: Api, workdir: Path) -> None:
        response = api.customer().post(
            "/v1/certificates",
            json={"common_name": "a.example", "csr": p256_csr(workdir), "key_passphrase": "pw"},
        )

        assert response.status_code == 422
        assert "pw" not in response.json()["error"]["message"]

    def test_needs_authentication(self, api: Api) -> None:
        response = api.client.post("/v1/certificates", json={"common_name": "a.example"})

        assert response.status_code == 401


class TestCertificateOwner:
    def test_staff_names_an_owner_in_their_firm(self, api: Api) -> None:
        customer = api.customer()
        operator = api.staff(Role.FIRM_OPERATOR)

        created = issue(operator, owner_id=customer.user_id)

        assert created["owner_id"] == customer.user_id
        assert customer.get(f"/v1/certificates/{created['id']}").status_code == 200

    def test_staff_own_what_they_create_without_naming_anyone(self, api: Api) -> None:
        admin = api.staff(Role.FIRM_ADMIN)

        assert issue(admin)["owner_id"] == admin.user_id

    def test_owner_in_another_firm_is_not_found(self, api: Api) -> None:
        other = api.create_firm()
        outsider = api.customer(firm=other.slug)

        response = api.staff(Role.FIRM_ADMIN).post(
            "/v1/certificates", json={"common_name": "a.example", "owner_id": outsider.user_id}
        )

        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"

    def test_customer_cannot_create_for_someone_else(self, api: Api) -> None:
        customer, neighbour = api.customer(), api.customer()

        response = customer.post(
            "/v1/certificates", json={"common_name": "a.example", "owner_id": neighbour.user_id}
        )

        assert response.status_code == 403

    def test_customer_may_name_themselves(self, api: Api) -> None:
        customer = api.customer()

        assert issue(customer, owner_id=customer.user_id)["owner_id"] == customer.user_id


class TestCreateCertificateEvents:
    def test_issuance_writes_certificate_issued_without_any_key(
        self, api: Api, runtime: Any
    ) -> None:
        customer = api.customer()

        created = issue(customer)

        (event,) = events_of(runtime, customer.firm_id, "certificate.issued")
        assert event.data["id"] == created["id"]
        assert event.data["serial_number"] == created["serial_number"]
        assert event.data["status"] == "active"
        assert "private_key_pem" not in event.data
        assert "PRIVATE KEY" not in str(event.data)


class TestCreateCertificateIdempotency:
    def test_same_key_replays_without_the_private_key(self, api: Api, runtime: Any) -> None:
        customer = api.customer()
        body = {"common_name": "idem.example.com", "key_passphrase": "pw-1"}
        headers = {"Idempotency-Key": "cert-1"}

        first = customer.post("/v1/certificates", json=body, headers=headers)
        again = customer.post("/v1/certificates", json=body, headers=headers)

        assert first.status_code == again.status_code == 201
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json()["id"] == first.json()["id"]
        assert first.json()["private_key_pem"].startswith("-----BEGIN ENCRYPTED")
        assert "private_key_pem" not in again.json()
        assert customer.get("/v1/certificates").json()["total"] == 1
        assert (
            len(event_ids_for(runtime, customer.firm_id, "certificate.issued", first.json()["id"]))
            == 1
        )

    def test_a_replay_generates_no_key_and_signs_nothing(
        self, api: Api, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        customer = api.customer()
        counts = {"generate_private_key": 0, "issue_certificate": 0}
        for name in counts:
            real = getattr(pki, name)

            def counted(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
                counts[_name] += 1
                return _real(*args, **kwargs)

            monkeypatch.setattr(pki, name, counted)
        body = {"common_name": "once.example.com"}
        headers = {"Idempotency-Key": "cert-once"}

        first = customer.post("/v1/certificates", json=body, headers=headers)
        replays = [customer.post("/v1/certificates", json=body, headers=headers) for _ in range(3)]
        renewed = customer.post(f"/v1/certificates/{first.json()['id']}/renew", headers=headers)

        assert first.status_code == 201
        assert all(r.headers["Idempotent-Replayed"] == "true" for r in replays)
        # One key and one signature for the issuance; the renewal reusing the key is a 409
        # (another request) found before it signs.
        assert renewed.json()["error"]["code"] == "idempotency_key_reused"
        assert counts == {"generate_private_key": 1, "issue_certificate": 1}

    def test_same_key_with_another_body_is_409(self, api: Api) -> None:
        customer = api.customer()
        headers = {"Idempotency-Key": "cert-2"}

        customer.post("/v1/certificates", json={"common_name": "a.example"}, headers=headers)
        second = customer.post(
            "/v1/certificates", json={"common_name": "b.example"}, headers=headers
        )

        assert second.status_code == 409
        assert second.json()["error"]["code"] == "idempotency_key_reused"


class TestIssuanceHoldsNoWriteLockDuringKeyGeneration:
    def test_write_transactions_are_short_next_to_rsa_key_generation(
        self, api: Api, runtime: Any
    ) -> None:
        """The write transaction must not span key generation (certificates.issuance)."""
        customer = api.customer()
        opened: dict[int, float] = {}
        longest = 0.0

        def on_begin(conn: Connection) -> None:
            if conn.get_execution_options().get(WRITE_OPTION):
                opened[id(conn)] = time.perf_counter()

        def on_end(conn: Connection) -> None:
            nonlocal longest
            started = opened.pop(id(conn), None)
            if started is not None:
                longest = max(longest, time.perf_counter() - started)

        sa_event.listen(runtime.db.engine, "begin", on_begin)
        sa_event.listen(runtime.db.engine, "commit", on_end)
        sa_event.listen(runtime.db.engine, "rollback", on_end)
        try:
            started = time.perf_counter()
            for _ in range(3):
                issue(customer, key_algorithm="rsa-3072")
            elapsed = time.perf_counter() - started
            longest_write = longest
        finally:
            sa_event.remove(runtime.db.engine, "begin", on_begin)
            sa_event.remove(runtime.db.engine, "commit", on_end)
            sa_event.remove(runtime.db.engine, "rollback", on_end)

        # Holding the lock across generation would make one write span most of a request.
        assert 0 < longest_write < elapsed / 3 / 2, (longest_write, elapsed)


def _as_principal(caller: Caller, role: Role = Role.CUSTOMER) -> Principal:
    return Principal(
        kind="user",
        id=caller.user_id,
        firm_id=caller.firm_id,
        role=role,
        scopes=ROLE_SCOPES[role],
        holder_id=caller.holder_id,
    )


class TestIssuanceInTwoHalves:
    def test_owner_deleted_while_signing_is_not_recorded(self, api: Api, runtime: Runtime) -> None:
        customer = api.customer()
        principal = _as_principal(customer)
        with runtime.db.session_scope() as session:
            signed = issuance.sign_new(
                session,
                runtime.keyring,
                principal=principal,
                request=issuance.IssueRequest(common_name="late.example"),
                now=runtime.now(),
            )
        assert customer.delete(f"/v1/users/{customer.user_id}").status_code == 204

        with pytest.raises(NotFound), runtime.db.session_scope() as session:
            issuance.record(session, principal=principal, signed=signed, now=runtime.now())

        assert events_of(runtime, customer.firm_id, "certificate.issued") == []

    def test_renewal_of_a_certificate_revoked_while_signing_is_refused(
        self, api: Api, runtime: Runtime
    ) -> None:
        customer = api.customer()
        original = issue(customer)
        principal = _as_principal(customer)
        with runtime.db.session_scope() as session:
            signed = issuance.sign_renewal(
                session,
                runtime.keyring,
                principal=principal,
                certificate_id=original["id"],
                validity_days=None,
                now=runtime.now(),
            )
        patch(customer, original["id"], status="revoked")

        with pytest.raises(service.CertificateRevoked), runtime.db.session_scope() as session:
            issuance.record(session, principal=principal, signed=signed, now=runtime.now())

    def test_a_machine_client_creates_firm_owned_certificates(
        self, api: Api, runtime: Runtime
    ) -> None:
        client = Principal(
            kind="client",
            id="cli_bench",
            firm_id=DEFAULT_FIRM_ID,
            scopes=frozenset({Scope.CERTIFICATES_WRITE, Scope.CERTIFICATES_READ}),
        )
        with runtime.db.session_scope() as session:
            signed = issuance.sign_new(
                session,
                runtime.keyring,
                principal=client,
                request=issuance.IssueRequest(common_name="machine.example"),
                now=runtime.now(),
            )
            view = issuance.record(session, principal=client, signed=signed, now=runtime.now())

        assert signed.owner_id is None
        shown = api.staff(Role.FIRM_ADMIN).get(f"/v1/certificates/{view.certificate.id}")
        assert shown.json()["owner_id"] is None
