"""Card delivery statuses: what couriers' files say of a card, for card reads and lookups.

A card's status is folded from its stored events (``rules.fold_status``); imports keep a
summary of it current (``card_delivery_statuses``) so that a page of cards needs one query.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from tessera.cards import repository as cards
from tessera.deliveries.rules import StatusEvent, fold_status, is_card_id
from tessera.deliveries.status import queries
from tessera.errors import Forbidden, NotFound, ValidationFailed
from tessera.firms import service as firms
from tessera.kit.phone import InvalidPhone, normalize_phone
from tessera.models import CardDeliveryStatus
from tessera.principal import Principal, Scope


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One event of a card's delivery, as the API shows it."""

    event: str
    at: datetime
    comment: str | None
    source: str


@dataclass(frozen=True, slots=True)
class DeliveryView:
    """A card's delivery status: what ``GET /v1/cards/{id}`` shows as ``delivery``."""

    status: str
    status_at: datetime
    delivery_attempts: int
    history: list[HistoryEntry]


@dataclass(frozen=True, slots=True)
class CardStatusView:
    """A courier card id with its phone and delivery status."""

    card_id: str
    phone: str
    delivery: DeliveryView


@dataclass(frozen=True, slots=True)
class CurrentDelivery:
    """A card's current delivery status, without its history (for card reads)."""

    status: str
    status_at: datetime
    delivery_attempts: int


def current_deliveries(
    session: Session, *, firm_id: str, references: Iterable[str]
) -> dict[str, CurrentDelivery]:
    """The current delivery status of the cards couriers know by these references, if any.

    One query for a whole page of issued cards. The caller has checked visibility.
    """
    wanted = {ref: ref.strip().upper() for ref in references}
    wanted = {ref: card_id for ref, card_id in wanted.items() if is_card_id(card_id)}
    if not wanted:
        return {}
    rows = queries.statuses_for(session, firm_id=firm_id, card_ids=set(wanted.values()))
    return {
        ref: CurrentDelivery(
            status=rows[card_id].status,
            status_at=rows[card_id].status_at,
            delivery_attempts=int(rows[card_id].delivery_attempts),
        )
        for ref, card_id in wanted.items()
        if card_id in rows
    }


def delivery_for_reference(
    session: Session, *, firm_id: str, reference: str
) -> DeliveryView | None:
    """The delivery status of the card couriers know as ``reference`` in a firm, or None.

    For ``GET /v1/cards/{id}``: a physical card's ``reference`` is the card id in courier files.
    The caller has already checked that the card is visible to its principal.
    """
    card_id = reference.strip().upper()
    if not is_card_id(card_id):
        return None
    return _delivery_of(session, firm_id=firm_id, card_id=card_id)


def _delivery_of(session: Session, *, firm_id: str, card_id: str) -> DeliveryView | None:
    events = queries.events_of_card(session, firm_id=firm_id, card_id=card_id)
    if not events:
        return None
    folded = fold_status(
        StatusEvent(e.event, e.occurred_at, e.comment, e.import_id) for e in events
    )
    return DeliveryView(
        status=folded.status,
        status_at=folded.status_at,
        delivery_attempts=folded.delivery_attempts,
        history=[HistoryEntry(e.event, e.occurred_at, e.comment, e.source) for e in folded.history],
    )


def card_status(
    session: Session,
    *,
    principal: Principal,
    card_id: str | None,
    phone: str | None,
    phone_field: str = "phone",
) -> list[CardStatusView]:
    """The delivery status of a card, by courier card id or by phone (any common format).

    Both given means both must match. Looking up by phone is for firm staff and machine clients
    (``deliveries:read``): a customer gets 403 for it, since the phone on their profile is never
    verified and anyone can sign up with someone else's. A customer sees only the cards issued
    to them, by card id (the card's ``reference``); any other card is a 404. 404 when nothing
    matches; 422 when neither or a malformed value is given.
    """
    principal.require(Scope.DELIVERIES_READ)
    if principal.is_customer and phone is not None and phone.strip():
        raise Forbidden(
            f"Look up your cards by card_id; looking up by {phone_field} is for firm staff.",
            details={"parameter": phone_field},
        )
    wanted_card, wanted_phone = _lookup_keys(
        session, principal, card_id=card_id, phone=phone, phone_field=phone_field
    )
    visibility = principal.visibility
    # Statuses carry no holder: a customer's are those whose card reference is theirs.
    firms = visibility.firm_wide()
    found: list[CardDeliveryStatus] = []
    if wanted_card is not None:
        found = queries.status_by_card(session, visibility=firms, card_id=wanted_card)
        if wanted_phone is not None:
            found = [s for s in found if s.phone == wanted_phone]
    elif wanted_phone is not None:
        found = queries.statuses_by_phone(session, visibility=firms, phone=wanted_phone)
    holder_id = visibility.holder_id
    if holder_id is not None:
        found = [
            s
            for s in found
            if cards.holder_has_reference(
                session, firm_id=s.firm_id, holder_id=holder_id, reference=s.card_id
            )
        ]
    views: list[CardStatusView] = []
    for status in found:
        delivery = _delivery_of(session, firm_id=status.firm_id, card_id=status.card_id)
        if delivery is not None:
            views.append(CardStatusView(status.card_id, status.phone, delivery))
    if not views:
        raise NotFound("No delivery is known for this card or phone.")
    return views


def _lookup_keys(
    session: Session,
    principal: Principal,
    *,
    card_id: str | None,
    phone: str | None,
    phone_field: str,
) -> tuple[str | None, str | None]:
    card = card_id.strip().upper() if card_id is not None and card_id.strip() else None
    raw_phone = phone.strip() if phone is not None and phone.strip() else None
    if card is None and raw_phone is None:
        raise ValidationFailed(
            [
                {"field": "card_id", "message": f"Give card_id or {phone_field}."},
                {"field": phone_field, "message": f"Give card_id or {phone_field}."},
            ],
            message="Give a card id or a phone number.",
        )
    if card is not None and not is_card_id(card):
        raise ValidationFailed.single(
            "card_id", "A card id is 1 to 64 printable characters without spaces."
        )
    normalized = None
    if raw_phone is not None:
        region = firms.get_firm(session, principal.firm_id).phone_region
        try:
            normalized = normalize_phone(raw_phone, region=region)
        except InvalidPhone as exc:
            raise ValidationFailed.single(phone_field, "Not a valid phone number.") from exc
    return card, normalized
