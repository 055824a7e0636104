"""Issuing and renewing the firms' certificates.

Issuance runs in two halves so that SQLite's single write lock is never held across key
generation (an RSA-3072 key takes about 100 ms). ``issue_certificate`` / ``renew_certificate``
check the request in a short unit of work of its own (``checks``, which the caller owns and
commits when the block ends; it also stores a firm's first intermediate), then generate the key
and sign holding no transaction, then ``record`` writes the row, its outbox event and its audit
entry in the caller's session. The router runs them inside the idempotency wrapper, which looks
the key up before any of this (a replay signs nothing) and stores it with the certificate, so a
key, its answer and the certificate commit together.

Ownership: a certificate belongs to a firm and, usually, to one user of that firm. Customers
own what they create and see only what they own; staff create for themselves or for a user
they name in their firm, and see the whole firm. Machine clients create firm-owned
certificates (no owner) unless they name one.

Names: a DNS name is certified to one firm at a time (``names``): checked before signing to
refuse early, and again in ``record`` under the name locks, where the names are stored. Each
firm's certificates, renewals included, are signed by that firm's own intermediate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from sqlalchemy.orm import Session

from tessera.audit import service as audit
from tessera.certificates import authority, names, repository, rules
from tessera.certificates.service import (
    CertificateRevoked,
    CertificateView,
    certificate_event_data,
    get_visible,
    view_of,
)
from tessera.crypto import pki
from tessera.db import SessionScope
from tessera.errors import Forbidden, NotFound
from tessera.events.service import record_event
from tessera.events.types import EventType
from tessera.firms import service as firms
from tessera.kit.ids import new_id
from tessera.kit.keyring import KeyRing
from tessera.models import Certificate, CertificateStatus, KeySource
from tessera.principal import Principal, Scope
from tessera.visibility import Visibility


@dataclass(frozen=True, slots=True)
class IssueRequest:
    """What the caller asked for: a CSR to sign, or a key to generate (``key_algorithm``)."""

    common_name: str
    subject_alt_names: Sequence[str] = ()
    validity_days: int = rules.DEFAULT_VALIDITY_DAYS
    owner_id: str | None = None
    csr_pem: str | None = None
    key_algorithm: pki.KeyAlgorithm | None = None
    key_passphrase: str | None = None
    labels: Mapping[str, str] | None = None
    notify_days_before_expiry: Sequence[int] | None = None


@dataclass(frozen=True, slots=True)
class SignedCertificate:
    """A certificate signed but not yet recorded: what the slow half of issuance produces."""

    firm_id: str
    owner_id: str | None
    issuer_id: str
    certificate: x509.Certificate
    key_algorithm: str
    key_source: KeySource
    public_key_pem: str
    private_key_pem: str | None
    validity_days: int
    labels: dict[str, str]
    notify_days_before_expiry: list[int]
    renewal_of_id: str | None = None
    dns_names: tuple[names.RequestedName, ...] = ()


# --- issuing ----------------------------------------------------------------------------------


def _owner_for_new(
    session: Session, principal: Principal, owner_id: str | None
) -> tuple[str, str | None]:
    """``(firm_id, owner_id)`` of a certificate the principal is creating."""
    if principal.is_customer:
        if owner_id is not None and owner_id != principal.id:
            raise Forbidden("Customers can create certificates only for themselves.")
        return principal.firm_id, principal.id
    if owner_id is None:
        return principal.firm_id, principal.id if principal.kind == "user" else None
    owner = repository.get_active_user(session, owner_id, visibility=principal.firm_visibility)
    if owner is None:
        raise NotFound("Owner not found.", details={"field": "owner_id"})
    return owner.firm_id, owner.id


@dataclass(frozen=True, slots=True)
class _Checked:
    """What the checks of a new certificate found: who it is for, its names and its issuer."""

    firm_id: str
    owner_id: str | None
    csr_key: CertificatePublicKeyTypes | None
    dns_names: tuple[names.RequestedName, ...]
    issuer_id: str
    issuer: pki.IssuedCA


def issue_certificate(
    checks: SessionScope,
    session: Session,
    keyring: KeyRing,
    *,
    principal: Principal,
    request: IssueRequest,
    now: datetime,
) -> CertificateView:
    """Issue a certificate: check in ``checks``, sign holding no transaction, record in
    ``session``. Refusals as ``sign_new``'s."""
    with checks() as reading:
        checked = _check_new(reading, keyring, principal=principal, request=request, now=now)
    return record(session, principal=principal, signed=_sign_new(checked, request, now), now=now)


def sign_new(
    session: Session,
    keyring: KeyRing,
    *,
    principal: Principal,
    request: IssueRequest,
    now: datetime,
) -> SignedCertificate:
    """Check the request, then generate the key if needed and sign (the first half of issuance).

    Refusals: 422 ``invalid_csr``, ``csr_signature_invalid``, ``weak_key``,
    ``csr_requests_ca``, ``ip_san_not_allowed``, and ``validation_error`` for a bad name or
    passphrase; 409 ``name_owned_by_another_firm``.
    """
    checked = _check_new(session, keyring, principal=principal, request=request, now=now)
    return _sign_new(checked, request, now)


