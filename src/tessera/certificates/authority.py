"""The deployment's certificate authority: creation, rotation, the public chain and the CRLs.

One hierarchy per deployment: a root (EC P-384, ten years) that signs only intermediates, and
one issuing intermediate per firm (EC P-384, five years) that signs that firm's certificates
only, so that a relying party can trust one firm (by pinning its intermediate) without trusting
every firm. Private keys are sealed by the vault's key ring (AES-256-GCM under a data key
wrapped by the master key, with the CA's id as associated data) and opened only to sign: never
written in the clear.

Creation is idempotent and safe when several processes start at once: the root is generation 1
of kind ``root`` and ``(kind, generation)`` is unique, so a second process that raced the first
fails on the index inside a savepoint, rolls back to it and reads the winner's rows. The service
creates the root and the default firm's intermediate on start; any other firm's intermediate is
created on its first issuance, under the root's row lock, which rotations take too, so that a
firm never gets two.

Rotation adds an intermediate for a firm and retires its old one. A retired intermediate issues
nothing new but keeps its key and keeps signing the CRL of the certificates it issued until it
expires, so those certificates stay verifiable and revocable. ``ca.pem`` therefore lists every
live intermediate (newest first) and the root, ``crl.pem`` one CRL per live intermediate, and
``firm_ca_pem`` a firm's own live intermediates: what to pin to trust that firm alone.

Signing keys, once opened, are kept in memory per key ring, and each certificate's chain per
issuer: CA rows never change once written, so neither cache can go stale.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final
from weakref import WeakKeyDictionary

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tessera.audit import service as audit
from tessera.certificates import repository
from tessera.crypto import pki
from tessera.crypto.vault import Sealed, VaultError
from tessera.errors import NotFound, Unavailable
from tessera.firms import repository as firms
from tessera.kit.ids import new_id
from tessera.kit.keyring import KeyRing
from tessera.models import (
    DEFAULT_FIRM_ID,
    AuthorityKind,
    AuthorityStatus,
    CertificateAuthority,
    Firm,
)

ORGANIZATION: Final = "Tessera"
ROOT_VALIDITY_DAYS: Final = 3650
INTERMEDIATE_VALIDITY_DAYS: Final = 1825
CRL_VALIDITY_HOURS: Final = 24
# A CRL is re-signed once less than this is left before its nextUpdate.
CRL_REFRESH_MARGIN: Final = timedelta(hours=12)

_issuers: WeakKeyDictionary[KeyRing, dict[str, pki.IssuedCA]] = WeakKeyDictionary()
_chains: dict[str, str] = {}
_cache_lock = threading.Lock()


class PkiNotInitialised(Unavailable):
    default_code = "pki_not_initialised"
    default_message = (
        "The certificate authority has not been created yet; it is created when the service "
        "starts, or with `tessera pki init`."
    )


class CaKeyUnavailable(Unavailable):
    default_code = "ca_key_unavailable"
    default_message = (
        "The certificate authority's key cannot be opened with this deployment's master key."
    )


@dataclass(frozen=True, slots=True)
class AuthorityState:
    """The root and the default firm's issuing intermediate, and whether this call created them."""

    root: CertificateAuthority
    intermediate: CertificateAuthority
    created: bool


def _key_aad(authority_id: str) -> bytes:
    # Binds the sealed key to its CA row: a key copied onto another row does not open.
    return b"tessera/pki/ca-private-key/" + authority_id.encode()


def _common_name(kind: str, generation: int) -> str:
    # A random tag keeps the names of two deployments (staging, production) apart in tools that
    # show names; chains are built on the key identifiers, not on these names.
    tag = secrets.token_hex(3).upper()
    if kind == AuthorityKind.ROOT.value:
        return f"Tessera Root CA {tag}"
    return f"Tessera Issuing CA G{generation} {tag}"


