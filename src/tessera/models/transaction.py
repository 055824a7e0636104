"""One movement on one account; a transfer is a transfer_out row plus a transfer_in row."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tessera.models.base import ID_LENGTH, Base, created_at_column, firm_column, id_column


class TransactionType(StrEnum):
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    TRANSFER_IN = "transfer_in"
    TRANSFER_OUT = "transfer_out"

    @property
    def is_credit(self) -> bool:
        return self in (TransactionType.DEPOSIT, TransactionType.TRANSFER_IN)


class LedgerTransaction(Base):
    __tablename__ = "transactions"

    id: Mapped[str] = id_column()
    firm_id: Mapped[str] = firm_column()
    account_id: Mapped[str] = mapped_column(
        sa.String(ID_LENGTH), sa.ForeignKey("accounts.id", ondelete="RESTRICT")
    )
    type: Mapped[str] = mapped_column(sa.String(16))
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3))
    balance_after: Mapped[int] = mapped_column(sa.BigInteger)
    description: Mapped[str | None] = mapped_column(sa.String(500))
    transfer_id: Mapped[str | None] = mapped_column(sa.String(ID_LENGTH), index=True)
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.CheckConstraint("balance_after >= 0", name="balance_after_not_negative"),
        sa.CheckConstraint(
            "type IN ('deposit', 'withdrawal', 'transfer_in', 'transfer_out')", name="type"
        ),
        sa.Index("ix_transactions_account_id_created_at", "account_id", "created_at", "id"),
    )