def _check_new(
    session: Session,
    keyring: KeyRing,
    *,
    principal: Principal,
    request: IssueRequest,
    now: datetime,
) -> _Checked:
    principal.require(Scope.CERTIFICATES_WRITE)
    # Everything that can refuse the request cheaply runs before the expensive part.
    pki.parse_subject_alt_names(request.subject_alt_names)
    csr_key: CertificatePublicKeyTypes | None = None
    if request.csr_pem is not None:
        csr = pki.load_csr(request.csr_pem)
        pki.check_csr(csr)
        csr_key = csr.public_key()
    firm_id, owner_id = _owner_for_new(session, principal, request.owner_id)
    dns_names = _available_names(
        session, firm_id=firm_id, common_name=request.common_name,
        subject_alt_names=request.subject_alt_names, now=now,
    )  # fmt: skip
    issuer_row, issuer = authority.issuing_authority(session, keyring, firm_id=firm_id, now=now)
    return _Checked(firm_id, owner_id, csr_key, dns_names, issuer_row.id, issuer)


def _sign_new(checked: _Checked, request: IssueRequest, now: datetime) -> SignedCertificate:
    csr_key = checked.csr_key
    private_key: pki.SupportedPrivateKey | None = None
    if csr_key is None:
        private_key = pki.generate_private_key(request.key_algorithm or pki.DEFAULT_KEY_ALGORITHM)
        public_key: CertificatePublicKeyTypes = private_key.public_key()
    else:
        public_key = csr_key
    certificate = pki.issue_certificate(
        issuer=checked.issuer,
        public_key=public_key,
        common_name=request.common_name,
        subject_alt_names=list(request.subject_alt_names),
        not_before=now,
        validity_days=request.validity_days,
    )
    private_key_pem = (
        None
        if private_key is None
        else pki.encrypt_private_key_pem(private_key, request.key_passphrase).decode("ascii")
    )
    return SignedCertificate(
        firm_id=checked.firm_id,
        owner_id=checked.owner_id,
        issuer_id=checked.issuer_id,
        certificate=certificate,
        key_algorithm=pki.key_algorithm_name(public_key),
        key_source=KeySource.CSR if csr_key is not None else KeySource.GENERATED,
        public_key_pem=pki.public_key_pem(public_key),
        private_key_pem=private_key_pem,
        validity_days=request.validity_days,
        labels=dict(request.labels or {}),
        notify_days_before_expiry=rules.normalise_thresholds(
            rules.DEFAULT_NOTIFY_DAYS
            if request.notify_days_before_expiry is None
            else request.notify_days_before_expiry
        ),
        dns_names=checked.dns_names,
    )


def _available_names(
    session: Session,
    *,
    firm_id: str,
    common_name: str,
    subject_alt_names: Sequence[str],
    now: datetime,
) -> tuple[names.RequestedName, ...]:
    """The DNS names a certificate would carry, refused early when the firm may not have them."""
    firm = firms.get_firm(session, firm_id)
    found = names.requested_names(common_name, subject_alt_names, allow_ip_sans=firm.allow_ip_sans)
    names.check_available(session, firm_id=firm_id, names=found, now=now)
    return found


@dataclass(frozen=True, slots=True)
class _CheckedRenewal:
    """The certificate to renew, its names checked again, and the issuer of the renewal."""

    old: Certificate
    public_key: pki.SupportedPublicKey
    dns_names: tuple[names.RequestedName, ...]
    issuer_id: str
    issuer: pki.IssuedCA


def renew_certificate(
    checks: SessionScope,
    session: Session,
    keyring: KeyRing,
    *,
    principal: Principal,
    certificate_id: str,
    validity_days: int | None,
    now: datetime,
) -> CertificateView:
    """Renew a certificate: check in ``checks``, sign holding no transaction, record in
    ``session``. What renewal means and its refusals: ``sign_renewal``."""
    with checks() as reading:
        checked = _check_renewal(
            reading, keyring, principal=principal, certificate_id=certificate_id, now=now
        )
    signed = _sign_renewal(checked, validity_days, now)
    return record(session, principal=principal, signed=signed, now=now)


def sign_renewal(
    session: Session,
    keyring: KeyRing,
    *,
    principal: Principal,
    certificate_id: str,
    validity_days: int | None,
    now: datetime,
) -> SignedCertificate:
    """Certify the same public key again, for the same subject, names, owner and settings.

    The key stays the owner's: a generated key was handed out once and is not kept, so renewal
    cannot make a new one without changing what the owner holds. To change keys, create a new
    certificate (from a CSR or a generated key) and revoke this one as ``superseded``. A revoked
    certificate is not renewed (409 ``certificate_revoked``); the old certificate is left as it
    is and stays valid until it expires or is revoked.

    The renewal is signed by the firm's own active intermediate, and its names are checked like
    a new certificate's: one another firm came to hold meanwhile (after this certificate
    expired) is a 409, and an IP SAN the firm no longer allows a 422.
    """
    checked = _check_renewal(
        session, keyring, principal=principal, certificate_id=certificate_id, now=now
    )
    return _sign_renewal(checked, validity_days, now)


