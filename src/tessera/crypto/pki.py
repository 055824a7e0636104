"""X.509 primitives for the firms' PKI: CA keys, CSR checks, certificate issuance and CRLs.

Pure functions over ``cryptography``: no database, no HTTP, no clock (callers pass ``now``), no
global state. The certificates service stores CA keys encrypted by the vault and hands key objects
and PEM bytes in and out of this module.

Decisions worth knowing:

- CA keys are always EC P-384 and sign with SHA-384 (see ``create_root_ca``); end-entity keys may
  be EC P-256 / P-384 or RSA >= 2048 bits.
- From a CSR we take only the public key. Its subject and requested extensions are ignored: the
  certificate says what the API request says. A CSR that asks to become a CA is still refused,
  because that request is a sign of misuse worth telling the caller about.
- Serial numbers are 128 random bits, positive and non-zero (see ``new_serial_number``).
- Times are whole seconds in UTC: X.509 cannot store fractions, so dropping them here keeps the
  stored ``not_before`` / ``not_after`` equal to what the certificate says.
- A certificate never outlives its issuer: ``not_after`` is clamped to the issuer's ``not_after``.
- Errors are ``TesseraError`` subclasses whose messages never echo the input, as ``errors.py``
  asks; a bad subject alternative name is pointed at by its position in the list.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Final, TypeAlias

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tessera.errors import RuleViolation, Unavailable, ValidationFailed

SupportedPrivateKey: TypeAlias = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
SupportedPublicKey: TypeAlias = ec.EllipticCurvePublicKey | rsa.RSAPublicKey

SERIAL_BITS: Final = 128
# RFC 5280 4.1.2.2: serials and CRL numbers fit in 20 octets and are positive.
_MAX_DER_INTEGER: Final = 2**159 - 1
MIN_RSA_KEY_BITS: Final = 2048
ACCEPTED_EC_CURVES: Final = frozenset({ec.SECP256R1.name, ec.SECP384R1.name})
# ub-common-name in RFC 5280; cryptography refuses longer values anyway.
MAX_COMMON_NAME_LENGTH: Final = 64
MAX_SUBJECT_ALT_NAMES: Final = 100
# A PEM CSR for an RSA-8192 key is about 3 KiB; anything far beyond is not a CSR worth parsing.
MAX_CSR_PEM_BYTES: Final = 64 * 1024
# The most the PKCS#8 encryption in cryptography's OpenSSL backend accepts.
MAX_PASSPHRASE_BYTES: Final = 1023
ROOT_PATH_LENGTH: Final = 1
INTERMEDIATE_PATH_LENGTH: Final = 0

_RSA_PUBLIC_EXPONENT: Final = 65537
_HOSTNAME_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_URI_WITH_AUTHORITY = re.compile(r"[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)
_URN = re.compile(r"urn:[a-z0-9][a-z0-9-]{0,31}:\S+", re.IGNORECASE)
_EMAIL_LOCAL_PART = re.compile(r"[!#$%&'*+/=?^_`{|}~.a-z0-9-]+", re.IGNORECASE)


class KeyAlgorithm(StrEnum):
    """The key types Tessera generates for end-entity certificates."""

    EC_P256 = "ec-p256"
    RSA_2048 = "rsa-2048"
    RSA_3072 = "rsa-3072"


DEFAULT_KEY_ALGORITHM: Final = KeyAlgorithm.EC_P256


class RevocationReason(StrEnum):
    """The revocation reasons the API accepts, as RFC 5280 names them in snake case.

    ``remove_from_crl`` is absent on purpose: it only has meaning in delta CRLs, which we do not
    publish, and a revocation here is final.
    """

    UNSPECIFIED = "unspecified"
    KEY_COMPROMISE = "key_compromise"
    CA_COMPROMISE = "ca_compromise"
    AFFILIATION_CHANGED = "affiliation_changed"
    SUPERSEDED = "superseded"
    CESSATION_OF_OPERATION = "cessation_of_operation"
    CERTIFICATE_HOLD = "certificate_hold"
    PRIVILEGE_WITHDRAWN = "privilege_withdrawn"
    AA_COMPROMISE = "aa_compromise"

    @property
    def flag(self) -> x509.ReasonFlags:
        """The ``x509.ReasonFlags`` this reason is written as in a CRL."""
        return REVOCATION_REASON_FLAGS[self]


REVOCATION_REASON_FLAGS: Final[Mapping[RevocationReason, x509.ReasonFlags]] = {
    RevocationReason.UNSPECIFIED: x509.ReasonFlags.unspecified,
    RevocationReason.KEY_COMPROMISE: x509.ReasonFlags.key_compromise,
    RevocationReason.CA_COMPROMISE: x509.ReasonFlags.ca_compromise,
    RevocationReason.AFFILIATION_CHANGED: x509.ReasonFlags.affiliation_changed,
    RevocationReason.SUPERSEDED: x509.ReasonFlags.superseded,
    RevocationReason.CESSATION_OF_OPERATION: x509.ReasonFlags.cessation_of_operation,
    RevocationReason.CERTIFICATE_HOLD: x509.ReasonFlags.certificate_hold,
    RevocationReason.PRIVILEGE_WITHDRAWN: x509.ReasonFlags.privilege_withdrawn,
    RevocationReason.AA_COMPROMISE: x509.ReasonFlags.aa_compromise,
}


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


@dataclass(frozen=True, slots=True)
class RevokedEntry:
    """One revoked certificate as it appears in a CRL."""

    serial: int
    revoked_at: datetime
    reason: x509.ReasonFlags | None = None


# --- keys -------------------------------------------------------------------------------------


def generate_private_key(alg: KeyAlgorithm = DEFAULT_KEY_ALGORITHM) -> SupportedPrivateKey:
    """Generate a fresh end-entity private key of the given algorithm."""
    match alg:
        case KeyAlgorithm.EC_P256:
            return ec.generate_private_key(ec.SECP256R1())
        case KeyAlgorithm.RSA_2048:
            return rsa.generate_private_key(public_exponent=_RSA_PUBLIC_EXPONENT, key_size=2048)
        case KeyAlgorithm.RSA_3072:
            return rsa.generate_private_key(public_exponent=_RSA_PUBLIC_EXPONENT, key_size=3072)


def encrypt_private_key_pem(key: SupportedPrivateKey, passphrase: str | None) -> bytes:
    """Serialise a private key as PKCS#8 PEM, encrypted when a passphrase is given."""
    if passphrase is None:
        encryption: serialization.KeySerializationEncryption = serialization.NoEncryption()
    else:
        secret = _passphrase_bytes(passphrase)
        # BestAvailableEncryption is PBES2 (PBKDF2 + AES-256-CBC) today and follows the library
        # as it improves; `openssl pkey -passin` opens it.
        encryption = serialization.BestAvailableEncryption(secret)
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=encryption,
    )


