"""Firms: creating them (platform admins), their settings, and lookups every feature uses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tessera.audit import service as audit
from tessera.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tessera.firms import repository
from tessera.kit.card_numbers import Brand, detect_brand
from tessera.kit.ids import new_id
from tessera.kit.pagination import Page, PageParams
from tessera.models import DEFAULT_FIRM_ID, Firm, Role
from tessera.principal import Principal

DEFAULT_ISSUING_BIN = "400012"
ISSUED_CARD_LENGTH = 16
# Every BIN of a range is checked for its brand; a larger range is a typo, not a card programme.
MAX_BINS_IN_RANGE = 10_000


class SlugTaken(Conflict):
    default_code = "slug_taken"
    default_message = "Another firm already has this slug."


def get_firm(session: Session, firm_id: str) -> Firm:
    """The firm with this id; 404 when it does not exist."""
    firm = repository.get(session, firm_id)
    if firm is None:
        raise NotFound("Firm not found.")
    return firm


def firm_for_signup(session: Session, slug: str | None) -> Firm:
    """The firm a new customer joins: the one named by slug, or the default firm."""
    if slug is None:
        return get_firm(session, DEFAULT_FIRM_ID)
    firm = repository.get_by_slug(session, slug)
    if firm is None or firm.status != "active":
        raise ValidationFailed.single("firm", "No active firm has this slug.")
    return firm


def visible_firm(session: Session, *, principal: Principal, firm_id: str) -> Firm:
    """A firm the caller belongs to (any firm for a platform admin); 404 otherwise."""
    if not principal.is_platform_admin and firm_id != principal.firm_id:
        raise NotFound("Firm not found.")
    return get_firm(session, firm_id)


def issuing_brand(start: str, end: str) -> Brand:
    """The one brand of every BIN in ``start..end``; 422 when the range is not usable."""
    if len(start) != len(end):
        raise ValidationFailed.single(
            "issuing_bin_end", "The last BIN must have as many digits as the first."
        )
    if end < start:
        raise ValidationFailed.single(
            "issuing_bin_end", "The last BIN must not come before the first."
        )
    if int(end) - int(start) >= MAX_BINS_IN_RANGE:
        raise ValidationFailed.single(
            "issuing_bin_end", "A BIN range may hold at most ten thousand BINs."
        )
    brands = {detect_brand(str(b).zfill(len(start))) for b in range(int(start), int(end) + 1)}
    brand = brands.pop()
    if brands or brand is None:
        raise ValidationFailed.single(
            "issuing_bin", "Every BIN of the range must belong to the same card brand."
        )
    if ISSUED_CARD_LENGTH not in brand.lengths:
        raise ValidationFailed.single(
            "issuing_bin", "Issued cards have sixteen digits, which this brand does not issue."
        )
    return brand


def _require_platform_admin(principal: Principal) -> None:
    if not principal.is_platform_admin:
        raise Forbidden("Only platform admins can do this.")


def create_firm(
    session: Session,
    *,
    principal: Principal,
    name: str,
    slug: str,
    auto_approve_registrations: bool,
    issuing_bin: str | None,
    issuing_bin_end: str | None,
    phone_region: str,
    timezone: str,
    now: datetime,
    allow_ip_sans: bool = False,
) -> Firm:
    """Create a partner firm (platform admins); 409 ``slug_taken`` when the slug is in use.

    ``phone_region`` and ``timezone`` are the deployment's defaults (DEFAULT_PHONE_REGION,
    DEFAULT_TIMEZONE): how the firm's phone numbers and courier timestamps are read.
    """
    _require_platform_admin(principal)
    start = issuing_bin or DEFAULT_ISSUING_BIN
    end = issuing_bin_end or start
    issuing_brand(start, end)
    if repository.slug_exists(session, slug):
        raise SlugTaken()
    firm = Firm(
        id=new_id("firm"),
        name=name,
        slug=slug,
        status="active",
        auto_approve_registrations=auto_approve_registrations,
        issuing_bin=start,
        issuing_bin_end=end,
        allow_ip_sans=allow_ip_sans,
        phone_region=phone_region,
        timezone=timezone,
        created_at=now,
    )
    try:
        with session.begin_nested():
            repository.add(session, firm)
    except IntegrityError as exc:  # a concurrent request took the slug
        raise SlugTaken() from exc
    audit.record(
        session,
        firm_id=firm.id,
        actor=principal,
        action="firm.created",
        target_type="firm",
        target_id=firm.id,
        data={
            "slug": slug,
            "auto_approve_registrations": auto_approve_registrations,
            "allow_ip_sans": allow_ip_sans,
        },
        now=now,
    )
    return firm


def list_firms(session: Session, *, principal: Principal, page: PageParams) -> Page[Firm]:
    """Every firm (platform admins)."""
    _require_platform_admin(principal)
    items, total = repository.page(session, limit=page.limit, offset=page.offset)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


def get_visible_firm(session: Session, *, principal: Principal, firm_id: str) -> Firm:
    """A firm: any for a platform admin, the caller's own for everyone else (else 404)."""
    return visible_firm(session, principal=principal, firm_id=firm_id)


def update_firm(
    session: Session,
    *,
    principal: Principal,
    firm_id: str,
    name: str | None,
    auto_approve_registrations: bool | None,
    issuing_bin: str | None,
    issuing_bin_end: str | None,
    now: datetime,
    allow_ip_sans: bool | None = None,
) -> Firm:
    """Change a firm's settings (platform admins, or that firm's admins).

    ``allow_ip_sans`` is for platform admins only (403): an address certificate cannot be tied
    to an owner, so a firm does not decide for itself that it may have them.
    """
    firm = visible_firm(session, principal=principal, firm_id=firm_id)
    if not principal.is_platform_admin and principal.role is not Role.FIRM_ADMIN:
        raise Forbidden("Only the firm's admins can change its settings.")
    if allow_ip_sans is not None and not principal.is_platform_admin:
        raise Forbidden("Only platform admins can allow IP address certificates.")
    changes: dict[str, object] = {}
    if allow_ip_sans is not None and allow_ip_sans != firm.allow_ip_sans:
        firm.allow_ip_sans = allow_ip_sans
        changes["allow_ip_sans"] = allow_ip_sans
    if issuing_bin is not None or issuing_bin_end is not None:
        start = issuing_bin or firm.issuing_bin
        end = issuing_bin_end or (start if issuing_bin is not None else firm.issuing_bin_end)
        issuing_brand(start, end)
        if (start, end) != (firm.issuing_bin, firm.issuing_bin_end):
            firm.issuing_bin, firm.issuing_bin_end = start, end
            changes["issuing_bin"], changes["issuing_bin_end"] = start, end
    if name is not None and name != firm.name:
        firm.name = name
        changes["name"] = name
    if (
        auto_approve_registrations is not None
        and auto_approve_registrations != firm.auto_approve_registrations
    ):
        firm.auto_approve_registrations = auto_approve_registrations
        changes["auto_approve_registrations"] = auto_approve_registrations
    if changes:
        session.flush()
        audit.record(
            session,
            firm_id=firm.id,
            actor=principal,
            action="firm.updated",
            target_type="firm",
            target_id=firm.id,
            data={"changes": changes},
            now=now,
        )
    return firm
