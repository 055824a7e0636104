"""What the API shows of vault cards."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from tessera.kit.card_numbers import Brand


class VaultCardRead(BaseModel):
    """A card as the vault shows it: token, brand, BIN, last four, expiry, name; no number."""

    model_config = ConfigDict(from_attributes=True)

    token: str
    brand: Brand
    bin: str
    last4: str
    expiry: date
    cardholder_name: str


class MaskedCardRead(VaultCardRead):
    """A vault card with its masked number (BIN, stars, last four)."""

    masked_number: str
    source: str
    created_at: datetime


class RevealedCard(BaseModel):
    """The full card number: only from the audited reveal endpoint."""

    card_number: str
