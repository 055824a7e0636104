"""Registering cards that firms bring: validate, seal in the vault, decide.

A registration validates the card (Luhn and length for the brand, expiry, CVV, name), checks the
CVV and drops it, seals the number in the vault, and records the registration, its audit entry
and its ``card_registration.*`` events in one transaction. A number the firm already has in a
pending or approved registration is refused with 409 ``card_already_registered`` naming that
registration; a rejected registration does not block registering the card again.

Firms that auto-approve get ``approved`` at once (decided by the system, and audited so).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from tessera.audit import service as audit
from tessera.cards.rules import parse_expiry, validate_cvv, validate_holder_name
from tessera.errors import (
    Conflict,
    Forbidden,
    InvalidStatusTransition,
    NotFound,
    RuleViolation,
    ValidationFailed,
)
from tessera.events.service import record_event
from tessera.events.types import EventType
from tessera.firms import repository as firm_repository
from tessera.holders import repository as holders
from tessera.kit.card_numbers import ValidatedCard, normalize_card_number, validate_card_number
from tessera.kit.days import day_bounds
from tessera.kit.ids import new_id
from tessera.kit.keyring import KeyRing
from tessera.kit.pagination import Page, PageParams
from tessera.models import CardRegistration, VaultCard
from tessera.principal import Principal, Scope
from tessera.registrations import repository
from tessera.registrations.domain import RegistrationIdentity, RegistrationStatus
from tessera.vault import card_store
from tessera.visibility import Visibility


class CardAlreadyRegistered(Conflict):
    default_code = "card_already_registered"
    default_message = "This card is already registered in this firm."

    def __init__(self, registration_id: str) -> None:
        super().__init__(details={"registration_id": registration_id})


@dataclass(frozen=True, slots=True)
class Registration:
    """A registration and the vault card it holds."""

    registration: CardRegistration
    card: VaultCard


@dataclass(frozen=True, slots=True)
class CheckedCard:
    """A card that passed every rule; the CVV is not kept."""

    card: ValidatedCard
    expiry: date
    cardholder_name: str


def check_card(
    *, card_number: str, expiry_date: str, cvv: str | None, cardholder_name: str, today: date
) -> CheckedCard:
    """Apply the card rules in the order a person fixes a form: number, expiry, CVV, name.

    The CVV is only compared with the brand's rule here; it goes no further than this call.
    """
    card = validate_card_number(card_number)
    expiry = parse_expiry(expiry_date, today=today)
    validate_cvv(cvv, card.brand)
    name = validate_holder_name(cardholder_name)
    return CheckedCard(card=card, expiry=expiry, cardholder_name=name)


@dataclass(frozen=True, slots=True)
class CardSubmission:
    """A card as a firm or customer submits it, whichever route it came through.

    The number and the CVV stay out of ``repr`` so that no traceback or log line shows them.
    """

    card_number: str = field(repr=False)
    expiry_date: str
    cvv: str | None = field(repr=False)
    cardholder_name: str
    holder_id: str | None = None
    external_ref: str | None = None


def registration_identity(
    keyring: KeyRing, *, principal: Principal, submission: CardSubmission
) -> RegistrationIdentity:
    """The request as the idempotency record hashes it: a fingerprint instead of the number."""
    number = normalize_card_number(submission.card_number)
    return RegistrationIdentity(
        card_fingerprint=card_store.card_fingerprint(
            keyring, firm_id=principal.firm_id, number=number
        ),
        expiry_date=submission.expiry_date,
        cvv_given=submission.cvv is not None,
        cardholder_name=submission.cardholder_name,
        holder_id=submission.holder_id,
        external_ref=submission.external_ref,
    )


def registration_event_data(registration: CardRegistration, card: VaultCard) -> dict[str, Any]:
    """The public view of a registration, as events carry it (masked card only)."""
    return {
        "id": registration.id,
        "status": registration.status,
        "reason": registration.reason,
        "decided_at": registration.decided_at,
        "holder_id": registration.holder_id,
        "external_ref": registration.external_ref,
        "card": card_store.public_view(card),
        "created_at": registration.created_at,
    }


def _holder_for(session: Session, principal: Principal, holder_id: str | None) -> str | None:
    if principal.is_customer:
        if principal.holder_id is None:
            raise Forbidden("This user has no account holder profile.")
        if holder_id is not None and holder_id != principal.holder_id:
            raise Forbidden("Customers can register cards only for themselves.")
        return principal.holder_id
    if holder_id is None:
        return None
    holder = holders.get(session, holder_id, visibility=Visibility.firm(principal.firm_id))
    if holder is None or holder.erased_at is not None:
        raise NotFound("Account holder not found.")
    return holder.id


def register_card(
    session: Session,
    keyring: KeyRing,
    *,
    principal: Principal,
    submission: CardSubmission,
    now: datetime,
) -> Registration:
    """Register a card in the caller's firm; see the module doc for the rules."""
    principal.require(Scope.CARDS_WRITE)
    checked = check_card(
        card_number=submission.card_number,
        expiry_date=submission.expiry_date,
        cvv=submission.cvv,
        cardholder_name=submission.cardholder_name,
        today=now.date(),
    )
    automatic = firm_repository.auto_approves_registrations(session, principal.firm_id)
    if automatic is None:
        raise NotFound("Firm not found.")
    firm_id = principal.firm_id
    owner = _holder_for(session, principal, submission.holder_id)
    fingerprint = card_store.card_fingerprint(keyring, firm_id=firm_id, number=checked.card.number)
    existing = repository.live_id_by_fingerprint(session, firm_id=firm_id, fingerprint=fingerprint)
    if existing is not None:
        raise CardAlreadyRegistered(existing)
    card = card_store.store_card(
        session,
        keyring,
        firm_id=firm_id,
        holder_id=owner,
        card=checked.card,
        expiry=checked.expiry,
        cardholder_name=checked.cardholder_name,
        source=card_store.SOURCE_REGISTRATION,
        fingerprint=fingerprint,
        now=now,
    )
    registration = CardRegistration(
        id=new_id("creg"),
        firm_id=firm_id,
        vault_card_id=card.id,
        card_fingerprint=fingerprint,
        holder_id=owner,
        external_ref=submission.external_ref,
        status=(RegistrationStatus.APPROVED if automatic else RegistrationStatus.PENDING).value,
        reason=None,
        created_by=principal.id,
        decided_by="system" if automatic else None,
        decided_at=now if automatic else None,
        created_at=now,
        updated_at=now,
    )
    if not repository.insert_live(session, registration):
        # A concurrent request registered the same number first (the partial unique index).
        winner = repository.live_id_by_fingerprint(
            session, firm_id=firm_id, fingerprint=fingerprint
        )
        if winner is None:  # pragma: no cover - the index refused it, so the row exists
            raise RuntimeError("registration refused by the index, but no live one found")
        raise CardAlreadyRegistered(winner)
    data = registration_event_data(registration, card)
    record_event(
        session,
        firm_id=firm_id,
        type=EventType.CARD_REGISTRATION_CREATED,
        data=data,
        now=now,
    )
    audit.record(
        session,
        firm_id=firm_id,
        actor=principal,
        action="card_registration.created",
        target_type="card_registration",
        target_id=registration.id,
        data={"status": registration.status, "brand": card.brand, "last4": card.last4},
        now=now,
    )
    if automatic:
        record_event(
            session,
            firm_id=firm_id,
            type=EventType.CARD_REGISTRATION_APPROVED,
            data=data,
            now=now,
        )
        audit.record(
            session,
            firm_id=firm_id,
            actor=audit.SYSTEM,
            action="card_registration.approved",
            target_type="card_registration",
            target_id=registration.id,
            data={"automatic": True},
            now=now,
        )
    return Registration(registration, card)


