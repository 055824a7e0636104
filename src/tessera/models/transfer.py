"""A transfer between two accounts of one firm, pointing at its two ledger rows."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tessera.models.base import ID_LENGTH, Base, created_at_column, firm_column, id_column


class Transfer(Base):
    __tablename__ = "transfers"

    id: Mapped[str] = id_column()
    firm_id: Mapped[str] = firm_column()
    from_account_id: Mapped[str] = mapped_column(
        sa.String(ID_LENGTH), sa.ForeignKey("accounts.id", ondelete="RESTRICT"), index=True
    )
    to_account_id: Mapped[str] = mapped_column(
        sa.String(ID_LENGTH), sa.ForeignKey("accounts.id", ondelete="RESTRICT"), index=True
    )
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3))
    description: Mapped[str | None] = mapped_column(sa.String(500))
    debit_transaction_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH))
    credit_transaction_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH))
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.CheckConstraint("from_account_id <> to_account_id", name="distinct_accounts"),
    )
