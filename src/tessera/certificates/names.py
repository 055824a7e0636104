"""Who owns a DNS name: the firm certified for it, or the firm that declared a domain above it.

Every firm's certificates chain to one root, so a name certified to two firms would let one
impersonate the other to anyone who trusts the root. The rules:

- A firm **holds** a DNS name while one of its certificates carrying it is neither revoked nor
  expired. No other firm is certified for that name, for a wildcard covering it
  (``*.acme.example`` covers ``api.acme.example``), or for a name the requested wildcard would
  cover (409 ``name_owned_by_another_firm``). A revoked or expired certificate releases its
  names; an inactive one keeps them, since it can be reactivated.
- A firm may **declare** a domain (two labels or more, no wildcard) as its own. No other firm
  is then certified for the domain or any name below it, nor for a wildcard covering one of
  them. Declaring a domain another firm has declared, or that lies above or below a domain
  another firm has declared, is refused; so is declaring a domain under which another firm holds
  a live certificate (or a wildcard covering the domain): a declaration claims what nobody else
  uses yet, it does not take names away. Platform admins settle disputes by revoking the
  certificates or removing the declaration that is in the way.
- IP address SANs are refused (422 ``ip_san_not_allowed``) unless the firm's ``allow_ip_sans``
  setting (platform admins only) allows them: nobody owns ``10.0.0.1``. Email and URI SANs are
  not owned by anyone and not checked.

Races: a claim runs its check and its insert while holding ``repository.lock_name_keys`` for
every name involved; two names that could collide always share a key (``rules.name_lock_key``),
so of two firms racing for one name exactly one wins and the other gets the 409. Declaring
an exact domain twice is also held off by the unique index on ``firm_domains.domain``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tessera.audit import service as audit
from tessera.certificates import repository, rules
from tessera.crypto import pki
from tessera.errors import Conflict, Forbidden, NotFound, RuleViolation, ValidationFailed
from tessera.firms.service import visible_firm
from tessera.kit.ids import new_id
from tessera.kit.pagination import Page, PageParams
from tessera.models import CertificateName, Firm, FirmDomain, Role
from tessera.principal import Principal


class NameOwnedByAnotherFirm(Conflict):
    default_code = "name_owned_by_another_firm"
    default_message = "This name is certified to, or declared by, another firm."


class IpSanNotAllowed(RuleViolation):
    default_code = "ip_san_not_allowed"
    default_message = (
        "IP address subject alternative names are not allowed for this firm; ask a platform "
        "admin to allow them."
    )


@dataclass(frozen=True, slots=True)
class RequestedName:
    """A DNS name a certificate will carry, and where in the request it came from."""

    name: str
    field: str
    index: int | None = None

    def details(self, held_by: str) -> dict[str, Any]:
        """Where the refused name is (never the name itself, as for every refused input)."""
        found: dict[str, Any] = {"field": self.field, "held_by": held_by}
        if self.index is not None:
            found["index"] = self.index
        return found


def requested_names(
    common_name: str, subject_alt_names: Sequence[str], *, allow_ip_sans: bool
) -> tuple[RequestedName, ...]:
    """The DNS names a certificate for this request carries (the common name when no SAN is
    given and it looks like a hostname); 422 ``ip_san_not_allowed`` for a refused IP SAN."""
    if not subject_alt_names:
        return tuple(
            RequestedName(str(general.value), "common_name")
            for general in pki.certificate_names(common_name, [])
            if isinstance(general, x509.DNSName)
        )
    found: dict[str, RequestedName] = {}
    for index, raw in enumerate(subject_alt_names):
        general = pki.parse_subject_alt_name(raw, index)
        if isinstance(general, x509.IPAddress) and not allow_ip_sans:
            raise IpSanNotAllowed(details={"field": "subject_alt_names", "index": index})
        if isinstance(general, x509.DNSName) and general.value not in found:
            found[general.value] = RequestedName(general.value, "subject_alt_names", index)
    return tuple(found.values())


def check_available(
    session: Session, *, firm_id: str, names: Iterable[RequestedName], now: datetime
) -> None:
    """409 ``name_owned_by_another_firm`` unless every name is free for ``firm_id``.

    Alone this only refuses early (before a key is made); ``reserve`` is what holds at commit.
    """
    for requested in names:
        name = requested.name
        children_of = rules.base_name(name) if rules.is_wildcard(name) else None
        if repository.name_certified_elsewhere(
            session,
            firm_id=firm_id,
            names=rules.covering_names(name),
            children_of=children_of,
            now=now,
        ):
            raise NameOwnedByAnotherFirm(details=requested.details("certificate"))
        if repository.domain_declared_elsewhere(
            session,
            firm_id=firm_id,
            domains=rules.enclosing_domains(name),
            children_of=children_of,
        ):
            raise NameOwnedByAnotherFirm(details=requested.details("declared_domain"))


def reserve(
    session: Session, *, firm_id: str, names: Sequence[RequestedName], now: datetime
) -> None:
    """Lock every name's key until the transaction ends, then check that all are free."""
    repository.lock_name_keys(session, (rules.name_lock_key(n.name) for n in names))
    check_available(session, firm_id=firm_id, names=names, now=now)


