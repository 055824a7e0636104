"""Reading, updating and announcing the expiry of the firms' certificates.

Issuing and renewing them: ``tessera.certificates.issuance``.

Ownership: a certificate belongs to a firm and, usually, to one user of that firm. Customers
own what they create and see only what they own; staff create for themselves or for a user
they name in their firm, and see the whole firm. Machine clients create firm-owned
certificates (no owner) unless they name one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tessera.audit import service as audit
from tessera.certificates import authority, repository, rules
from tessera.crypto import pki
from tessera.errors import Conflict, InvalidStatusTransition, NotFound, ValidationFailed
from tessera.events.service import record_event
from tessera.events.types import EventType
from tessera.kit.keyring import KeyRing
from tessera.kit.pagination import Page, PageParams
from tessera.models import Certificate, CertificateStatus
from tessera.principal import Principal, Scope

EXPIRY_SCAN_BATCH = 200


class CertificateRevoked(Conflict):
    default_code = "certificate_revoked"
    default_message = "The certificate is revoked; issue a new one instead of renewing it."


@dataclass(frozen=True, slots=True)
class CertificateView:
    """A certificate with its issuing chain, and the private key on the one answer that has it."""

    certificate: Certificate
    chain_pem: str
    private_key_pem: str | None = None


# --- public representation --------------------------------------------------------------------


def certificate_event_data(row: Certificate) -> dict[str, Any]:
    """The public view of a certificate, as events carry it (never a private key)."""
    return {
        "id": row.id,
        "owner_id": row.owner_id,
        "serial_number": row.serial_number,
        "common_name": row.common_name,
        "subject_alt_names": list(row.subject_alt_names),
        "not_before": row.not_before,
        "not_after": row.not_after,
        "status": row.status,
        "fingerprint_sha256": row.fingerprint_sha256,
        "key_algorithm": row.key_algorithm,
        "revocation_reason": row.revocation_reason,
        "revoked_at": row.revoked_at,
        "labels": dict(row.labels),
        "renewal_of": row.renewal_of_id,
        "created_at": row.created_at,
        "certificate_pem": row.certificate_pem,
    }


def view_of(
    session: Session, row: Certificate, private_key_pem: str | None = None
) -> CertificateView:
    """A certificate with its issuing chain (and the private key, on the answer that has it)."""
    return CertificateView(
        certificate=row,
        chain_pem=authority.chain_pem(session, row.issuer_id),
        private_key_pem=private_key_pem,
    )


# --- reading ----------------------------------------------------------------------------------


def get_visible(session: Session, principal: Principal, certificate_id: str) -> Certificate:
    row = repository.get(
        session,
        certificate_id,
        visibility=principal.firm_visibility,
        owner_id=principal.id if principal.is_customer else None,
    )
    if row is None:
        raise NotFound("Certificate not found.")
    return row


def get_certificate(
    session: Session, *, principal: Principal, certificate_id: str
) -> CertificateView:
    """One certificate the caller may see; 404 otherwise. No cryptography, no CA key."""
    principal.require(Scope.CERTIFICATES_READ)
    return view_of(session, get_visible(session, principal, certificate_id))


def list_certificates(
    session: Session,
    *,
    principal: Principal,
    owner_id: str | None,
    status: CertificateStatus | None,
    page: PageParams,
) -> Page[CertificateView]:
    """The certificates the caller may see, newest first, filtered by owner and status."""
    principal.require(Scope.CERTIFICATES_READ)
    if principal.is_customer:
        if owner_id is not None and owner_id != principal.id:
            return Page(items=[], total=0, limit=page.limit, offset=page.offset)
        owner_id = principal.id
    rows, total = repository.page(
        session,
        visibility=principal.firm_visibility,
        owner_id=owner_id,
        status=status,
        limit=page.limit,
        offset=page.offset,
    )
    return Page(
        items=[view_of(session, row) for row in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


# --- updating ---------------------------------------------------------------------------------


def _revocation_reason(requested: pki.RevocationReason | None) -> pki.RevocationReason:
    reason = requested or pki.RevocationReason.UNSPECIFIED
    if reason is pki.RevocationReason.CERTIFICATE_HOLD:
        # RFC 5280's hold is the one reversible revocation; here revocation is final and the
        # reversible state is `inactive`, so a "hold" that could never be lifted is refused.
        raise ValidationFailed.single(
            "revocation_reason",
            "certificate_hold is temporary by definition; set status to inactive to suspend a "
            "certificate instead.",
        )
    return reason


def update_certificate(
    session: Session,
    keyring: KeyRing,
    *,
    principal: Principal,
    certificate_id: str,
    status: CertificateStatus | None = None,
    revocation_reason: pki.RevocationReason | None = None,
    labels: Mapping[str, str] | None = None,
    notify_days_before_expiry: Sequence[int] | None = None,
    now: datetime,
) -> CertificateView:
    """Activate, deactivate or revoke a certificate, and/or set its labels and notice thresholds.

    ``active`` <-> ``inactive`` is reversible; ``revoked`` is final (409
    ``invalid_status_transition`` for any way back) and re-signs the issuer's CRL in the same
    transaction, so the CRL served after the answer lists the serial. Each status change writes
    its ``certificate.*`` event in that transaction too.
    """
    principal.require(Scope.CERTIFICATES_WRITE)
    visible = get_visible(session, principal, certificate_id)
    row = repository.lock(session, visible.id)
    current = CertificateStatus(row.status)
    changed_to: CertificateStatus | None = None
    if status is not None:
        if (
            status is CertificateStatus.REVOKED
            and current is CertificateStatus.REVOKED
            and revocation_reason is not None
            and revocation_reason.value != row.revocation_reason
        ):
            error = InvalidStatusTransition(current=current.value, requested=status.value)
            error.message = "The certificate is already revoked; its reason cannot change."
            raise error
        reason = (
            _revocation_reason(revocation_reason) if status is CertificateStatus.REVOKED else None
        )
        if rules.status_changes(current, status):
            changed_to = status
            row.status = status.value
            if reason is not None:
                row.revoked_at = now
                row.revocation_reason = reason.value
    if labels is not None:
        row.labels = dict(labels)
    if notify_days_before_expiry is not None:
        thresholds = rules.normalise_thresholds(notify_days_before_expiry)
        plan = rules.schedule(
            not_after=row.not_after,
            thresholds=thresholds,
            notified_days=row.expiry_notified_days,
            now=now,
        )
        row.notify_days_before_expiry = thresholds
        row.expiry_notified_days = plan.notified_days
        row.next_expiry_notice_at = plan.next_notice_at
    if row.status == CertificateStatus.REVOKED.value:
        row.next_expiry_notice_at = None
    row.updated_at = now
    session.flush()

    if changed_to is CertificateStatus.REVOKED:
        authority.publish_crl(session, keyring, authority_id=row.issuer_id, now=now)
    if changed_to is not None:
        record_event(
            session,
            firm_id=row.firm_id,
            type=rules.STATUS_EVENTS[changed_to],
            data=certificate_event_data(row),
            now=now,
        )
    audit.record(
        session,
        firm_id=row.firm_id,
        actor=principal,
        action="certificate.revoked"
        if changed_to is CertificateStatus.REVOKED
        else "certificate.updated",
        target_type="certificate",
        target_id=row.id,
        data={
            "status": row.status,
            "previous_status": current.value,
            "revocation_reason": row.revocation_reason,
            "labels_changed": labels is not None,
            "notify_days_before_expiry": row.notify_days_before_expiry,
        },
        now=now,
    )
    return view_of(session, row)


def revoke_for_departed_owner(
    session: Session, keyring: KeyRing, *, owner_id: str, actor: Principal, now: datetime
) -> int:
    """Revoke every live certificate of a user being deleted (``cessation_of_operation``).

    A deleted customer can no longer answer for a key; relying parties learn it from the CRL,
    which is re-signed once per issuer. Returns how many were revoked.
    """
    rows = repository.lock_unrevoked_for_owner(session, owner_id)
    reason = pki.RevocationReason.CESSATION_OF_OPERATION
    for row in rows:
        row.status = CertificateStatus.REVOKED.value
        row.revoked_at = now
        row.revocation_reason = reason.value
        row.next_expiry_notice_at = None
        row.updated_at = now
    session.flush()
    for issuer_id in sorted({row.issuer_id for row in rows}):
        authority.publish_crl(session, keyring, authority_id=issuer_id, now=now)
    for row in rows:
        record_event(
            session,
            firm_id=row.firm_id,
            type=rules.STATUS_EVENTS[CertificateStatus.REVOKED],
            data=certificate_event_data(row),
            now=now,
        )
        audit.record(
            session,
            firm_id=row.firm_id,
            actor=actor,
            action="certificate.revoked",
            target_type="certificate",
            target_id=row.id,
            data={"status": row.status, "revocation_reason": reason.value, "owner_deleted": True},
            now=now,
        )
    return len(rows)


# --- expiry notices ---------------------------------------------------------------------------


def announce_expiring(session: Session, *, now: datetime, limit: int = EXPIRY_SCAN_BATCH) -> int:
    """Send ``certificate.expiring`` for each due threshold of a batch of active certificates.

    Rows are claimed with ``FOR UPDATE SKIP LOCKED`` and their schedule moves forward in the
    same transaction as the event, so however many workers scan, a threshold is announced once.
    Returns how many certificates were looked at (the worker runs again at once while > 0).
    """
    rows = repository.claim_due_expiry_notices(session, now=now, limit=limit)
    for row in rows:
        thresholds = list(row.notify_days_before_expiry)
        threshold = rules.due_notice(
            not_after=row.not_after,
            thresholds=thresholds,
            notified_days=row.expiry_notified_days,
            now=now,
        )
        if threshold is not None:
            row.expiry_notified_days = threshold
            record_event(
                session,
                firm_id=row.firm_id,
                type=EventType.CERTIFICATE_EXPIRING,
                data={
                    **certificate_event_data(row),
                    "threshold_days": threshold,
                    "expires_in_days": rules.whole_days_left(row.not_after, now),
                },
                now=now,
            )
        row.next_expiry_notice_at = (
            None
            if row.not_after <= now
            else rules.next_notice_at(row.not_after, thresholds, row.expiry_notified_days)
        )
        row.updated_at = now
    session.flush()
    return len(rows)
