"""Request and response bodies of the account routes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class AccountType(StrEnum):
    CHECKING = "checking"
    SAVINGS = "savings"


class AccountStatus(StrEnum):
    ACTIVE = "active"
    FROZEN = "frozen"
    CLOSED = "closed"


class AccountCreate(BaseModel):
    """A new account."""

    model_config = ConfigDict(extra="forbid")

    type: AccountType
    currency: str = Field(min_length=3, max_length=3, examples=["USD"])
    holder_id: str | None = Field(
        default=None, description="Staff only; a customer's account is always their own."
    )


class AccountUpdate(BaseModel):
    """A status change."""

    model_config = ConfigDict(extra="forbid")

    status: AccountStatus


class AccountRead(BaseModel):
    """An account with its current balance in minor units."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    holder_id: str
    type: AccountType
    currency: str
    balance: int
    status: AccountStatus
    created_at: datetime