def record_names(
    session: Session, *, certificate_id: str, firm_id: str, names: Sequence[RequestedName]
) -> None:
    """Store the names a new certificate carries (after ``reserve``, in its transaction)."""
    repository.add_names(
        session,
        [
            CertificateName(
                certificate_id=certificate_id,
                name=n.name,
                firm_id=firm_id,
                parent=rules.dns_parent(n.name),
            )
            for n in names
        ],
    )


# --- declared domains -------------------------------------------------------------------------


def normalise_domain(raw: str) -> str:
    """A declarable domain, lower-cased: a hostname of two labels or more, without wildcard."""
    problem = ValidationFailed.single(
        "domain", "Give a DNS domain of two labels or more, such as acme-cards.example."
    )
    try:
        general = pki.parse_subject_alt_name(raw)
    except ValidationFailed:
        raise problem from None
    if (
        not isinstance(general, x509.DNSName)
        or rules.is_wildcard(general.value)
        or "." not in general.value
    ):
        raise problem
    return str(general.value)


def _firm_for_domain_admin(session: Session, principal: Principal, firm_id: str) -> Firm:
    firm = visible_firm(session, principal=principal, firm_id=firm_id)
    if not principal.is_platform_admin and principal.role is not Role.FIRM_ADMIN:
        raise Forbidden("Only the firm's admins can manage its domains.")
    return firm


def declare_domain(
    session: Session, *, principal: Principal, firm_id: str, domain: str, now: datetime
) -> tuple[FirmDomain, bool]:
    """Declare a domain as the firm's own; returns it and whether this call created it.

    409 ``name_owned_by_another_firm`` when another firm declared it, a domain above or below
    it, or holds a live certificate for a name under it (``details.held_by`` says which).
    """
    firm = _firm_for_domain_admin(session, principal, firm_id)
    name = normalise_domain(domain)
    repository.lock_name_keys(session, [rules.name_lock_key(name)])
    existing = repository.get_domain_by_name(session, name)
    if existing is not None and existing.firm_id == firm.id:
        return existing, False
    refused = {"field": "domain"}
    if existing is not None or repository.domain_declared_elsewhere(
        session, firm_id=firm.id, domains=rules.enclosing_domains(name), under=name
    ):
        raise NameOwnedByAnotherFirm(details={**refused, "held_by": "declared_domain"})
    if repository.certified_under_elsewhere(
        session, firm_id=firm.id, domain=name, covering=rules.covering_names(name)[1:], now=now
    ):
        raise NameOwnedByAnotherFirm(details={**refused, "held_by": "certificate"})
    row = FirmDomain(
        id=new_id("dom"),
        firm_id=firm.id,
        domain=name,
        parent=rules.dns_parent(name) or name,
        created_by=principal.id,
        created_at=now,
    )
    try:
        with session.begin_nested():
            repository.add_domain(session, row)
    except IntegrityError as exc:  # pragma: no cover - the name lock orders declarations
        raise NameOwnedByAnotherFirm(details={**refused, "held_by": "declared_domain"}) from exc
    audit.record(
        session,
        firm_id=firm.id,
        actor=principal,
        action="firm.domain_declared",
        target_type="firm_domain",
        target_id=row.id,
        data={"domain": name},
        now=now,
    )
    return row, True


def list_domains(
    session: Session, *, principal: Principal, firm_id: str, page: PageParams
) -> Page[FirmDomain]:
    """The firm's declared domains, alphabetical."""
    firm = _firm_for_domain_admin(session, principal, firm_id)
    items, total = repository.page_domains(
        session, firm_id=firm.id, limit=page.limit, offset=page.offset
    )
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


def remove_domain(
    session: Session, *, principal: Principal, firm_id: str, domain_id: str, now: datetime
) -> None:
    """Withdraw a declaration; certificates already issued keep their names until they end."""
    firm = _firm_for_domain_admin(session, principal, firm_id)
    row = repository.get_domain(session, domain_id, firm_id=firm.id)
    if row is None:
        raise NotFound("Domain not found.")
    repository.delete_domain(session, row)
    session.flush()
    audit.record(
        session,
        firm_id=firm.id,
        actor=principal,
        action="firm.domain_removed",
        target_type="firm_domain",
        target_id=domain_id,
        data={"domain": row.domain},
        now=now,
    )