def _store(
    session: Session,
    keyring: KeyRing,
    *,
    ca: pki.IssuedCA,
    common_name: str,
    kind: AuthorityKind,
    generation: int,
    parent_id: str | None,
    firm_id: str | None,
    now: datetime,
) -> CertificateAuthority:
    authority_id = new_id("ca")
    key_pem = pki.encrypt_private_key_pem(ca.private_key, None)
    sealed = keyring.seal(session, key_pem, aad=_key_aad(authority_id))
    row = repository.add_authority(
        session,
        CertificateAuthority(
            id=authority_id,
            kind=kind.value,
            generation=generation,
            status=AuthorityStatus.ACTIVE.value,
            parent_id=parent_id,
            firm_id=firm_id,
            common_name=common_name,
            serial_number=pki.serial_hex(ca.certificate.serial_number),
            fingerprint_sha256=pki.fingerprint_sha256(ca.certificate),
            certificate_pem=pki.cert_to_pem(ca.certificate),
            sealed_private_key=sealed.to_bytes(),
            not_before=ca.certificate.not_valid_before_utc,
            not_after=ca.certificate.not_valid_after_utc,
            crl_number=0,
            created_at=now,
        ),
    )
    session.flush()
    _remember_issuer(keyring, authority_id, ca)
    return row


def _create_intermediate(
    session: Session,
    keyring: KeyRing,
    *,
    root: CertificateAuthority,
    firm: Firm,
    validity_days: int,
    now: datetime,
) -> CertificateAuthority:
    generation = repository.max_intermediate_generation(session) + 1
    root_ca = signing_authority(session, keyring, root.id)
    common_name = _common_name(AuthorityKind.INTERMEDIATE.value, generation)
    ca = pki.create_intermediate_ca(
        root_ca,
        common_name,
        now=now,
        validity_days=validity_days,
        organization=ORGANIZATION,
        # Names the firm in the subject, so that people and tools tell the firms' CAs apart.
        organizational_unit=firm.slug,
    )
    row = _store(
        session,
        keyring,
        ca=ca,
        common_name=common_name,
        kind=AuthorityKind.INTERMEDIATE,
        generation=generation,
        parent_id=root.id,
        firm_id=firm.id,
        now=now,
    )
    publish_crl(session, keyring, authority_id=row.id, now=now)
    return row


def _firm(session: Session, firm_id: str) -> Firm:
    firm = firms.get(session, firm_id)
    if firm is None:  # pragma: no cover - callers name the firm of a row they hold
        raise NotFound("Firm not found.")
    return firm


def ensure_authority(session: Session, keyring: KeyRing, *, now: datetime) -> AuthorityState:
    """The root and the default firm's intermediate, created on first use (safe to run
    concurrently)."""
    root = repository.get_root(session)
    intermediate = repository.get_active_intermediate(session, firm_id=DEFAULT_FIRM_ID)
    if root is not None and intermediate is not None:
        return AuthorityState(root=root, intermediate=intermediate, created=False)
    try:
        with session.begin_nested():
            if root is None:
                root_name = _common_name(AuthorityKind.ROOT.value, 1)
                root_ca = pki.create_root_ca(
                    root_name,
                    now=now,
                    validity_days=ROOT_VALIDITY_DAYS,
                    organization=ORGANIZATION,
                )
                root = _store(
                    session,
                    keyring,
                    ca=root_ca,
                    common_name=root_name,
                    kind=AuthorityKind.ROOT,
                    generation=1,
                    parent_id=None,
                    firm_id=None,
                    now=now,
                )
            intermediate = _create_intermediate(
                session,
                keyring,
                root=root,
                firm=_firm(session, DEFAULT_FIRM_ID),
                validity_days=INTERMEDIATE_VALIDITY_DAYS,
                now=now,
            )
    except IntegrityError:
        # Another process created the hierarchy between our read and our insert.
        root = repository.get_root(session)
        intermediate = repository.get_active_intermediate(session, firm_id=DEFAULT_FIRM_ID)
        if root is None or intermediate is None:
            raise
        return AuthorityState(root=root, intermediate=intermediate, created=False)
    audit.record(
        session,
        firm_id=DEFAULT_FIRM_ID,
        actor=audit.SYSTEM,
        action="pki.initialised",
        target_type="certificate_authority",
        target_id=intermediate.id,
        data={"root_id": root.id, "intermediate_id": intermediate.id},
        now=now,
    )
    return AuthorityState(root=root, intermediate=intermediate, created=True)


