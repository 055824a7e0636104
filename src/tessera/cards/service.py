"""Issuing cards on accounts, and blocking, unblocking and closing them.

An issued card gets a Luhn-valid sixteen-digit number whose BIN lies in its firm's issuing range,
drawn at random and unique in the firm (the vault refuses a second issued card with the same
fingerprint, and a collision is simply drawn again). The number is sealed in the vault like any
registered card; the API never shows it. A physical card also gets a ``reference``: the id
couriers write in their delivery files.

Status changes: active -> blocked -> active, and active or blocked -> closed, which is final.
Customers may block and close their own cards; unblocking is for the firm's staff.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tessera.accounts import repository as accounts
from tessera.accounts.domain import AccountStatus
from tessera.audit import service as audit
from tessera.cards import repository
from tessera.cards.domain import CardStatus, CardType
from tessera.cards.rules import month_end, validate_holder_name
from tessera.deliveries.status import service as deliveries
from tessera.deliveries.status.service import CurrentDelivery
from tessera.errors import Forbidden, InvalidStatusTransition, NotFound, ValidationFailed
from tessera.events.service import record_event
from tessera.events.types import EventType
from tessera.firms import service as firms
from tessera.firms.service import ISSUED_CARD_LENGTH
from tessera.holders import repository as holders
from tessera.kit.card_numbers import generate_card_number, validate_card_number
from tessera.kit.ids import new_id
from tessera.kit.keyring import KeyRing
from tessera.kit.pagination import Page, PageParams
from tessera.ledger.service import AccountInactive
from tessera.models import Card, Firm, VaultCard
from tessera.principal import Principal, Scope
from tessera.vault import card_store
from tessera.vault import repository as vault
from tessera.visibility import Visibility

VALIDITY_YEARS = 3
MAX_DRAWS = 8
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_REFERENCE_PREFIX = "TSR"
_REFERENCE_LENGTH = 10

_TRANSITIONS = {
    (CardStatus.ACTIVE, CardStatus.BLOCKED),
    (CardStatus.BLOCKED, CardStatus.ACTIVE),
    (CardStatus.ACTIVE, CardStatus.CLOSED),
    (CardStatus.BLOCKED, CardStatus.CLOSED),
}
_CUSTOMER_TRANSITIONS = _TRANSITIONS - {(CardStatus.BLOCKED, CardStatus.ACTIVE)}


@dataclass(frozen=True, slots=True)
class IssuedCard:
    """An issued card, the vault card holding its number, and (physical cards) its delivery."""

    card: Card
    vault_card: VaultCard
    delivery: CurrentDelivery | None = None


def _with_deliveries(session: Session, cards: list[IssuedCard]) -> list[IssuedCard]:
    """Attach the couriers' latest status to the physical cards (one query per firm)."""
    by_firm: dict[str, list[str]] = {}
    for issued in cards:
        if issued.card.reference:
            by_firm.setdefault(issued.card.firm_id, []).append(issued.card.reference)
    found: dict[tuple[str, str], CurrentDelivery] = {}
    for firm_id, references in by_firm.items():
        current = deliveries.current_deliveries(session, firm_id=firm_id, references=references)
        found.update({(firm_id, ref): view for ref, view in current.items()})
    return [
        IssuedCard(
            issued.card,
            issued.vault_card,
            found.get((issued.card.firm_id, issued.card.reference or "")),
        )
        for issued in cards
    ]


def card_event_data(card: Card, vault_card: VaultCard) -> dict[str, Any]:
    """The public view of a card, as events carry it (never the number)."""
    return {
        "id": card.id,
        "account_id": card.account_id,
        "holder_id": card.holder_id,
        "type": card.type,
        "brand": vault_card.brand,
        "last4": vault_card.last4,
        "expiry": vault_card.expiry,
        "status": card.status,
        "reference": card.reference,
        "created_at": card.created_at,
    }


def _new_reference() -> str:
    body = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(_REFERENCE_LENGTH))
    return _REFERENCE_PREFIX + body


def _draw_number(firm: Firm) -> str:
    low, high = int(firm.issuing_bin), int(firm.issuing_bin_end)
    bin_prefix = str(low + secrets.randbelow(high - low + 1)).zfill(len(firm.issuing_bin))
    return generate_card_number(bin_prefix, length=ISSUED_CARD_LENGTH)


def _cardholder_name(session: Session, holder_id: str, given: str | None) -> str:
    if given is not None:
        return validate_holder_name(given)
    holder = holders.get(session, holder_id, visibility=Visibility.everything())
    full = " ".join(p for p in (holder.first_name, holder.last_name) if p) if holder else ""
    if len(full.strip()) < 3:
        raise ValidationFailed.single(
            "cardholder_name", "The account holder has no usable name; give a cardholder name."
        )
    return validate_holder_name(full)


