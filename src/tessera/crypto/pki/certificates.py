"""End-entity certificates: issuing them, and the names they may carry."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tessera.crypto.pki.authorities import (
    IssuedCA,
    _authority_key_identifier,
    _clamp_to_issuer,
    _sign,
    _subject_name,
    _validity,
    _whole_seconds,
)
from tessera.crypto.pki.encoding import _MAX_DER_INTEGER, new_serial_number
from tessera.crypto.pki.keys import SupportedPublicKey, require_supported_public_key
from tessera.errors import ValidationFailed

MAX_SUBJECT_ALT_NAMES: Final = 100
_HOSTNAME_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_URI_WITH_AUTHORITY = re.compile(r"[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)
_URN = re.compile(r"urn:[a-z0-9][a-z0-9-]{0,31}:\S+", re.IGNORECASE)
_EMAIL_LOCAL_PART = re.compile(r"[!#$%&'*+/=?^_`{|}~.a-z0-9-]+", re.IGNORECASE)


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


def common_name(cert: x509.Certificate) -> str:
    """The certificate subject's common name."""
    return str(cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)


def subject_alt_name_values(cert: x509.Certificate) -> list[str]:
    """The certificate's subject alternative names as text, in order; [] when it has none."""
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [str(name.value) for name in names]


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