@dataclass(frozen=True, slots=True)
class Rotation:
    """The intermediate a rotation created and the one it retired."""

    new: CertificateAuthority
    retired: CertificateAuthority | None


def rotate_intermediate(
    session: Session,
    keyring: KeyRing,
    *,
    firm_id: str,
    now: datetime,
    validity_days: int = INTERMEDIATE_VALIDITY_DAYS,
    actor: audit.Actor = audit.CLI,
) -> Rotation:
    """Create a new issuing intermediate for a firm and retire its current one (which keeps its
    CRL)."""
    root = repository.lock_root(session)
    if root is None:
        raise PkiNotInitialised()
    old = repository.get_active_intermediate(session, firm_id=firm_id)
    new = _create_intermediate(
        session,
        keyring,
        root=root,
        firm=_firm(session, firm_id),
        validity_days=validity_days,
        now=now,
    )
    if old is not None:
        old.status = AuthorityStatus.RETIRED.value
        old.retired_at = now
    session.flush()
    audit.record(
        session,
        firm_id=firm_id,
        actor=actor,
        action="pki.intermediate_rotated",
        target_type="certificate_authority",
        target_id=new.id,
        data={"retired_id": old.id if old else None},
        now=now,
    )
    return Rotation(new=new, retired=old)


# --- signing keys -----------------------------------------------------------------------------


def _remember_issuer(keyring: KeyRing, authority_id: str, ca: pki.IssuedCA) -> None:
    with _cache_lock:
        _issuers.setdefault(keyring, {})[authority_id] = ca


def signing_authority(session: Session, keyring: KeyRing, authority_id: str) -> pki.IssuedCA:
    """A CA's certificate and private key, ready to sign (opened once per process)."""
    cached = _issuers.get(keyring, {}).get(authority_id)
    if cached is not None:
        return cached
    row = repository.get_authority(session, authority_id)
    sealed = repository.sealed_private_key(session, authority_id)
    if row is None or sealed is None:
        raise PkiNotInitialised()
    try:
        key_pem = keyring.open(session, Sealed.from_bytes(sealed), aad=_key_aad(authority_id))
    except VaultError as exc:
        # A deployment started with the wrong TESSERA_MASTER_KEY: nothing can be signed.
        raise CaKeyUnavailable() from exc
    ca = pki.load_issued_ca(row.certificate_pem.encode("ascii"), key_pem)
    _remember_issuer(keyring, authority_id, ca)
    return ca


def issuing_authority(
    session: Session, keyring: KeyRing, *, firm_id: str, now: datetime
) -> tuple[CertificateAuthority, pki.IssuedCA]:
    """The firm's active intermediate and its signing key, made on the firm's first issuance;
    503 before the root exists."""
    row = repository.get_active_intermediate(session, firm_id=firm_id)
    if row is None:
        row = _first_intermediate(session, keyring, firm_id=firm_id, now=now)
    return row, signing_authority(session, keyring, row.id)


def _first_intermediate(
    session: Session, keyring: KeyRing, *, firm_id: str, now: datetime
) -> CertificateAuthority:
    # The root's row lock makes this check-then-create safe: every creation and rotation of an
    # intermediate takes it, so two first issuances of one firm cannot both create one.
    root = repository.lock_root(session)
    if root is None:
        raise PkiNotInitialised()
    existing = repository.get_active_intermediate(session, firm_id=firm_id)
    if existing is not None:
        return existing
    row = _create_intermediate(
        session,
        keyring,
        root=root,
        firm=_firm(session, firm_id),
        validity_days=INTERMEDIATE_VALIDITY_DAYS,
        now=now,
    )
    audit.record(
        session,
        firm_id=firm_id,
        actor=audit.SYSTEM,
        action="pki.firm_intermediate_created",
        target_type="certificate_authority",
        target_id=row.id,
        data={"root_id": root.id},
        now=now,
    )
    return row


# --- public documents -------------------------------------------------------------------------


