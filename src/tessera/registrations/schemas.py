"""Request and response bodies of the card registration routes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from tessera.kit.text import FreeText, FreeTextBlock, PlainText
from tessera.registrations.domain import RegistrationStatus
from tessera.vault.schemas import VaultCardRead


class RegistrationCreate(BaseModel):
    """A card to register. The CVV, when given, is checked and then dropped."""

    model_config = ConfigDict(extra="forbid")

    card_number: PlainText = Field(
        min_length=1, max_length=64, description="Digits; spaces and dashes are allowed."
    )
    expiry_date: PlainText = Field(
        min_length=1,
        max_length=32,
        description="MM/YY, MM/YYYY or YYYY-MM-DD; stored as the last day of its month.",
        examples=["12/27"],
    )
    cvv: PlainText | None = Field(
        default=None,
        max_length=8,
        description="3 digits (4 for American Express); checked, never stored or logged.",
    )
    cardholder_name: FreeText = Field(max_length=200, description="At least 3 characters.")
    holder_id: PlainText | None = Field(
        default=None, max_length=40, description="Staff only: the account holder it belongs to."
    )
    external_ref: PlainText | None = Field(
        default=None, max_length=255, description="The firm's own reference."
    )


class RegistrationDecision(BaseModel):
    """An optional note on an approval."""

    model_config = ConfigDict(extra="forbid")

    reason: FreeTextBlock | None = Field(default=None, max_length=500)


class RegistrationRejection(BaseModel):
    """Why a registration is rejected."""

    model_config = ConfigDict(extra="forbid")

    reason: FreeTextBlock = Field(min_length=1, max_length=500)


class RegistrationRead(BaseModel):
    """A registration and its masked card."""

    id: str
    status: RegistrationStatus
    reason: str | None
    decided_at: datetime | None
    holder_id: str | None
    external_ref: str | None
    card: VaultCardRead
    created_at: datetime
