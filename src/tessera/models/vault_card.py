"""A card number in the vault: encrypted, with only its BIN, last four digits and brand in clear.

Registered cards and issued cards both keep their numbers here, so there is one place to
encrypt, one place to rotate keys and one place that can reveal a number.

The database itself refuses bad data, whatever code writes it (the source document's point):
CHECK constraints on the name, BIN, last four, brand and length, and, because they need
dialect-specific SQL, the month-end expiry check and the "not expired at insert" trigger are
created by the migration (``2026_11_23_0002_cards``).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tessera.models.base import ID_LENGTH, Base, created_at_column, firm_column, id_column

CARD_SOURCES = ("registration", "issued")
CARD_BRANDS = ("visa", "mastercard", "amex", "discover", "jcb", "diners", "unionpay", "maestro")


class VaultCard(Base):
    __tablename__ = "vault_cards"

    id: Mapped[str] = id_column()
    firm_id: Mapped[str] = firm_column()
    # The account holder the card belongs to, when known; customers see only their own cards.
    holder_id: Mapped[str | None] = mapped_column(
        sa.String(ID_LENGTH), sa.ForeignKey("account_holders.id", ondelete="RESTRICT"), index=True
    )
    token: Mapped[str] = mapped_column(sa.String(ID_LENGTH), unique=True)
    # Keyed HMAC-SHA256 of the number, per firm: duplicate checks and lookups by number.
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    source: Mapped[str] = mapped_column(sa.String(16))
    brand: Mapped[str] = mapped_column(sa.String(16))
    bin: Mapped[str] = mapped_column(sa.String(6))
    last4: Mapped[str] = mapped_column(sa.String(4))
    pan_length: Mapped[int] = mapped_column(sa.SmallInteger)
    expiry: Mapped[date] = mapped_column(sa.Date)
    cardholder_name: Mapped[str] = mapped_column(sa.String(100))
    key_version: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey("vault_keys.version", ondelete="RESTRICT")
    )
    sealed_number: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (
        sa.CheckConstraint("length(trim(cardholder_name)) >= 3", name="cardholder_name_length"),
        sa.CheckConstraint("length(bin) = 6 AND ltrim(bin, '0123456789') = ''", name="bin_format"),
        sa.CheckConstraint(
            "length(last4) = 4 AND ltrim(last4, '0123456789') = ''", name="last4_format"
        ),
        sa.CheckConstraint("pan_length BETWEEN 12 AND 19", name="pan_length"),
        sa.CheckConstraint(
            "brand IN (" + ", ".join(f"'{b}'" for b in CARD_BRANDS) + ")", name="brand"
        ),
        sa.CheckConstraint(
            "source IN (" + ", ".join(f"'{s}'" for s in CARD_SOURCES) + ")", name="source"
        ),
        sa.Index("ix_vault_cards_firm_id_fingerprint", "firm_id", "fingerprint"),
        sa.Index("ix_vault_cards_key_version_id", "key_version", "id"),
        # An issued number is unique in its firm (registered cards may repeat once rejected).
        sa.Index(
            "uq_vault_cards_issued_fingerprint",
            "firm_id",
            "fingerprint",
            unique=True,
            sqlite_where=sa.text("source = 'issued'"),
            postgresql_where=sa.text("source = 'issued'"),
        ),
    )