def chain_pem(session: Session, issuer_id: str) -> str:
    """The chain of certificates issued by ``issuer_id``: that intermediate, then the root."""
    cached = _chains.get(issuer_id)
    if cached is not None:
        return cached
    issuer = repository.get_authority(session, issuer_id)
    if issuer is None:  # pragma: no cover - certificates reference their issuer by foreign key
        raise PkiNotInitialised()
    chain = issuer.certificate_pem
    if issuer.parent_id is not None:
        chain += repository.certificate_pems(session, [issuer.parent_id])[issuer.parent_id]
    with _cache_lock:
        _chains[issuer_id] = chain
    return chain


def ca_bundle_pem(session: Session, *, now: datetime) -> str:
    """Every live intermediate (newest first) and the root: what ``openssl verify -CAfile``
    needs to verify any certificate that is still valid."""
    root = repository.get_root(session)
    if root is None:
        raise PkiNotInitialised()
    return "".join(ca.certificate_pem for ca in repository.live_intermediates(session, now=now)) + (
        root.certificate_pem
    )


def firm_ca_pem(session: Session, *, firm_id: str, now: datetime) -> str:
    """The firm's own live intermediates, newest first, without the root: the trust anchors that
    accept this firm's certificates and no other firm's (``openssl verify -partial_chain``)."""
    intermediates = repository.live_intermediates_of_firm(session, firm_id=firm_id, now=now)
    if not intermediates:
        raise NotFound("This firm has no issuing certificate authority yet.")
    return "".join(ca.certificate_pem for ca in intermediates)


def crl_bundle_pem(session: Session, *, now: datetime) -> str:
    """The current CRL of every live intermediate, the active one first."""
    crls = [ca.crl_pem for ca in repository.live_intermediates(session, now=now) if ca.crl_pem]
    if not crls:
        raise PkiNotInitialised()
    return "".join(crls)


def list_authorities(session: Session) -> list[CertificateAuthority]:
    """Every CA of the deployment, the root first."""
    return repository.list_authorities(session)


# --- CRLs -------------------------------------------------------------------------------------


def publish_crl(
    session: Session, keyring: KeyRing, *, authority_id: str, now: datetime
) -> CertificateAuthority:
    """Sign and store a new CRL for one intermediate, listing its revoked certificates.

    The CA row is locked first, so CRL numbers only grow and a CRL signed after a revocation
    committed always lists it (on PostgreSQL the list is read after the lock is granted).
    """
    row = repository.lock_authority(session, authority_id)
    if row is None:  # pragma: no cover - callers pass ids they just read
        raise PkiNotInitialised()
    issuer = signing_authority(session, keyring, authority_id)
    entries = [
        pki.RevokedEntry(
            serial=int(serial, 16),
            revoked_at=revoked_at,
            reason=pki.RevocationReason(reason).flag if reason else None,
        )
        for serial, revoked_at, reason in repository.revoked_serials(
            session,
            issuer_id=authority_id,
            expired_before=now - timedelta(hours=CRL_VALIDITY_HOURS),
        )
    ]
    crl = pki.build_crl(
        issuer,
        entries,
        now=now,
        next_update_hours=CRL_VALIDITY_HOURS,
        crl_number=row.crl_number + 1,
    )
    row.crl_number += 1
    row.crl_pem = pki.crl_to_pem(crl)
    row.crl_this_update = crl.last_update_utc
    row.crl_next_update = crl.next_update_utc
    session.flush()
    return row


def refresh_due_crls(session: Session, keyring: KeyRing, *, now: datetime) -> int:
    """Re-sign every live intermediate's CRL that is close to its nextUpdate; returns how many."""
    before = now + CRL_REFRESH_MARGIN
    refreshed = 0
    for authority_id in repository.intermediates_with_crl_due(session, before=before, now=now):
        row = repository.lock_authority(session, authority_id)
        # Another worker may have refreshed it while we waited for the lock.
        if row is None or (row.crl_next_update is not None and row.crl_next_update >= before):
            continue
        publish_crl(session, keyring, authority_id=authority_id, now=now)
        refreshed += 1
    return refreshed
