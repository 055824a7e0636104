"""Revocation: the reasons the API accepts and the CRLs that list revoked certificates."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from cryptography import x509

from tessera.crypto.pki.authorities import IssuedCA, _authority_key_identifier, _whole_seconds
from tessera.crypto.pki.encoding import _MAX_DER_INTEGER
from tessera.crypto.pki.keys import _signature_hash
from tessera.errors import ValidationFailed


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
class RevokedEntry:
    """One revoked certificate as it appears in a CRL."""

    serial: int
    revoked_at: datetime
    reason: x509.ReasonFlags | None = None


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