def _visible(
    session: Session, principal: Principal, registration_id: str, *, lock: bool = False
) -> Registration:
    found = repository.get(
        session,
        registration_id,
        visibility=principal.visibility,
        lock=lock,
    )
    if found is None:
        raise NotFound("Card registration not found.")
    return Registration(*found)


def get_registration(
    session: Session, *, principal: Principal, registration_id: str
) -> Registration:
    """One registration visible to the caller; 404 otherwise."""
    principal.require(Scope.CARDS_READ)
    return _visible(session, principal, registration_id)


def find_by_card_number(
    session: Session, keyring: KeyRing, *, principal: Principal, card_number: str
) -> Registration:
    """The caller's firm's registration of a card, found by its number's fingerprint; else 404.

    A malformed number is simply not found: the lookup never says anything about the input.
    """
    principal.require(Scope.CARDS_READ)
    try:
        number = normalize_card_number(card_number)
    except RuleViolation as exc:
        raise NotFound("Card not found.") from exc
    found = repository.find_latest_by_fingerprint(
        session,
        # The fingerprint is keyed by the caller's own firm, platform admins included.
        visibility=principal.visibility.in_firm(principal.firm_id),
        fingerprint=card_store.card_fingerprint(keyring, firm_id=principal.firm_id, number=number),
    )
    if found is None:
        raise NotFound("Card not found.")
    return Registration(*found)