def _check_renewal(
    session: Session,
    keyring: KeyRing,
    *,
    principal: Principal,
    certificate_id: str,
    now: datetime,
) -> _CheckedRenewal:
    principal.require(Scope.CERTIFICATES_WRITE)
    old = get_visible(session, principal, certificate_id)
    if old.status == CertificateStatus.REVOKED.value:
        raise CertificateRevoked()
    public_key = pki.load_public_key_pem(old.public_key_pem)
    dns_names = _available_names(
        session, firm_id=old.firm_id, common_name=old.common_name,
        subject_alt_names=list(old.subject_alt_names), now=now,
    )  # fmt: skip
    issuer_row, issuer = authority.issuing_authority(session, keyring, firm_id=old.firm_id, now=now)
    return _CheckedRenewal(old, public_key, dns_names, issuer_row.id, issuer)


def _sign_renewal(
    checked: _CheckedRenewal, validity_days: int | None, now: datetime
) -> SignedCertificate:
    old = checked.old
    days = validity_days or old.validity_days
    certificate = pki.issue_certificate(
        issuer=checked.issuer,
        public_key=checked.public_key,
        common_name=old.common_name,
        subject_alt_names=list(old.subject_alt_names),
        not_before=now,
        validity_days=days,
    )
    return SignedCertificate(
        firm_id=old.firm_id,
        owner_id=old.owner_id,
        issuer_id=checked.issuer_id,
        certificate=certificate,
        key_algorithm=old.key_algorithm,
        key_source=KeySource(old.key_source),
        public_key_pem=old.public_key_pem,
        private_key_pem=None,
        validity_days=days,
        labels=dict(old.labels),
        notify_days_before_expiry=list(old.notify_days_before_expiry),
        renewal_of_id=old.id,
        dns_names=checked.dns_names,
    )


def record(
    session: Session, *, principal: Principal, signed: SignedCertificate, now: datetime
) -> CertificateView:
    """Store a signed certificate with its ``certificate.issued`` event and audit entry."""
    # What was read before the slow half may have changed while no lock was held.
    if (
        signed.owner_id is not None
        and repository.get_active_user(
            session, signed.owner_id, visibility=Visibility.firm(signed.firm_id)
        )
        is None
    ):
        raise NotFound("Owner not found.", details={"field": "owner_id"})
    if signed.renewal_of_id is not None:
        renewed = repository.lock(session, signed.renewal_of_id)
        if renewed.status == CertificateStatus.REVOKED.value:
            raise CertificateRevoked()
    # Another firm may have been certified for a name since the early check: this one holds.
    names.reserve(session, firm_id=signed.firm_id, names=signed.dns_names, now=now)
    certificate = signed.certificate
    not_after = certificate.not_valid_after_utc
    plan = rules.schedule(
        not_after=not_after,
        thresholds=signed.notify_days_before_expiry,
        notified_days=None,
        now=now,
    )
    row = repository.add(
        session,
        Certificate(
            id=new_id("crt"),
            firm_id=signed.firm_id,
            owner_id=signed.owner_id,
            issuer_id=signed.issuer_id,
            renewal_of_id=signed.renewal_of_id,
            serial_number=pki.serial_hex(certificate.serial_number),
            common_name=pki.common_name(certificate),
            subject_alt_names=pki.subject_alt_name_values(certificate),
            key_algorithm=signed.key_algorithm,
            key_source=signed.key_source.value,
            public_key_pem=signed.public_key_pem,
            validity_days=signed.validity_days,
            not_before=certificate.not_valid_before_utc,
            not_after=not_after,
            status=CertificateStatus.ACTIVE.value,
            fingerprint_sha256=pki.fingerprint_sha256(certificate),
            certificate_pem=pki.cert_to_pem(certificate),
            labels=signed.labels,
            notify_days_before_expiry=signed.notify_days_before_expiry,
            expiry_notified_days=plan.notified_days,
            next_expiry_notice_at=plan.next_notice_at,
            created_at=now,
            updated_at=now,
        ),
    )
    session.flush()
    names.record_names(session, certificate_id=row.id, firm_id=row.firm_id, names=signed.dns_names)
    session.flush()
    record_event(
        session,
        firm_id=row.firm_id,
        type=EventType.CERTIFICATE_ISSUED,
        data=certificate_event_data(row),
        now=now,
    )
    audit.record(
        session,
        firm_id=row.firm_id,
        actor=principal,
        action="certificate.renewed" if row.renewal_of_id else "certificate.issued",
        target_type="certificate",
        target_id=row.id,
        data={
            "serial_number": row.serial_number,
            "key_source": row.key_source,
            "renewal_of": row.renewal_of_id,
        },
        now=now,
    )
    return view_of(session, row, signed.private_key_pem)
