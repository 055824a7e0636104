"""Certificate authorities: the root, the firms' intermediates, and what every signature shares."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tessera.crypto.pki.encoding import new_serial_number
from tessera.crypto.pki.keys import (
    SupportedPrivateKey,
    SupportedPublicKey,
    _signature_hash,
    _spki_der,
    load_private_key_pem,
)
from tessera.errors import Unavailable, ValidationFailed

# ub-common-name in RFC 5280; cryptography refuses longer values anyway.
MAX_COMMON_NAME_LENGTH: Final = 64
ROOT_PATH_LENGTH: Final = 1
INTERMEDIATE_PATH_LENGTH: Final = 0


@dataclass(frozen=True, slots=True)
class IssuedCA:
    """A certificate authority: its private key and its certificate, checked to belong together."""

    private_key: SupportedPrivateKey
    certificate: x509.Certificate

    def __post_init__(self) -> None:
        # The service reassembles this pair from the vault and the database; a mismatched or
        # non-CA pair would otherwise surface only as certificates that fail to verify.
        if _spki_der(self.private_key.public_key()) != _spki_der(self.certificate.public_key()):
            raise ValueError("The private key does not match the CA certificate.")
        try:
            constraints = self.certificate.extensions.get_extension_for_class(
                x509.BasicConstraints
            ).value
        except x509.ExtensionNotFound:
            raise ValueError("The certificate has no BasicConstraints; it is not a CA.") from None
        if not constraints.ca:
            raise ValueError("The certificate is not a CA certificate.")

    @property
    def not_after(self) -> datetime:
        """The last moment the CA certificate is valid (UTC)."""
        return self.certificate.not_valid_after_utc

    @property
    def subject(self) -> x509.Name:
        """The CA's distinguished name, the issuer of everything it signs."""
        return self.certificate.subject


def create_root_ca(
    common_name: str,
    *,
    now: datetime,
    validity_days: int = 3650,
    organization: str | None = None,
) -> IssuedCA:
    """Create a self-signed root CA that may sign one level of intermediate CAs."""
    # EC P-384 for every CA key: about 192-bit strength, enough for a root that lives ten years,
    # while keys, certificates and signatures stay small and signing stays sub-millisecond (an
    # RSA-4096 CA would cost ~100x more per signature). P-384 is in every TLS stack and in
    # NSA CNSA, and pairs with SHA-384.
    key = ec.generate_private_key(ec.SECP384R1())
    not_before = _whole_seconds(now)
    not_after = not_before + _validity(validity_days)
    name = _subject_name(common_name, organization)
    certificate = _sign(
        _ca_builder(
            subject=name,
            issuer=name,
            public_key=key.public_key(),
            not_before=not_before,
            not_after=not_after,
            path_length=ROOT_PATH_LENGTH,
        )
        # A self-signed root's AKI names its own key; RFC 5280 allows it and it helps tools
        # that match AKI to SKI when building chains.
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False
        ),
        key,
    )
    return IssuedCA(private_key=key, certificate=certificate)


def create_intermediate_ca(
    root: IssuedCA,
    common_name: str,
    *,
    now: datetime,
    validity_days: int = 1825,
    organization: str | None = None,
    organizational_unit: str | None = None,
) -> IssuedCA:
    """Create an intermediate CA under ``root`` that may sign only end-entity certificates."""
    # P-384 for the same reasons as the root (see create_root_ca).
    key = ec.generate_private_key(ec.SECP384R1())
    not_before = _whole_seconds(now)
    not_after = _clamp_to_issuer(root, not_before, not_before + _validity(validity_days))
    certificate = _sign(
        _ca_builder(
            subject=_subject_name(common_name, organization, organizational_unit),
            issuer=root.subject,
            public_key=key.public_key(),
            not_before=not_before,
            not_after=not_after,
            path_length=INTERMEDIATE_PATH_LENGTH,
        ).add_extension(_authority_key_identifier(root), critical=False),
        root.private_key,
    )
    return IssuedCA(private_key=key, certificate=certificate)


def load_issued_ca(
    certificate_pem: bytes, private_key_pem: bytes, passphrase: str | None = None
) -> IssuedCA:
    """Rebuild an ``IssuedCA`` from the PEM certificate and PEM private key the service stored."""
    certificate = x509.load_pem_x509_certificate(certificate_pem)
    return IssuedCA(
        private_key=load_private_key_pem(private_key_pem, passphrase), certificate=certificate
    )


def _ca_builder(
    *,
    subject: x509.Name,
    issuer: x509.Name,
    public_key: SupportedPublicKey,
    not_before: datetime,
    not_after: datetime,
    path_length: int,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(new_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _subject_name(
    common_name: str, organization: str | None, organizational_unit: str | None = None
) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, _name_value(common_name, "common_name"))]
    if organizational_unit is not None:
        attributes.insert(
            0,
            x509.NameAttribute(
                NameOID.ORGANIZATIONAL_UNIT_NAME,
                _name_value(organizational_unit, "organizational_unit"),
            ),
        )
    if organization is not None:
        attributes.insert(
            0,
            x509.NameAttribute(
                NameOID.ORGANIZATION_NAME, _name_value(organization, "organization")
            ),
        )
    return x509.Name(attributes)


def _name_value(value: str, field: str) -> str:
    stripped = value.strip()
    if not stripped:
        raise ValidationFailed.single(field, "The name must not be empty.")
    if len(stripped) > MAX_COMMON_NAME_LENGTH:
        raise ValidationFailed.single(
            field, f"The name must be at most {MAX_COMMON_NAME_LENGTH} characters long."
        )
    if not stripped.isprintable():
        raise ValidationFailed.single(field, "The name must not contain control characters.")
    return stripped


def _validity(validity_days: int) -> timedelta:
    if validity_days < 1:
        raise ValidationFailed.single("validity_days", "The validity must be at least one day.")
    return timedelta(days=validity_days)


def _whole_seconds(moment: datetime) -> datetime:
    # A naive datetime would be read as local time by some code paths and UTC by others.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("Datetimes given to the PKI must be timezone-aware.")
    return moment.astimezone(UTC).replace(microsecond=0)


def _clamp_to_issuer(issuer: IssuedCA, not_before: datetime, not_after: datetime) -> datetime:
    # A certificate that outlives its issuer fails path validation for its last stretch anyway;
    # clamping makes the stored not_after the date it really stops working.
    clamped = min(not_after, issuer.not_after)
    if clamped <= not_before:
        raise Unavailable(
            "The issuing certificate authority has expired; it must be rotated before issuing.",
            code="issuing_ca_expired",
        )
    return clamped


def _authority_key_identifier(issuer: IssuedCA) -> x509.AuthorityKeyIdentifier:
    try:
        ski = issuer.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    except x509.ExtensionNotFound:
        # CAs created elsewhere may lack an SKI; derive the same value from the key instead.
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.private_key.public_key())
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski.value)


def _sign(builder: x509.CertificateBuilder, key: SupportedPrivateKey) -> x509.Certificate:
    return builder.sign(key, _signature_hash(key))
