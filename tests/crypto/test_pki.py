"""Tests for the X.509 primitives, checked against the real ``openssl`` command line."""

from __future__ import annotations

import base64
import ipaddress
import subprocess
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tessera.crypto.pki import (
    IssuedCA,
    KeyAlgorithm,
    RevocationReason,
    RevokedEntry,
    build_crl,
    cert_to_pem,
    chain_pem,
    check_csr,
    create_intermediate_ca,
    create_root_ca,
    crl_to_pem,
    encrypt_private_key_pem,
    fingerprint_sha256,
    generate_private_key,
    issue_certificate,
    load_csr,
    load_issued_ca,
    load_private_key_pem,
    parse_revocation_reason,
    parse_subject_alt_names,
    serial_hex,
)
from tessera.errors import RuleViolation, Unavailable, ValidationFailed

ExtensionT = TypeVar("ExtensionT", bound=x509.ExtensionType)

# --- helpers ----------------------------------------------------------------------------------


def openssl(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run openssl in ``cwd``, failing the test on a non-zero exit."""
    return subprocess.run(["openssl", *args], check=True, capture_output=True, text=True, cwd=cwd)


def openssl_csr(cwd: Path, *new_key: str, extra: tuple[str, ...] = ()) -> bytes:
    """Have openssl generate a key and a CSR for /CN=client.example; return the CSR PEM."""
    openssl(
        cwd,
        "req", "-new", *new_key, "-nodes", "-subj", "/CN=client.example",
        "-keyout", "key.pem", "-out", "csr.pem", *extra,
    )  # fmt: skip
    return (cwd / "csr.pem").read_bytes()


def p256_csr(cwd: Path) -> bytes:
    return openssl_csr(cwd, "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256")


def write(cwd: Path, name: str, text: str | bytes) -> str:
    path = cwd / name
    if isinstance(text, str):
        path.write_text(text)
    else:
        path.write_bytes(text)
    return name


def extension(cert: x509.Certificate, kind: type[ExtensionT]) -> x509.Extension[ExtensionT]:
    return cert.extensions.get_extension_for_class(kind)


def issue(issuer: IssuedCA, **overrides: object) -> x509.Certificate:
    """Issue a leaf for a fresh P-256 key with sensible defaults, overridable per test."""
    arguments: dict[str, object] = {
        "issuer": issuer,
        "public_key": generate_private_key().public_key(),
        "common_name": "client.example",
        "subject_alt_names": [],
        "not_before": datetime.now(UTC),
        "validity_days": 30,
    }
    arguments.update(overrides)
    return issue_certificate(**arguments)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def root() -> IssuedCA:
    return create_root_ca("Tessera Test Root", now=datetime.now(UTC))


@pytest.fixture(scope="module")
def intermediate(root: IssuedCA) -> IssuedCA:
    return create_intermediate_ca(root, "Tessera Test Issuing CA", now=datetime.now(UTC))


@pytest.fixture
def chain_files(tmp_path: Path, root: IssuedCA, intermediate: IssuedCA) -> Path:
    write(tmp_path, "root.pem", cert_to_pem(root.certificate))
    write(tmp_path, "intermediate.pem", cert_to_pem(intermediate.certificate))
    write(tmp_path, "chain.pem", chain_pem(intermediate.certificate, root.certificate))
    return tmp_path


# --- keys -------------------------------------------------------------------------------------


class TestGeneratePrivateKey:
    @pytest.mark.parametrize(
        ("alg", "kind", "size"),
        [
            (KeyAlgorithm.EC_P256, ec.EllipticCurvePrivateKey, 256),
            (KeyAlgorithm.RSA_2048, rsa.RSAPrivateKey, 2048),
            (KeyAlgorithm.RSA_3072, rsa.RSAPrivateKey, 3072),
        ],
    )
    def test_generates_the_requested_key(self, alg: KeyAlgorithm, kind: type, size: int) -> None:
        key = generate_private_key(alg)

        assert isinstance(key, kind)
        assert key.key_size == size

    def test_default_is_ec_p256_and_keys_are_fresh(self) -> None:
        first, second = generate_private_key(), generate_private_key()

        assert isinstance(first, ec.EllipticCurvePrivateKey)
        assert first.curve.name == "secp256r1"
        assert first.private_numbers() != second.private_numbers()

    def test_api_strings_name_the_algorithms(self) -> None:
        assert [a.value for a in KeyAlgorithm] == ["ec-p256", "rsa-2048", "rsa-3072"]


class TestEncryptPrivateKeyPem:
    def test_passphrase_protected_key_opens_with_openssl(self, tmp_path: Path) -> None:
        pem = encrypt_private_key_pem(generate_private_key(), "secret")
        write(tmp_path, "k.pem", pem)

        assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
        openssl(tmp_path, "pkey", "-in", "k.pem", "-passin", "pass:secret", "-noout")
        with pytest.raises(subprocess.CalledProcessError):
            openssl(tmp_path, "pkey", "-in", "k.pem", "-passin", "pass:wrong", "-noout")

    def test_rsa_key_with_passphrase_round_trips_to_the_same_key(self) -> None:
        key = generate_private_key(KeyAlgorithm.RSA_2048)
        pem = encrypt_private_key_pem(key, "pässwörd")

        loaded = load_private_key_pem(pem, "pässwörd")

        assert isinstance(loaded, rsa.RSAPrivateKey)
        assert loaded.private_numbers() == key.private_numbers()
        with pytest.raises(ValueError, match=r"(?i)incorrect password|bad decrypt"):
            load_private_key_pem(pem, "nope")

    def test_without_passphrase_is_plain_pkcs8(self, tmp_path: Path) -> None:
        pem = encrypt_private_key_pem(generate_private_key(), None)
        write(tmp_path, "k.pem", pem)

        assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
        openssl(tmp_path, "pkey", "-in", "k.pem", "-noout")

    @pytest.mark.parametrize("passphrase", ["", "x" * 1024])
    def test_refuses_empty_or_oversized_passphrase(self, passphrase: str) -> None:
        with pytest.raises(ValidationFailed) as caught:
            encrypt_private_key_pem(generate_private_key(), passphrase)

        assert caught.value.details["fields"][0]["field"] == "key_passphrase"


# --- certificate authorities ------------------------------------------------------------------


class TestCreateRootCA:
    def test_is_a_p384_self_signed_ca_for_one_level_of_intermediates(self, root: IssuedCA) -> None:
        cert = root.certificate
        constraints = extension(cert, x509.BasicConstraints)
        usage = extension(cert, x509.KeyUsage)
        ski = extension(cert, x509.SubjectKeyIdentifier).value

        assert isinstance(root.private_key, ec.EllipticCurvePrivateKey)
        assert root.private_key.curve.name == "secp384r1"
        assert isinstance(cert.signature_hash_algorithm, hashes.SHA384)
        assert cert.issuer == cert.subject
        assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == (
            "Tessera Test Root"
        )
        assert constraints.critical
        assert constraints.value.ca
        assert constraints.value.path_length == 1
        assert usage.critical
        assert usage.value.key_cert_sign
        assert usage.value.crl_sign
        assert not usage.value.digital_signature
        assert extension(cert, x509.AuthorityKeyIdentifier).value.key_identifier == ski.digest
        assert 0 < cert.serial_number < 2**128

    def test_validity_starts_at_now_in_whole_seconds(self) -> None:
        now = datetime(2030, 1, 2, 3, 4, 5, 678_000, tzinfo=UTC)

        ca = create_root_ca("Root", now=now, validity_days=10, organization="Tessera")

        assert ca.certificate.not_valid_before_utc == now.replace(microsecond=0)
        assert ca.not_after == now.replace(microsecond=0) + timedelta(days=10)
        assert ca.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Tessera"

    def test_refuses_naive_datetimes(self) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            create_root_ca("Root", now=datetime(2030, 1, 1))  # noqa: DTZ001

    @pytest.mark.parametrize("name", ["", "   ", "x" * 65, "bad\nname"])
    def test_refuses_unusable_common_names(self, name: str) -> None:
        with pytest.raises(ValidationFailed) as caught:
            create_root_ca(name, now=datetime.now(UTC))

        assert caught.value.details["fields"][0]["field"] == "common_name"


class TestCreateIntermediateCA:
    def test_is_signed_by_the_root_and_may_sign_only_end_entities(
        self, root: IssuedCA, intermediate: IssuedCA, chain_files: Path
    ) -> None:
        cert = intermediate.certificate
        constraints = extension(cert, x509.BasicConstraints)
        root_ski = extension(root.certificate, x509.SubjectKeyIdentifier).value

        assert cert.issuer == root.subject
        assert constraints.critical
        assert constraints.value.ca
        assert constraints.value.path_length == 0
        assert extension(cert, x509.KeyUsage).critical
        assert extension(cert, x509.AuthorityKeyIdentifier).value.key_identifier == (
            root_ski.digest
        )
        assert cert.serial_number != root.certificate.serial_number
        openssl(chain_files, "verify", "-CAfile", "root.pem", "intermediate.pem")

    def test_never_outlives_the_root(self) -> None:
        now = datetime.now(UTC)
        short_root = create_root_ca("Short Root", now=now, validity_days=30)

        ca = create_intermediate_ca(short_root, "Issuing", now=now, validity_days=1825)

        assert ca.not_after == short_root.not_after


class TestIssuedCA:
    def test_refuses_a_key_that_does_not_match_the_certificate(self, root: IssuedCA) -> None:
        with pytest.raises(ValueError, match="does not match"):
            IssuedCA(
                private_key=ec.generate_private_key(ec.SECP384R1()), certificate=root.certificate
            )

    def test_refuses_an_end_entity_certificate(self, intermediate: IssuedCA) -> None:
        key = generate_private_key()
        leaf = issue(intermediate, public_key=key.public_key())

        with pytest.raises(ValueError, match="not a CA"):
            IssuedCA(private_key=key, certificate=leaf)

    def test_load_issued_ca_round_trips_through_encrypted_pem(self, root: IssuedCA) -> None:
        key_pem = encrypt_private_key_pem(root.private_key, "vault-wrapped")
        cert_pem = cert_to_pem(root.certificate).encode()

        loaded = load_issued_ca(cert_pem, key_pem, "vault-wrapped")

        assert loaded.certificate == root.certificate
        assert issue(loaded).issuer == root.subject


# --- certificate signing requests -------------------------------------------------------------


def rule_code(excinfo: pytest.ExceptionInfo[RuleViolation]) -> str:
    return excinfo.value.code


class TestLoadCsr:
    def test_loads_an_openssl_csr_from_bytes_or_text(self, tmp_path: Path) -> None:
        pem = p256_csr(tmp_path)

        from_bytes = load_csr(pem)
        from_text = load_csr(pem.decode())

        assert from_bytes == from_text
        assert from_bytes.subject.rfc4514_string() == "CN=client.example"

    @pytest.mark.parametrize(
        "garbage",
        [
            "hello, I am not a CSR",
            b"",
            "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
            "-----BEGIN CERTIFICATE REQUEST-----\nüñí\n-----END CERTIFICATE REQUEST-----\n",
            b"A" * (65 * 1024),
        ],
    )
    def test_garbage_is_invalid_csr(self, garbage: str | bytes) -> None:
        with pytest.raises(RuleViolation) as caught:
            load_csr(garbage)

        assert rule_code(caught) == "invalid_csr"
        assert caught.value.status == 422


class TestCheckCsr:
    def test_accepts_an_openssl_p256_csr(self, tmp_path: Path) -> None:
        check_csr(load_csr(p256_csr(tmp_path)))

    def test_accepts_an_openssl_rsa_2048_csr(self, tmp_path: Path) -> None:
        check_csr(load_csr(openssl_csr(tmp_path, "-newkey", "rsa:2048")))

    def test_rsa_1024_is_a_weak_key(self, tmp_path: Path) -> None:
        csr = load_csr(openssl_csr(tmp_path, "-newkey", "rsa:1024"))

        with pytest.raises(RuleViolation) as caught:
            check_csr(csr)

        assert rule_code(caught) == "weak_key"
        assert "2048" in caught.value.message

    def test_secp256k1_is_an_unsupported_curve(self, tmp_path: Path) -> None:
        pem = openssl_csr(tmp_path, "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:secp256k1")

        with pytest.raises(RuleViolation) as caught:
            check_csr(load_csr(pem))

        assert rule_code(caught) == "weak_key"
        assert "P-256" in caught.value.message

    def test_ed25519_is_not_an_accepted_key_type(self) -> None:
        key = ed25519.Ed25519PrivateKey.generate()
        csr = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ed")]))
            .sign(key, None)
        )

        with pytest.raises(RuleViolation) as caught:
            check_csr(csr)

        assert rule_code(caught) == "weak_key"

    def test_a_csr_asking_for_ca_is_refused(self, tmp_path: Path) -> None:
        pem = openssl_csr(
            tmp_path,
            "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            extra=("-addext", "basicConstraints=critical,CA:TRUE"),
        )  # fmt: skip

        with pytest.raises(RuleViolation) as caught:
            check_csr(load_csr(pem))

        assert rule_code(caught) == "csr_requests_ca"

    def test_a_csr_asking_for_an_end_entity_is_fine(self, tmp_path: Path) -> None:
        pem = openssl_csr(
            tmp_path,
            "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            extra=("-addext", "basicConstraints=critical,CA:FALSE"),
        )  # fmt: skip

        check_csr(load_csr(pem))

    def test_a_tampered_signature_is_refused(self, tmp_path: Path) -> None:
        der = bytearray(load_csr(p256_csr(tmp_path)).public_bytes(serialization.Encoding.DER))
        # The signature BIT STRING closes the DER; its last byte is the last byte of the ECDSA
        # `s` integer, so flipping it keeps the structure parseable but the signature wrong.
        der[-1] ^= 0x01
        body = "\n".join(textwrap.wrap(base64.b64encode(bytes(der)).decode(), 64))
        tampered = (
            f"-----BEGIN CERTIFICATE REQUEST-----\n{body}\n-----END CERTIFICATE REQUEST-----\n"
        )
        csr = load_csr(tampered)

        with pytest.raises(RuleViolation) as caught:
            check_csr(csr)

        assert rule_code(caught) == "csr_signature_invalid"


# --- end-entity certificates ------------------------------------------------------------------


class TestIssueCertificate:
    def test_openssl_csr_becomes_a_leaf_openssl_verifies_for_client_and_server(
        self, intermediate: IssuedCA, chain_files: Path
    ) -> None:
        csr = load_csr(p256_csr(chain_files))
        check_csr(csr)

        leaf = issue_certificate(
            issuer=intermediate,
            public_key=csr.public_key(),
            common_name="client.example",
            subject_alt_names=[],
            not_before=datetime.now(UTC),
            validity_days=365,
        )
        write(chain_files, "leaf.pem", cert_to_pem(leaf))

        base = ("verify", "-CAfile", "root.pem", "-untrusted", "intermediate.pem")
        for purpose in ((), ("-purpose", "sslclient"), ("-purpose", "sslserver")):
            result = openssl(chain_files, *base, *purpose, "leaf.pem")
            assert "leaf.pem: OK" in result.stdout
        # The key openssl generated matches the certificate we signed for it.
        key_pub = openssl(chain_files, "pkey", "-in", "key.pem", "-pubout").stdout
        cert_pub = openssl(chain_files, "x509", "-in", "leaf.pem", "-pubkey", "-noout").stdout
        assert key_pub == cert_pub

    def test_rsa_leaf_verifies_and_may_encipher_keys(
        self, intermediate: IssuedCA, chain_files: Path
    ) -> None:
        key = generate_private_key(KeyAlgorithm.RSA_2048)
        leaf = issue(intermediate, public_key=key.public_key(), subject_alt_names=["api.example"])
        write(chain_files, "leaf.pem", cert_to_pem(leaf))
        usage = extension(leaf, x509.KeyUsage).value

        assert usage.digital_signature
        assert usage.key_encipherment
        assert not usage.key_agreement
        openssl(
            chain_files, "verify", "-CAfile", "root.pem", "-untrusted", "intermediate.pem",
            "-purpose", "sslserver", "leaf.pem",
        )  # fmt: skip

    def test_leaf_carries_the_end_entity_extensions(self, intermediate: IssuedCA) -> None:
        leaf = issue(
            intermediate,
            common_name="Payments Gateway",
            organization="Acme Bank",
            subject_alt_names=["pay.acme.example", "10.0.0.7", "ops@acme.example"],
        )
        constraints = extension(leaf, x509.BasicConstraints)
        usage = extension(leaf, x509.KeyUsage)
        eku = extension(leaf, x509.ExtendedKeyUsage).value
        san = extension(leaf, x509.SubjectAlternativeName).value
        aki = extension(leaf, x509.AuthorityKeyIdentifier).value
        issuer_ski = extension(intermediate.certificate, x509.SubjectKeyIdentifier).value

        assert leaf.subject.rfc4514_string() == "CN=Payments Gateway,O=Acme Bank"
        assert leaf.issuer == intermediate.subject
        assert constraints.critical
        assert not constraints.value.ca
        assert usage.critical
        assert usage.value.digital_signature
        assert usage.value.key_agreement
        assert not usage.value.key_encipherment
        assert not usage.value.key_cert_sign
        assert set(eku) == {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}
        assert san.get_values_for_type(x509.DNSName) == ["pay.acme.example"]
        assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("10.0.0.7")]
        assert san.get_values_for_type(x509.RFC822Name) == ["ops@acme.example"]
        assert aki.key_identifier == issuer_ski.digest
        assert extension(leaf, x509.SubjectKeyIdentifier).value == (
            x509.SubjectKeyIdentifier.from_public_key(leaf.public_key())
        )
        assert isinstance(leaf.signature_hash_algorithm, hashes.SHA384)
        assert 0 < leaf.serial_number < 2**128

    def test_hostname_common_name_becomes_the_san_when_none_given(
        self, intermediate: IssuedCA
    ) -> None:
        leaf = issue(intermediate, common_name="Client.Example")

        san = extension(leaf, x509.SubjectAlternativeName).value
        assert san.get_values_for_type(x509.DNSName) == ["client.example"]

    def test_person_name_common_name_gets_no_san(self, intermediate: IssuedCA) -> None:
        leaf = issue(intermediate, common_name="Alice Smith")

        with pytest.raises(x509.ExtensionNotFound):
            extension(leaf, x509.SubjectAlternativeName)

    def test_given_sans_replace_the_common_name(self, intermediate: IssuedCA) -> None:
        leaf = issue(intermediate, common_name="client.example", subject_alt_names=["a.example"])

        san = extension(leaf, x509.SubjectAlternativeName).value
        assert san.get_values_for_type(x509.DNSName) == ["a.example"]

    def test_validity_is_whole_days_from_not_before(self, intermediate: IssuedCA) -> None:
        start = datetime.now(UTC).replace(microsecond=123_456)

        leaf = issue(intermediate, not_before=start, validity_days=90)

        assert leaf.not_valid_before_utc == start.replace(microsecond=0)
        assert leaf.not_valid_after_utc == start.replace(microsecond=0) + timedelta(days=90)

    def test_validity_is_clamped_to_the_issuer(self, root: IssuedCA) -> None:
        now = datetime.now(UTC)
        short_issuer = create_intermediate_ca(root, "Short", now=now, validity_days=10)

        leaf = issue(short_issuer, not_before=now, validity_days=825)

        assert leaf.not_valid_after_utc == short_issuer.not_after

    def test_an_expired_issuer_cannot_issue(self, root: IssuedCA) -> None:
        with pytest.raises(Unavailable) as caught:
            issue(root, not_before=root.not_after + timedelta(seconds=1))

        assert caught.value.code == "issuing_ca_expired"

    def test_serials_are_distinct_positive_and_at_most_128_bits(
        self, intermediate: IssuedCA
    ) -> None:
        key = generate_private_key().public_key()
        serials = [issue(intermediate, public_key=key).serial_number for _ in range(200)]

        assert len(set(serials)) == len(serials)
        assert all(0 < s < 2**128 for s in serials)
        # With 200 draws of 128 bits, at least one has its top nibble set: the range is used.
        assert max(serials).bit_length() > 124

    def test_an_explicit_serial_is_used(self, intermediate: IssuedCA) -> None:
        assert issue(intermediate, serial=0xC0FFEE).serial_number == 0xC0FFEE
        with pytest.raises(ValueError, match="positive"):
            issue(intermediate, serial=0)

    def test_a_weak_public_key_is_refused_even_without_a_csr(self, intermediate: IssuedCA) -> None:
        weak = ec.generate_private_key(ec.SECP256K1()).public_key()

        with pytest.raises(RuleViolation) as caught:
            issue(intermediate, public_key=weak)

        assert caught.value.code == "weak_key"

    def test_crl_url_becomes_a_distribution_point(self, intermediate: IssuedCA) -> None:
        url = "https://pki.tessera.example/v1/pki/crl.pem"

        leaf = issue(intermediate, crl_url=url)

        points = extension(leaf, x509.CRLDistributionPoints).value
        assert points[0].full_name == [x509.UniformResourceIdentifier(url)]


class TestParseSubjectAltNames:
    def test_each_kind_is_recognised(self) -> None:
        names = parse_subject_alt_names(
            [
                "API.Example.com",
                "*.svc.example.com",
                "localhost",
                "192.0.2.1",
                "2001:db8::1",
                "ops@example.com",
                "spiffe://example.com/payments",
                "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66",
            ]
        )

        assert names == [
            x509.DNSName("api.example.com"),
            x509.DNSName("*.svc.example.com"),
            x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.ip_address("192.0.2.1")),
            x509.IPAddress(ipaddress.ip_address("2001:db8::1")),
            x509.RFC822Name("ops@example.com"),
            x509.UniformResourceIdentifier("spiffe://example.com/payments"),
            x509.UniformResourceIdentifier("urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66"),
        ]

    def test_duplicates_are_dropped_keeping_order(self) -> None:
        names = parse_subject_alt_names(["b.example", "a.example", "B.EXAMPLE", " a.example "])

        assert names == [x509.DNSName("b.example"), x509.DNSName("a.example")]

    @pytest.mark.parametrize(
        "bad",
        [
            "",
            "   ",
            "-bad.example",
            "bad-.example",
            "under_score.example",
            "two..dots.example",
            "has space.example",
            "host.example:8443",
            "999.1.1.1",
            "*.com",
            "a.*.example.com",
            "x" * 64 + ".example",
            "bücher.example",
            "no-domain@",
            "a b@example.com",
            "fe80::1%eth0",
        ],
    )
    def test_invalid_names_are_refused_without_echoing_them(self, bad: str) -> None:
        with pytest.raises(ValidationFailed) as caught:
            parse_subject_alt_names(["ok.example", bad])

        field = caught.value.details["fields"][0]
        assert field["field"] == "subject_alt_names"
        assert "#2" in field["message"]
        if bad.strip():
            assert bad.strip() not in caught.value.message

    def test_too_many_names_are_refused(self) -> None:
        with pytest.raises(ValidationFailed, match="At most 100"):
            parse_subject_alt_names([f"h{i}.example" for i in range(101)])


# --- CRLs -------------------------------------------------------------------------------------


class TestBuildCrl:
    def test_openssl_lists_the_revoked_serials_and_verifies_the_signature(
        self, intermediate: IssuedCA, chain_files: Path
    ) -> None:
        now = datetime.now(UTC)
        revoked_leaf = issue(intermediate)
        other_serial = 0x0F00
        crl = build_crl(
            intermediate,
            [
                RevokedEntry(revoked_leaf.serial_number, now, x509.ReasonFlags.key_compromise),
                RevokedEntry(other_serial, now - timedelta(days=1), None),
            ],
            now=now,
            crl_number=7,
        )
        write(chain_files, "crl.pem", crl_to_pem(crl))

        text = openssl(chain_files, "crl", "-in", "crl.pem", "-noout", "-text").stdout
        assert f"Serial Number: {serial_hex(revoked_leaf.serial_number).upper()}" in text
        assert f"Serial Number: {serial_hex(other_serial).upper()}" in text
        assert "Key Compromise" in text
        verified = openssl(chain_files, "crl", "-in", "crl.pem", "-CAfile", "chain.pem", "-verify")
        assert "verify OK" in verified.stderr

    def test_openssl_verify_rejects_a_revoked_leaf(
        self, intermediate: IssuedCA, root: IssuedCA, chain_files: Path
    ) -> None:
        now = datetime.now(UTC)
        leaf = issue(intermediate)
        root_crl = build_crl(root, [], now=now, crl_number=1)
        issuing_crl = build_crl(
            intermediate, [RevokedEntry(leaf.serial_number, now, None)], now=now, crl_number=1
        )
        write(chain_files, "leaf.pem", cert_to_pem(leaf))
        write(chain_files, "crls.pem", crl_to_pem(root_crl) + crl_to_pem(issuing_crl))

        with pytest.raises(subprocess.CalledProcessError) as caught:
            openssl(
                chain_files, "verify", "-crl_check_all", "-CRLfile", "crls.pem",
                "-CAfile", "root.pem", "-untrusted", "intermediate.pem", "leaf.pem",
            )  # fmt: skip

        assert "certificate revoked" in caught.value.stdout + caught.value.stderr

    def test_carries_number_aki_reasons_and_times(self, intermediate: IssuedCA) -> None:
        now = datetime(2031, 5, 6, 7, 8, 9, 999, tzinfo=UTC)
        entries = [
            RevokedEntry(3, now, x509.ReasonFlags.superseded),
            RevokedEntry(1, now, x509.ReasonFlags.unspecified),
        ]

        crl = build_crl(intermediate, entries, now=now, next_update_hours=6, crl_number=42)

        issuer_ski = extension(intermediate.certificate, x509.SubjectKeyIdentifier).value
        assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 42
        aki = crl.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
        assert aki.key_identifier == issuer_ski.digest
        assert crl.last_update_utc == now.replace(microsecond=0)
        assert crl.next_update_utc == now.replace(microsecond=0) + timedelta(hours=6)
        assert crl.is_signature_valid(intermediate.private_key.public_key())
        assert [r.serial_number for r in crl] == [1, 3]
        superseded = crl.get_revoked_certificate_by_serial_number(3)
        unspecified = crl.get_revoked_certificate_by_serial_number(1)
        assert superseded is not None
        assert unspecified is not None
        assert superseded.extensions.get_extension_for_class(x509.CRLReason).value.reason == (
            x509.ReasonFlags.superseded
        )
        # RFC 5280 5.3.1: "unspecified" is written as no reason code at all.
        with pytest.raises(x509.ExtensionNotFound):
            unspecified.extensions.get_extension_for_class(x509.CRLReason)

    def test_an_empty_crl_is_valid(self, intermediate: IssuedCA) -> None:
        crl = build_crl(intermediate, [], now=datetime.now(UTC), crl_number=0)

        assert len(crl) == 0
        assert crl.is_signature_valid(intermediate.private_key.public_key())

    def test_remove_from_crl_is_refused(self, intermediate: IssuedCA) -> None:
        entry = RevokedEntry(5, datetime.now(UTC), x509.ReasonFlags.remove_from_crl)

        with pytest.raises(ValueError, match="delta CRLs"):
            build_crl(intermediate, [entry], now=datetime.now(UTC), crl_number=1)


class TestParseRevocationReason:
    @pytest.mark.parametrize("reason", list(RevocationReason))
    def test_every_api_reason_maps_to_the_flag_of_the_same_name(
        self, reason: RevocationReason
    ) -> None:
        flag = parse_revocation_reason(reason.value)

        assert flag is reason.flag
        assert flag.name == reason.value

    @pytest.mark.parametrize("value", ["remove_from_crl", "Key_Compromise", "stolen", ""])
    def test_unknown_reasons_are_a_validation_error(self, value: str) -> None:
        with pytest.raises(ValidationFailed) as caught:
            parse_revocation_reason(value)

        field = caught.value.details["fields"][0]
        assert field["field"] == "revocation_reason"
        assert "key_compromise" in field["message"]


# --- encoding ---------------------------------------------------------------------------------


class TestFingerprintSha256:
    def test_matches_openssl(self, intermediate: IssuedCA, tmp_path: Path) -> None:
        leaf = issue(intermediate)
        write(tmp_path, "leaf.pem", cert_to_pem(leaf))

        out = openssl(tmp_path, "x509", "-in", "leaf.pem", "-noout", "-fingerprint", "-sha256")

        expected = out.stdout.strip().split("=", 1)[1].replace(":", "").lower()
        assert fingerprint_sha256(leaf) == expected
        assert len(expected) == 64


class TestSerialHex:
    @pytest.mark.parametrize(
        ("serial", "text"), [(1, "01"), (255, "ff"), (256, "0100"), (0xABCDEF, "abcdef")]
    )
    def test_pads_to_whole_bytes(self, serial: int, text: str) -> None:
        assert serial_hex(serial) == text

    def test_matches_openssl(self, intermediate: IssuedCA, tmp_path: Path) -> None:
        leaf = issue(intermediate)
        write(tmp_path, "leaf.pem", cert_to_pem(leaf))

        out = openssl(tmp_path, "x509", "-in", "leaf.pem", "-noout", "-serial")

        assert out.stdout.strip() == f"serial={serial_hex(leaf.serial_number).upper()}"


class TestChainPem:
    def test_intermediate_comes_before_root(self, root: IssuedCA, intermediate: IssuedCA) -> None:
        text = chain_pem(intermediate.certificate, root.certificate)

        certs = x509.load_pem_x509_certificates(text.encode())

        assert certs == [intermediate.certificate, root.certificate]
        assert text.startswith("-----BEGIN CERTIFICATE-----\n")