def load_private_key_pem(pem: bytes, passphrase: str | None = None) -> SupportedPrivateKey:
    """Load a PEM private key written by ``encrypt_private_key_pem`` (or any EC/RSA PEM key)."""
    password = None if passphrase is None else _passphrase_bytes(passphrase)
    key = serialization.load_pem_private_key(pem, password=password)
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ValueError("Only EC and RSA private keys are supported.")
    return key


def _passphrase_bytes(passphrase: str) -> bytes:
    secret = passphrase.encode("utf-8")
    if not secret:
        # An empty passphrase would either fail deep in the library or, worse, be mistaken for
        # "no passphrase"; the caller asked for encryption, so say it cannot be empty.
        raise ValidationFailed.single("key_passphrase", "The key passphrase must not be empty.")
    if len(secret) > MAX_PASSPHRASE_BYTES:
        raise ValidationFailed.single(
            "key_passphrase",
            f"The key passphrase must be at most {MAX_PASSPHRASE_BYTES} bytes long.",
        )
    return secret


# --- certificate authorities ------------------------------------------------------------------


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


# --- certificate signing requests -------------------------------------------------------------


def load_csr(pem: bytes | str) -> x509.CertificateSigningRequest:
    """Parse a PEM certificate signing request, or raise ``invalid_csr``."""
    if isinstance(pem, str):
        try:
            pem = pem.encode("ascii")
        except UnicodeEncodeError:
            raise _invalid_csr() from None
    if len(pem) > MAX_CSR_PEM_BYTES:
        raise _invalid_csr()
    try:
        return x509.load_pem_x509_csr(pem)
    except ValueError:
        raise _invalid_csr() from None


