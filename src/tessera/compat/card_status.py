"""``GET /get_card_status`` from the card status service (seed 004), over the deliveries service.

The source document's shape: one card, its phone as the national number, its status spelt
``Picked Up``, ``Delivered``...; the lookup and its access rules are ``deliveries.status``'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

import phonenumbers
from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy.orm import Session

from tessera.deliveries.rules import DeliveryEvent
from tessera.deliveries.status import service
from tessera.deps import CurrentPrincipal, SessionDep, TransactionalRoute
from tessera.principal import Principal

router = APIRouter(tags=["paths kept from the source documents"], route_class=TransactionalRoute)

_LABELS: dict[str, str] = {
    DeliveryEvent.PICKED_UP: "Picked Up",
    DeliveryEvent.DELIVERY_EXCEPTION: "Delivery Exception",
    DeliveryEvent.DELIVERED: "Delivered",
    DeliveryEvent.RETURNED: "Returned",
}


def compat_status_label(status: str) -> str:
    """The status as the legacy ``/get_card_status`` endpoint spells it (``Picked Up``...)."""
    try:
        return _LABELS[status]
    except KeyError:
        raise ValueError(f"Unknown delivery status {status!r}.") from None


@dataclass(frozen=True, slots=True)
class LegacyCardStatus:
    """The answer of the source document's ``/get_card_status``."""

    card_id: str
    user_phone: str
    status: str
    last_updated: datetime


def legacy_card_status(
    session: Session, *, principal: Principal, card_id: str | None, user_phone: str | None
) -> LegacyCardStatus:
    """``/get_card_status``: one card by id and/or phone, its status spelt ``Picked Up``...

    The phone comes back as the source document wrote it: the national number without the
    country code (``585949014``). A phone with several cards gives the most recently updated.
    """
    views = service.card_status(
        session, principal=principal, card_id=card_id, phone=user_phone, phone_field="user_phone"
    )
    view = max(views, key=lambda v: (v.delivery.status_at, v.card_id))
    return LegacyCardStatus(
        card_id=view.card_id,
        user_phone=_national_number(view.phone),
        status=compat_status_label(view.delivery.status),
        last_updated=view.delivery.status_at,
    )


def _national_number(phone: str) -> str:
    # A phone the courier's file got wrong is kept as written, and shown so.
    if not phone.startswith("+"):
        return phone
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return phone
    return str(phonenumbers.national_significant_number(number))


class LegacyCardStatusRead(BaseModel):
    """The source document's answer: status spelt ``Picked Up``, ``Delivered``..."""

    card_id: str
    user_phone: str
    status: str
    last_updated: datetime

    @classmethod
    def of(cls, status: LegacyCardStatus) -> LegacyCardStatusRead:
        return cls(
            card_id=status.card_id,
            user_phone=status.user_phone,
            status=status.status,
            last_updated=status.last_updated,
        )


@router.get(
    "/get_card_status",
    response_model=LegacyCardStatusRead,
    responses={
        404: {"description": "No card matches (both parameters given: both must match)."},
        422: {"description": "Neither parameter, or a malformed one."},
    },
)
def get_card_status(
    session: SessionDep,
    principal: CurrentPrincipal,
    card_id: Annotated[str | None, Query(max_length=64)] = None,
    user_phone: Annotated[
        str | None, Query(max_length=32, description="The phone, e.g. 585949014.")
    ] = None,
) -> LegacyCardStatusRead:
    """A card's status as the source document answered it (`Picked Up`, `Delivered`...)."""
    return LegacyCardStatusRead.of(
        legacy_card_status(session, principal=principal, card_id=card_id, user_phone=user_phone)
    )
