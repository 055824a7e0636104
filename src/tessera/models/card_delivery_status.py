"""A card's current delivery status, kept up to date as events arrive (for lookups and events)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tessera.models.base import ID_LENGTH, Base, UTCDateTime


class CardDeliveryStatus(Base):
    __tablename__ = "card_delivery_statuses"

    firm_id: Mapped[str] = mapped_column(
        sa.String(ID_LENGTH), sa.ForeignKey("firms.id", ondelete="RESTRICT"), primary_key=True
    )
    card_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    # The phone of the card's latest event (a corrected phone in a later file wins): E.164,
    # or as the file wrote it when it is not a valid number (see parsing.ParsedRow).
    phone: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(24))
    status_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivery_attempts: Mapped[int] = mapped_column(sa.Integer)
    latest_event: Mapped[str] = mapped_column(sa.String(24))
    latest_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (sa.Index("ix_card_delivery_statuses_firm_id_phone", "firm_id", "phone"),)
