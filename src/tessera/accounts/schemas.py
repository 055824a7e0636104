"""Request and response bodies of the account routes."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    computed_field,
    model_validator,
)

from tessera.accounts.domain import AccountStatus, AccountType
from tessera.kit.text import FreeText, PlainText


class AccountCreate(BaseModel):
    """A new account."""

    model_config = ConfigDict(extra="forbid")

    type: AccountType
    currency: PlainText = Field(min_length=3, max_length=3, examples=["USD"])
    holder_id: PlainText | None = Field(
        default=None, description="Staff only; a customer's account is always their own."
    )


AccountName = Annotated[
    FreeText, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)
]


def short_number(account_id: str) -> str:
    """Four digits that tell a holder's accounts apart on screen ("Checking 4821").

    Derived from the opaque id, so every account has one without storing it; it names, it does
    not identify (the id does), and a holder with two accounts of the same four digits can name
    them.
    """
    digest = hashlib.sha256(account_id.encode()).digest()
    return f"{int.from_bytes(digest[:4], 'big') % 10_000:04d}"


class AccountUpdate(BaseModel):
    """A status change, a new name, or both; absent fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    status: AccountStatus | None = None
    name: AccountName | None = Field(
        default=None, description="The holder's name for the account; null removes it."
    )

    @model_validator(mode="after")
    def _something(self) -> Self:
        if not self.model_fields_set & {"status", "name"}:
            raise ValueError("Give `status`, `name` or both.")
        if "status" in self.model_fields_set and self.status is None:
            raise ValueError("`status` cannot be null.")
        return self


class AccountRead(BaseModel):
    """An account with its current balance in minor units."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    holder_id: str
    type: AccountType
    currency: str
    balance: int
    status: AccountStatus
    name: str | None = Field(default=None, description="The holder's name for it, if any.")
    created_at: datetime

    @computed_field(description="Four digits for telling accounts apart on screen.")  # type: ignore[prop-decorator]
    @property
    def number(self) -> str:
        return short_number(self.id)
