"""The states of a card registration, and what makes two registration requests the same."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel


class RegistrationStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class RegistrationIdentity(BaseModel):
    """What makes two registration requests "the same" for Idempotency-Key replays.

    The card number is replaced by its keyed fingerprint and the CVV left out, so that the
    stored request hash cannot be brute-forced back to a card number or a CVV.
    """

    card_fingerprint: str
    expiry_date: str
    cvv_given: bool
    cardholder_name: str
    holder_id: str | None
    external_ref: str | None