def issue_card(
    session: Session,
    keyring: KeyRing,
    *,
    principal: Principal,
    account_id: str,
    type: CardType,
    cardholder_name: str | None,
    now: datetime,
) -> IssuedCard:
    """Issue a virtual or physical card on an active account the caller can see."""
    principal.require(Scope.CARDS_WRITE)
    account = accounts.get(session, account_id, visibility=principal.visibility)
    if account is None:
        raise NotFound("Account not found.", details={"field": "account_id"})
    if account.status != AccountStatus.ACTIVE.value:
        raise AccountInactive(details={"account_id": account.id, "status": account.status})
    name = _cardholder_name(session, account.holder_id, cardholder_name)
    firm = firms.get_firm(session, account.firm_id)
    expiry = month_end(now.year + VALIDITY_YEARS, now.month)
    for _ in range(MAX_DRAWS):
        number = validate_card_number(_draw_number(firm))
        fingerprint = card_store.card_fingerprint(keyring, firm_id=firm.id, number=number.number)
        if vault.fingerprint_exists(session, firm_id=firm.id, fingerprint=fingerprint):
            continue
        reference = _new_reference() if type is CardType.PHYSICAL else None
        try:
            with session.begin_nested():
                vault_card = card_store.store_card(
                    session,
                    keyring,
                    firm_id=firm.id,
                    holder_id=account.holder_id,
                    card=number,
                    expiry=expiry,
                    cardholder_name=name,
                    source=card_store.SOURCE_ISSUED,
                    fingerprint=fingerprint,
                    now=now,
                )
                session.flush()
                card = repository.add(
                    session,
                    Card(
                        id=new_id("card"),
                        firm_id=firm.id,
                        account_id=account.id,
                        holder_id=account.holder_id,
                        vault_card_id=vault_card.id,
                        type=type.value,
                        status=CardStatus.ACTIVE.value,
                        reference=reference,
                        created_at=now,
                        updated_at=now,
                    ),
                )
                session.flush()
        except IntegrityError:
            # A concurrent issuance drew the same number or reference: draw again.
            continue
        break
    else:  # pragma: no cover - needs MAX_DRAWS collisions in a row
        raise ValidationFailed.single(
            "account_id", "No free card number is left in the firm's BIN range."
        )
    record_event(
        session,
        firm_id=firm.id,
        type=EventType.CARD_ISSUED,
        data=card_event_data(card, vault_card),
        now=now,
    )
    audit.record(
        session,
        firm_id=firm.id,
        actor=principal,
        action="card.issued",
        target_type="card",
        target_id=card.id,
        data={"type": card.type, "brand": vault_card.brand, "last4": vault_card.last4},
        now=now,
    )
    return IssuedCard(card, vault_card)


def _visible(
    session: Session, principal: Principal, card_id: str, *, lock: bool = False
) -> IssuedCard:
    found = repository.get(
        session,
        card_id,
        visibility=principal.visibility,
        lock=lock,
    )
    if found is None:
        raise NotFound("Card not found.")
    return IssuedCard(*found)


def get_card(session: Session, *, principal: Principal, card_id: str) -> IssuedCard:
    """One card visible to the caller, with its delivery status; 404 otherwise."""
    principal.require(Scope.CARDS_READ)
    (card,) = _with_deliveries(session, [_visible(session, principal, card_id)])
    return card


def list_cards(
    session: Session,
    *,
    principal: Principal,
    account_id: str | None,
    status: CardStatus | None,
    page: PageParams,
) -> Page[IssuedCard]:
    """The cards visible to the caller, newest first."""
    principal.require(Scope.CARDS_READ)
    rows, total = repository.page(
        session,
        visibility=principal.visibility,
        account_id=account_id,
        status=status.value if status else None,
        limit=page.limit,
        offset=page.offset,
    )
    items = _with_deliveries(session, [IssuedCard(*row) for row in rows])
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


def change_status(
    session: Session, *, principal: Principal, card_id: str, status: CardStatus, now: datetime
) -> IssuedCard:
    """Block, unblock or close a card (409 ``invalid_status_transition`` otherwise)."""
    principal.require(Scope.CARDS_WRITE)
    found = _visible(session, principal, card_id, lock=True)
    card = found.card
    current = CardStatus(card.status)
    if current is status:
        return _with_deliveries(session, [found])[0]
    if (current, status) not in _TRANSITIONS:
        raise InvalidStatusTransition(current=current.value, requested=status.value)
    if principal.is_customer and (current, status) not in _CUSTOMER_TRANSITIONS:
        raise Forbidden("Only the firm can unblock a card.")
    card.status = status.value
    card.updated_at = now
    session.flush()
    data = card_event_data(card, found.vault_card)
    data["previous_status"] = current.value
    record_event(
        session, firm_id=card.firm_id, type=EventType.CARD_STATUS_CHANGED, data=data, now=now
    )
    audit.record(
        session,
        firm_id=card.firm_id,
        actor=principal,
        action="card.status_changed",
        target_type="card",
        target_id=card.id,
        data={"from": current.value, "to": status.value},
        now=now,
    )
    return _with_deliveries(session, [found])[0]