def check_csr(csr: x509.CertificateSigningRequest) -> None:
    """Refuse a CSR that is forged, carries a weak key or asks to become a CA."""
    try:
        public_key = csr.public_key()
    except (ValueError, UnsupportedAlgorithm):
        # A key the library cannot even load (an unknown algorithm or curve) is not one we use.
        raise _weak_key() from None
    try:
        signature_valid = csr.is_signature_valid
    except (ValueError, UnsupportedAlgorithm):
        signature_valid = False
    # Checked before the key: a request whose signature fails proves nothing about who sent it,
    # so nothing else in it deserves an answer.
    if not signature_valid:
        raise RuleViolation(
            "The CSR signature does not verify against its public key; it was altered or "
            "signed with another key.",
            code="csr_signature_invalid",
        )
    require_supported_public_key(public_key)
    try:
        extensions = csr.extensions
    except ValueError:
        # Duplicate or malformed requested extensions.
        raise _invalid_csr() from None
    for extension in extensions:
        if isinstance(extension.value, x509.BasicConstraints) and extension.value.ca:
            raise RuleViolation(
                "The CSR asks for a CA certificate; only end-entity certificates are issued.",
                code="csr_requests_ca",
            )


def require_supported_public_key(public_key: CertificatePublicKeyTypes) -> SupportedPublicKey:
    """Return the key if Tessera certifies keys of its kind and size, else raise ``weak_key``."""
    if isinstance(public_key, rsa.RSAPublicKey):
        if public_key.key_size < MIN_RSA_KEY_BITS:
            raise RuleViolation(
                f"RSA keys must be at least {MIN_RSA_KEY_BITS} bits long.", code="weak_key"
            )
        return public_key
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        if public_key.curve.name not in ACCEPTED_EC_CURVES:
            raise RuleViolation(
                "Elliptic-curve keys must use the P-256 or P-384 curve.", code="weak_key"
            )
        return public_key
    raise _weak_key()


def _invalid_csr() -> RuleViolation:
    return RuleViolation(
        "The CSR is not a PEM-encoded certificate signing request.", code="invalid_csr"
    )


def _weak_key() -> RuleViolation:
    return RuleViolation(
        "The key type is not accepted; use EC P-256, EC P-384 or RSA of at least 2048 bits.",
        code="weak_key",
    )


# --- end-entity certificates ------------------------------------------------------------------


def issue_certificate(
    *,
    issuer: IssuedCA,
    public_key: CertificatePublicKeyTypes,
    common_name: str,
    subject_alt_names: list[str],
    not_before: datetime,
    validity_days: int,
    serial: int | None = None,
    organization: str | None = None,
    crl_url: str | None = None,
) -> x509.Certificate:
    """Sign an end-entity certificate for TLS clients and servers.

    ``not_after`` is ``not_before + validity_days`` clamped to the issuer's ``not_after``. When
    no subject alternative names are given and the common name looks like a hostname (two or
    more labels, such as ``client.example``), it becomes the single DNS SAN.
    """
    key = require_supported_public_key(public_key)
    subject = _subject_name(common_name, organization)
    general_names = certificate_names(common_name, subject_alt_names)
    start = _whole_seconds(not_before)
    end = _clamp_to_issuer(issuer, start, start + _validity(validity_days))
    if serial is None:
        serial = new_serial_number()
    elif not 0 < serial <= _MAX_DER_INTEGER:
        raise ValueError("A serial number must be positive and fit in 20 octets.")

    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject)
        .public_key(key)
        .serial_number(serial)
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_end_entity_key_usage(key), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key), critical=False)
        .add_extension(_authority_key_identifier(issuer), critical=False)
    )
    if general_names:
        builder = builder.add_extension(x509.SubjectAlternativeName(general_names), critical=False)
    if crl_url is not None:
        builder = builder.add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        full_name=[x509.UniformResourceIdentifier(crl_url)],
                        relative_name=None,
                        reasons=None,
                        crl_issuer=None,
                    )
                ]
            ),
            critical=False,
        )
    return _sign(builder, issuer.private_key)


