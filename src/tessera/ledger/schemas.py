"""Request and response bodies of the money routes."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from tessera.kit.text import FreeText, PlainText
from tessera.ledger.domain import MovementType
from tessera.models.transaction import TransactionType

MAX_AMOUNT = 10**15  # minor units; keeps every sum far inside a 64-bit integer


class TransactionCreate(BaseModel):
    """A deposit or a withdrawal, in minor units of the account's currency."""

    model_config = ConfigDict(extra="forbid")

    account_id: PlainText = Field(min_length=1, max_length=40)
    type: MovementType
    amount: int = Field(
        strict=True, gt=0, le=MAX_AMOUNT, description="Minor units (1050 = 10.50 USD)."
    )
    currency: PlainText = Field(min_length=3, max_length=3)
    description: FreeText | None = Field(default=None, max_length=500)


class TransactionRead(BaseModel):
    """One ledger row."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    account_id: str
    type: TransactionType
    amount: int
    currency: str
    balance_after: int
    description: str | None
    created_at: datetime


class TransferCreate(BaseModel):
    """A transfer between two accounts of the same firm."""

    model_config = ConfigDict(extra="forbid")

    from_account_id: PlainText = Field(min_length=1, max_length=40)
    to_account_id: PlainText = Field(min_length=1, max_length=40)
    amount: int = Field(strict=True, gt=0, le=MAX_AMOUNT, description="Minor units.")
    currency: PlainText = Field(min_length=3, max_length=3)
    description: FreeText | None = Field(default=None, max_length=500)


class TransferRead(BaseModel):
    """A completed transfer and its two ledger rows."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    from_account_id: str
    to_account_id: str
    amount: int
    currency: str
    description: str | None
    created_at: datetime
    debit_transaction_id: str
    credit_transaction_id: str


class StatementLine(BaseModel):
    """A transaction as a statement shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    type: TransactionType
    amount: int
    currency: str
    balance_after: int
    description: str | None
    created_at: datetime
    counterparty_account_id: str | None = Field(
        default=None,
        description="Transfers: the other account (the payer of a transfer_in, the payee of a "
        "transfer_out).",
    )


class StatementRead(BaseModel):
    """An account statement for a period (dates inclusive, UTC)."""

    account_id: str
    currency: str
    balance: int
    generated_at: datetime
    from_: date | None = Field(serialization_alias="from", validation_alias="from")
    to: date | None
    opening_balance: int
    closing_balance: int
    total_credits: int
    total_debits: int
    transactions: list[StatementLine]
