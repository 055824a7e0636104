"""Courier partners: the phone region and time zone a firm reads each partner's files with."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from sqlalchemy.orm import Session

from tessera.deliveries import partner_queries as queries
from tessera.errors import NotFound, ValidationFailed
from tessera.firms import repository as firm_repository
from tessera.firms import service as firms
from tessera.kit.ids import new_id
from tessera.models import DeliveryPartner

_PARTNER_NAME = re.compile(r"[a-z0-9][a-z0-9 ._-]{0,63}", re.ASCII)


@dataclass(frozen=True, slots=True)
class ReadingRules:
    """How a file's phones and zone-less timestamps are read: the partner's, or the firm's."""

    partner: str | None
    phone_region: str
    timezone: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def normalize_partner_name(name: str) -> str:
    """A partner name as stored: trimmed, lower case, 1..64 of letters, digits, ``._-`` space."""
    value = " ".join(name.split()).casefold()
    if not _PARTNER_NAME.fullmatch(value):
        raise ValidationFailed.single(
            "partner", "A partner name is 1 to 64 letters, digits, spaces, dots, dashes or _."
        )
    return value


def validate_region(region: str) -> str:
    """An ISO 3166 region that phonenumbers knows (``AE``), upper case."""
    value = region.strip().upper()
    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationFailed.single("phone_region", "Not a phone region (use e.g. AE, GB).")
    return value


def validate_timezone(name: str) -> str:
    """An IANA time zone name (``Asia/Dubai``)."""
    value = name.strip()
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed.single(
            "timezone", "Not an IANA time zone (use e.g. Asia/Dubai)."
        ) from exc
    return value


def reading_rules(session: Session, *, firm_id: str, partner: str | None) -> ReadingRules:
    """The rules for a file from ``partner``: its own when configured, else the firm's defaults."""
    name = normalize_partner_name(partner) if partner else None
    if name is not None:
        configured = queries.get_partner(session, firm_id=firm_id, name=name)
        if configured is not None:
            return ReadingRules(name, configured.phone_region, configured.timezone)
    firm = firms.get_firm(session, firm_id)
    return ReadingRules(name, firm.phone_region, firm.timezone)


def set_partner(
    session: Session, *, firm_id: str, name: str, phone_region: str, timezone: str, now: datetime
) -> DeliveryPartner:
    """Create or change a partner's phone region and time zone."""
    key = normalize_partner_name(name)
    region = validate_region(phone_region)
    zone = validate_timezone(timezone)
    firms.get_firm(session, firm_id)
    partner = queries.get_partner(session, firm_id=firm_id, name=key)
    if partner is None:
        partner = queries.add_partner(
            session,
            DeliveryPartner(
                id=new_id("dpt"),
                firm_id=firm_id,
                name=key,
                phone_region=region,
                timezone=zone,
                created_at=now,
                updated_at=now,
            ),
        )
    else:
        partner.phone_region = region
        partner.timezone = zone
        partner.updated_at = now
    session.flush()
    return partner


def firm_id_for_slug(session: Session, slug: str) -> str:
    """The id of the firm with this slug (for the CLI's ``--firm``); NotFound otherwise."""
    firm = firm_repository.get_by_slug(session, slug)
    if firm is None:
        raise NotFound("No firm has this slug.")
    return firm.id


def list_partners(session: Session, *, firm_id: str) -> list[DeliveryPartner]:
    """A firm's configured partners."""
    return queries.list_partners(session, firm_id=firm_id)