@dataclass(frozen=True, slots=True)
class RegistrationFilter:
    """Which registrations a list or report covers (dates inclusive, UTC)."""

    status: RegistrationStatus | None = None
    start: date | None = None
    end: date | None = None

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """``created_at`` from the start of ``start`` up to the end of ``end``."""
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValidationFailed.single("to", "The end date must not be before the start date.")
        return day_bounds(self.start, self.end)


def list_registrations(
    session: Session, *, principal: Principal, criteria: RegistrationFilter, page: PageParams
) -> Page[Registration]:
    """The registrations visible to the caller, newest first."""
    principal.require(Scope.CARDS_READ)
    low, high = criteria.bounds()
    rows, total = repository.page(
        session,
        visibility=principal.visibility,
        status=criteria.status.value if criteria.status else None,
        created_from=low,
        created_before=high,
        limit=page.limit,
        offset=page.offset,
    )
    return Page(
        items=[Registration(*row) for row in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


def export_registrations(
    session: Session, *, principal: Principal, criteria: RegistrationFilter
) -> list[Registration]:
    """Every registration visible to the caller that matches, oldest first (CSV reports)."""
    principal.require(Scope.CARDS_READ)
    low, high = criteria.bounds()
    rows = repository.all_matching(
        session,
        visibility=principal.visibility,
        status=criteria.status.value if criteria.status else None,
        created_from=low,
        created_before=high,
    )
    return [Registration(*row) for row in rows]


_DECISIONS = {
    RegistrationStatus.APPROVED: (EventType.CARD_REGISTRATION_APPROVED, "approved"),
    RegistrationStatus.REJECTED: (EventType.CARD_REGISTRATION_REJECTED, "rejected"),
}


def decide(
    session: Session,
    *,
    principal: Principal,
    registration_id: str,
    decision: RegistrationStatus,
    reason: str | None,
    now: datetime,
) -> Registration:
    """Approve or reject a pending registration (firm staff and clients with `cards:write`)."""
    principal.require(Scope.CARDS_WRITE)
    found = _visible(session, principal, registration_id, lock=True)
    if principal.is_customer:
        raise Forbidden("Only the firm can approve or reject registrations.")
    registration = found.registration
    if registration.status != RegistrationStatus.PENDING.value:
        raise InvalidStatusTransition(current=registration.status, requested=decision.value)
    event_type, verb = _DECISIONS[decision]
    registration.status = decision.value
    registration.reason = reason
    registration.decided_at = now
    registration.decided_by = principal.id
    registration.updated_at = now
    session.flush()
    record_event(
        session,
        firm_id=registration.firm_id,
        type=event_type,
        data=registration_event_data(registration, found.card),
        now=now,
    )
    audit.record(
        session,
        firm_id=registration.firm_id,
        actor=principal,
        action=f"card_registration.{verb}",
        target_type="card_registration",
        target_id=registration.id,
        data={"reason": reason} if reason else {},
        now=now,
    )
    return found
