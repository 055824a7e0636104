"""Request and response bodies of the issued-card routes."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from tessera.cards.domain import CardStatus, CardType
from tessera.deliveries.rules import DeliveryEvent
from tessera.kit.card_numbers import Brand
from tessera.kit.text import FreeText, PlainText


class CardCreate(BaseModel):
    """A card to issue on an account."""

    model_config = ConfigDict(extra="forbid")

    account_id: PlainText = Field(min_length=1, max_length=40)
    type: CardType
    cardholder_name: FreeText | None = Field(
        default=None,
        max_length=200,
        description="Printed on the card; the account holder's name when absent.",
    )


class CardUpdate(BaseModel):
    """A status change: block, unblock or close."""

    model_config = ConfigDict(extra="forbid")

    status: CardStatus


class CardDeliveryRead(BaseModel):
    """Where a physical card is, from the couriers' files."""

    status: DeliveryEvent
    status_at: datetime | None
    delivery_attempts: int


class CardRead(BaseModel):
    """An issued card; never its full number (the vault reveals it, audited, to firm admins)."""

    id: str
    account_id: str
    holder_id: str
    type: CardType
    brand: Brand
    last4: str
    expiry: date
    status: CardStatus
    reference: str | None = Field(description="Physical cards: the id couriers use.")
    cardholder_name: str
    token: str = Field(description="The card's vault token.")
    created_at: datetime
    updated_at: datetime
    delivery: CardDeliveryRead | None = Field(
        default=None, description="Physical cards: the latest delivery status, when known."
    )