def _end_entity_key_usage(key: SupportedPublicKey) -> x509.KeyUsage:
    # RSA TLS key exchange encrypts to the key; ECDH agrees with it. Both sign (TLS 1.3, mTLS).
    is_rsa = isinstance(key, rsa.RSAPublicKey)
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=is_rsa,
        data_encipherment=False,
        key_agreement=not is_rsa,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def certificate_names(common_name: str, subject_alt_names: Iterable[str]) -> list[x509.GeneralName]:
    """The SAN entries a certificate for this common name and these SANs carries.

    When no SAN is given and the common name looks like a hostname (two or more labels), it
    becomes the single DNS SAN.
    """
    general_names = parse_subject_alt_names(subject_alt_names)
    if not general_names and _looks_like_hostname(common_name.strip()):
        # TLS clients ignore the CN and match only SANs (RFC 6125, CA/B Forum), so a server
        # certificate without one would never match. Requiring two labels keeps a person's
        # name such as "alice" from turning into a DNS name.
        general_names = [x509.DNSName(common_name.strip().lower())]
    return general_names


def parse_subject_alt_names(names: Iterable[str]) -> list[x509.GeneralName]:
    """Turn API strings into SAN entries: IP, URI, email or DNS name, in that order of trial.

    An IP literal becomes an IP address; ``scheme://...`` or ``urn:...`` a URI; a value with
    ``@`` an email address; anything else must be a hostname (a leading ``*.`` wildcard label is
    allowed). DNS names are lower-cased and duplicates dropped. Only ASCII is accepted: write
    internationalised names in their ``xn--`` form, because guessing IDNA 2003 vs 2008 here
    could certify a different name than the one meant. ``host:port`` is refused rather than read
    as a URI with scheme ``host``.
    """
    result: list[x509.GeneralName] = []
    seen: set[x509.GeneralName] = set()
    for index, raw in enumerate(names):
        if index >= MAX_SUBJECT_ALT_NAMES:
            raise ValidationFailed.single(
                "subject_alt_names",
                f"At most {MAX_SUBJECT_ALT_NAMES} subject alternative names are allowed.",
            )
        general_name = parse_subject_alt_name(raw, index)
        if general_name not in seen:
            seen.add(general_name)
            result.append(general_name)
    return result


def parse_subject_alt_name(raw: str, index: int = 0) -> x509.GeneralName:
    """One API string as a SAN entry (see ``parse_subject_alt_names``); ``index`` names it in
    the error."""
    value = raw.strip()
    if not value:
        raise _bad_subject_alt_name(index, "is empty")
    if not value.isascii() or any(ch.isspace() or not ch.isprintable() for ch in value):
        raise _bad_subject_alt_name(
            index, "must be ASCII without spaces (write international names as xn--)"
        )
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        pass
    else:
        if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
            raise _bad_subject_alt_name(index, "is an IPv6 address with a zone, which X.509 lacks")
        return x509.IPAddress(address)
    if _URI_WITH_AUTHORITY.fullmatch(value) or _URN.fullmatch(value):
        return x509.UniformResourceIdentifier(value)
    if "@" in value:
        local, _, domain = value.rpartition("@")
        if not _EMAIL_LOCAL_PART.fullmatch(local) or not _is_hostname(domain):
            raise _bad_subject_alt_name(index, "is not a valid email address")
        return x509.RFC822Name(f"{local}@{domain.lower()}")
    if not _is_hostname(value, allow_wildcard=True):
        raise _bad_subject_alt_name(
            index, "is not a valid hostname, IP address, email address or URI"
        )
    return x509.DNSName(value.lower())


def _bad_subject_alt_name(index: int, problem: str) -> ValidationFailed:
    return ValidationFailed.single(
        "subject_alt_names", f"Subject alternative name #{index + 1} {problem}."
    )


def _is_hostname(value: str, *, allow_wildcard: bool = False) -> bool:
    if not value.isascii() or len(value) > 253:
        return False
    labels = value.lower().split(".")
    if allow_wildcard and len(labels) > 2 and labels[0] == "*":
        # A wildcard must stand alone as the leftmost label over at least two real labels.
        labels = labels[1:]
    if not all(_HOSTNAME_LABEL.fullmatch(label) for label in labels):
        return False
    # An all-numeric last label is a mistyped IP address (999.1.1.1), never a real TLD.
    return not labels[-1].isdigit()


def _looks_like_hostname(common_name: str) -> bool:
    return "." in common_name and _is_hostname(common_name, allow_wildcard=True)


# --- CRLs -------------------------------------------------------------------------------------


