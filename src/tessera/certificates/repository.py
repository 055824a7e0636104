"""Queries on certificates and certificate authorities."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tessera.models import (
    AuthorityKind,
    AuthorityStatus,
    Certificate,
    CertificateAuthority,
    CertificateName,
    CertificateStatus,
    FirmDomain,
    User,
)
from tessera.visibility import Visibility

# The first key of pg_advisory_xact_lock(int, int) for certificate names, so that these locks
# never meet another feature's advisory locks ("TSCN" in ASCII).
NAME_LOCK_CLASS = 0x5453434E

# --- certificate authorities ------------------------------------------------------------------


def add_authority(session: Session, authority: CertificateAuthority) -> CertificateAuthority:
    """Insert a CA."""
    session.add(authority)
    return authority


def get_root(session: Session) -> CertificateAuthority | None:
    """The deployment's root CA, if it was created."""
    return session.scalar(
        sa.select(CertificateAuthority).where(
            CertificateAuthority.kind == AuthorityKind.ROOT.value,
            CertificateAuthority.generation == 1,
        )
    )


def lock_root(session: Session) -> CertificateAuthority | None:
    """The root CA, locked: rotations take this lock so that two never interleave."""
    return session.scalar(
        sa.select(CertificateAuthority)
        .where(CertificateAuthority.kind == AuthorityKind.ROOT.value)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def get_active_intermediate(session: Session, *, firm_id: str) -> CertificateAuthority | None:
    """The intermediate that issues the firm's new certificates (its newest active one)."""
    return session.scalar(
        sa.select(CertificateAuthority)
        .where(
            CertificateAuthority.kind == AuthorityKind.INTERMEDIATE.value,
            CertificateAuthority.firm_id == firm_id,
            CertificateAuthority.status == AuthorityStatus.ACTIVE.value,
        )
        .order_by(CertificateAuthority.generation.desc())
        .limit(1)
    )


def live_intermediates_of_firm(
    session: Session, *, firm_id: str, now: datetime
) -> list[CertificateAuthority]:
    """The firm's own intermediates not yet expired, newest first."""
    return list(
        session.scalars(
            sa.select(CertificateAuthority)
            .where(
                CertificateAuthority.kind == AuthorityKind.INTERMEDIATE.value,
                CertificateAuthority.firm_id == firm_id,
                CertificateAuthority.not_after > now,
            )
            .order_by(CertificateAuthority.generation.desc())
        )
    )


def get_authority(session: Session, authority_id: str) -> CertificateAuthority | None:
    """One CA by id (its sealed key stays unloaded)."""
    return session.get(CertificateAuthority, authority_id)


def sealed_private_key(session: Session, authority_id: str) -> bytes | None:
    """A CA's private key, as sealed by the key ring."""
    return session.scalar(
        sa.select(CertificateAuthority.sealed_private_key).where(
            CertificateAuthority.id == authority_id
        )
    )


def lock_authority(session: Session, authority_id: str) -> CertificateAuthority | None:
    """One CA, locked until the end of the transaction (CRL numbers are handed out under it)."""
    return session.scalar(
        sa.select(CertificateAuthority)
        .where(CertificateAuthority.id == authority_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def max_intermediate_generation(session: Session) -> int:
    """The highest intermediate generation so far (0 when there is none)."""
    return (
        session.scalar(
            sa.select(sa.func.max(CertificateAuthority.generation)).where(
                CertificateAuthority.kind == AuthorityKind.INTERMEDIATE.value
            )
        )
        or 0
    )


def list_authorities(session: Session) -> list[CertificateAuthority]:
    """Every CA: the root first, then intermediates newest first."""
    return list(
        session.scalars(
            sa.select(CertificateAuthority).order_by(
                sa.case((CertificateAuthority.kind == AuthorityKind.ROOT.value, 0), else_=1),
                CertificateAuthority.generation.desc(),
            )
        )
    )


def live_intermediates(session: Session, *, now: datetime) -> list[CertificateAuthority]:
    """Intermediates not yet expired (their certificates may be in use), newest first."""
    return list(
        session.scalars(
            sa.select(CertificateAuthority)
            .where(
                CertificateAuthority.kind == AuthorityKind.INTERMEDIATE.value,
                CertificateAuthority.not_after > now,
            )
            .order_by(CertificateAuthority.generation.desc())
        )
    )


def intermediates_with_crl_due(session: Session, *, before: datetime, now: datetime) -> list[str]:
    """Live intermediates whose CRL runs out before ``before`` (or that have none yet)."""
    return list(
        session.scalars(
            sa.select(CertificateAuthority.id)
            .where(
                CertificateAuthority.kind == AuthorityKind.INTERMEDIATE.value,
                CertificateAuthority.not_after > now,
                sa.or_(
                    CertificateAuthority.crl_next_update.is_(None),
                    CertificateAuthority.crl_next_update < before,
                ),
            )
            .order_by(CertificateAuthority.generation)
        )
    )


def certificate_pems(session: Session, authority_ids: list[str]) -> dict[str, str]:
    """The PEM certificates of some CAs, by id (no key is read)."""
    rows = session.execute(
        sa.select(CertificateAuthority.id, CertificateAuthority.certificate_pem).where(
            CertificateAuthority.id.in_(authority_ids)
        )
    )
    return {row.id: row.certificate_pem for row in rows}


# --- certificates -----------------------------------------------------------------------------


def add(session: Session, certificate: Certificate) -> Certificate:
    """Insert a certificate."""
    session.add(certificate)
    return certificate


def get(
    session: Session, certificate_id: str, *, visibility: Visibility, owner_id: str | None = None
) -> Certificate | None:
    """One certificate whose firm is in view, and of ``owner_id`` if given."""
    query = sa.select(Certificate).where(
        Certificate.id == certificate_id, *visibility.where(Certificate.firm_id)
    )
    if owner_id is not None:
        query = query.where(Certificate.owner_id == owner_id)
    return session.scalar(query)


def lock(session: Session, certificate_id: str) -> Certificate:
    """A certificate already known to exist, locked until the end of the transaction."""
    return session.scalars(
        sa.select(Certificate)
        .where(Certificate.id == certificate_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def lock_unrevoked_for_owner(session: Session, owner_id: str) -> list[Certificate]:
    """Every certificate of one owner that is not revoked yet, locked, oldest first."""
    return list(
        session.scalars(
            sa.select(Certificate)
            .where(
                Certificate.owner_id == owner_id,
                Certificate.status != CertificateStatus.REVOKED.value,
            )
            .order_by(Certificate.created_at, Certificate.id)
            .with_for_update()
        )
    )


def page(
    session: Session,
    *,
    visibility: Visibility,
    owner_id: str | None,
    status: CertificateStatus | None,
    limit: int,
    offset: int,
) -> tuple[list[Certificate], int]:
    """A page of the certificates whose firm is in view, newest first, with the total."""
    query = sa.select(Certificate).where(*visibility.where(Certificate.firm_id))
    if owner_id is not None:
        query = query.where(Certificate.owner_id == owner_id)
    if status is not None:
        query = query.where(Certificate.status == status.value)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Certificate.created_at.desc(), Certificate.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


def revoked_serials(
    session: Session, *, issuer_id: str, expired_before: datetime
) -> list[tuple[str, datetime, str | None]]:
    """``(serial, revoked_at, reason)`` of an issuer's revoked certificates still worth listing.

    A revoked certificate that expired before ``expired_before`` is left out: RFC 5280 3.3 lets
    a CRL drop an entry once it has appeared on a CRL issued after the certificate expired.
    """
    rows = session.execute(
        sa.select(Certificate.serial_number, Certificate.revoked_at, Certificate.revocation_reason)
        .where(
            Certificate.issuer_id == issuer_id,
            Certificate.status == CertificateStatus.REVOKED.value,
            Certificate.not_after >= expired_before,
        )
        .order_by(Certificate.serial_number)
    )
    return [(r.serial_number, r.revoked_at, r.revocation_reason) for r in rows]


def claim_due_expiry_notices(session: Session, *, now: datetime, limit: int) -> list[Certificate]:
    """Active certificates whose next expiry notice is due, locked; rows another worker holds
    are skipped (``SKIP LOCKED`` on PostgreSQL; SQLite has a single writer anyway)."""
    return list(
        session.scalars(
            sa.select(Certificate)
            .where(
                Certificate.status == CertificateStatus.ACTIVE.value,
                Certificate.next_expiry_notice_at <= now,
            )
            .order_by(Certificate.next_expiry_notice_at, Certificate.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
    )


# --- owners -----------------------------------------------------------------------------------


def get_active_user(session: Session, user_id: str, *, visibility: Visibility) -> User | None:
    """An active user, if its firm is in view."""
    return session.scalar(
        sa.select(User).where(
            User.id == user_id, User.status == "active", *visibility.where(User.firm_id)
        )
    )


# --- names and domains ------------------------------------------------------------------------


def lock_name_keys(session: Session, keys: Iterable[str]) -> None:
    """Hold, until the transaction ends, a lock per name key (``rules.name_lock_key``).

    Two claims that could collide share a key, so holding it while checking and then inserting
    makes the check true at commit. PostgreSQL takes a transaction-scoped advisory lock per key,
    in sorted order so that two claims never deadlock; SQLite needs nothing, since a writing
    transaction there already excludes every other writer.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted(set(keys)):
        session.execute(
            sa.select(sa.func.pg_advisory_xact_lock(NAME_LOCK_CLASS, sa.func.hashtext(key)))
        )


def _below(domain: str) -> str:
    """A LIKE pattern for every name below ``domain`` (hostnames hold no ``%`` or ``_``, but
    the pattern does not rely on it)."""
    escaped = domain.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return "%." + escaped


def _live_names_elsewhere(firm_id: str, now: datetime) -> sa.Select[tuple[str]]:
    return (
        sa.select(CertificateName.name)
        .join(Certificate, Certificate.id == CertificateName.certificate_id)
        .where(
            CertificateName.firm_id != firm_id,
            Certificate.status != CertificateStatus.REVOKED.value,
            Certificate.not_after > now,
        )
    )


def name_certified_elsewhere(
    session: Session, *, firm_id: str, names: list[str], children_of: str | None, now: datetime
) -> bool:
    """Whether another firm holds a live certificate for one of ``names`` or (``children_of``)
    for a name one label below that domain."""
    condition: sa.ColumnElement[bool] = CertificateName.name.in_(names)
    if children_of is not None:
        condition = sa.or_(condition, CertificateName.parent == children_of)
    query = _live_names_elsewhere(firm_id, now).where(condition).limit(1)
    return session.scalar(query) is not None


def certified_under_elsewhere(
    session: Session, *, firm_id: str, domain: str, covering: list[str], now: datetime
) -> bool:
    """Whether another firm holds a live certificate for ``domain``, a name under it, or one of
    ``covering`` (the wildcard that covers the domain itself)."""
    condition = sa.or_(
        CertificateName.name == domain,
        CertificateName.name.in_(covering),
        CertificateName.name.like(_below(domain), escape="\\"),
    )
    return session.scalar(_live_names_elsewhere(firm_id, now).where(condition).limit(1)) is not None


def domain_declared_elsewhere(
    session: Session,
    *,
    firm_id: str,
    domains: list[str],
    children_of: str | None = None,
    under: str | None = None,
) -> bool:
    """Whether another firm declared one of ``domains``, a domain one label below
    ``children_of``, or (``under``) any domain below that one."""
    conditions: list[sa.ColumnElement[bool]] = [FirmDomain.domain.in_(domains)]
    if children_of is not None:
        conditions.append(FirmDomain.parent == children_of)
    if under is not None:
        conditions.append(FirmDomain.domain.like(_below(under), escape="\\"))
    query = sa.select(FirmDomain.id).where(FirmDomain.firm_id != firm_id, sa.or_(*conditions))
    return session.scalar(query.limit(1)) is not None


def add_names(session: Session, names: list[CertificateName]) -> None:
    """Insert the names a certificate carries."""
    session.add_all(names)


def add_domain(session: Session, domain: FirmDomain) -> FirmDomain:
    """Insert a declared domain."""
    session.add(domain)
    return domain


def get_domain(session: Session, domain_id: str, *, firm_id: str) -> FirmDomain | None:
    """One of the firm's declared domains by id."""
    return session.scalar(
        sa.select(FirmDomain).where(FirmDomain.id == domain_id, FirmDomain.firm_id == firm_id)
    )


def get_domain_by_name(session: Session, domain: str) -> FirmDomain | None:
    """The declaration of this exact domain, whichever firm made it."""
    return session.scalar(sa.select(FirmDomain).where(FirmDomain.domain == domain))


def page_domains(
    session: Session, *, firm_id: str, limit: int, offset: int
) -> tuple[list[FirmDomain], int]:
    """A page of the firm's declared domains, alphabetical, with the total."""
    query = sa.select(FirmDomain).where(FirmDomain.firm_id == firm_id)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(FirmDomain.domain).limit(limit).offset(offset))
    return list(rows), total


def delete_domain(session: Session, domain: FirmDomain) -> None:
    """Remove a declared domain."""
    session.delete(domain)