def build_crl(
    issuer: IssuedCA,
    revoked: Iterable[RevokedEntry],
    *,
    now: datetime,
    next_update_hours: int = 24,
    crl_number: int,
) -> x509.CertificateRevocationList:
    """Sign a full CRL listing the revoked certificates, with reasons, AKI and a CRL number."""
    if next_update_hours < 1:
        raise ValueError("next_update_hours must be at least 1.")
    if not 0 <= crl_number <= _MAX_DER_INTEGER:
        raise ValueError("The CRL number must be non-negative and fit in 20 octets.")
    this_update = _whole_seconds(now)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.subject)
        .last_update(this_update)
        .next_update(this_update + timedelta(hours=next_update_hours))
        .add_extension(_authority_key_identifier(issuer), critical=False)
        .add_extension(x509.CRLNumber(crl_number), critical=False)
    )
    # Sorted so the same state always produces the same list, which makes CRLs diffable.
    for entry in sorted(revoked, key=lambda e: e.serial):
        builder = builder.add_revoked_certificate(_revoked_certificate(entry))
    return builder.sign(issuer.private_key, _signature_hash(issuer.private_key))


def _revoked_certificate(entry: RevokedEntry) -> x509.RevokedCertificate:
    if entry.reason is x509.ReasonFlags.remove_from_crl:
        raise ValueError("remove_from_crl belongs to delta CRLs, which are not published.")
    builder = (
        x509.RevokedCertificateBuilder()
        .serial_number(entry.serial)
        .revocation_date(_whole_seconds(entry.revoked_at))
    )
    # RFC 5280 5.3.1: omit the reason code rather than write "unspecified".
    if entry.reason is not None and entry.reason is not x509.ReasonFlags.unspecified:
        builder = builder.add_extension(x509.CRLReason(entry.reason), critical=False)
    return builder.build()


def parse_revocation_reason(value: str) -> x509.ReasonFlags:
    """Map an API revocation reason to ``x509.ReasonFlags``, or raise a validation error."""
    try:
        return RevocationReason(value).flag
    except ValueError:
        allowed = ", ".join(reason.value for reason in RevocationReason)
        raise ValidationFailed.single(
            "revocation_reason", f"The revocation reason must be one of: {allowed}."
        ) from None


# --- encoding ---------------------------------------------------------------------------------


def fingerprint_sha256(cert: x509.Certificate) -> str:
    """The SHA-256 fingerprint of the certificate's DER, as lowercase hex without colons."""
    return cert.fingerprint(hashes.SHA256()).hex()


def serial_hex(serial: int) -> str:
    """A serial as lowercase hex padded to whole bytes, the way ``openssl`` prints it."""
    if serial < 0:
        raise ValueError("Serial numbers are never negative.")
    digits = format(serial, "x")
    return digits.zfill(len(digits) + len(digits) % 2)


def cert_to_pem(cert: x509.Certificate) -> str:
    """The certificate as PEM text."""
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def chain_pem(intermediate: x509.Certificate, root: x509.Certificate) -> str:
    """The issuing chain as PEM, intermediate first, the order TLS peers send it in."""
    return cert_to_pem(intermediate) + cert_to_pem(root)


def crl_to_pem(crl: x509.CertificateRevocationList) -> str:
    """The CRL as PEM text."""
    return crl.public_bytes(serialization.Encoding.PEM).decode("ascii")


def new_serial_number() -> int:
    """A random, positive, non-zero serial of at most 128 bits.

    ``x509.random_serial_number()`` gives 159 bits; 128 random bits are already far beyond the
    64 the CA/Browser Forum asks for, fit a UUID-sized database column and read better in hex.
    """
    while True:
        serial = secrets.randbits(SERIAL_BITS)
        if serial:
            return serial


# --- shared pieces ----------------------------------------------------------------------------


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


def _signature_hash(key: SupportedPrivateKey) -> hashes.SHA256 | hashes.SHA384:
    # Match the hash to the key's strength: SHA-384 for P-384 (and larger curves), else SHA-256.
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size >= 384:
        return hashes.SHA384()
    return hashes.SHA256()


def _sign(builder: x509.CertificateBuilder, key: SupportedPrivateKey) -> x509.Certificate:
    return builder.sign(key, _signature_hash(key))


def _spki_der(public_key: CertificatePublicKeyTypes) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
