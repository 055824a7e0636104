"""One event a courier reported about a card, stored once per firm whatever the files."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tessera.models.base import ID_LENGTH, Base, UTCDateTime
from tessera.models.delivery_import_rejection import BIGINT_ID


class CardDeliveryEvent(Base):
    __tablename__ = "delivery_events"

    # An integer key: rows are written in batches of thousands, never shown by id.
    id: Mapped[int] = mapped_column(BIGINT_ID, primary_key=True, autoincrement=True)
    # No index of its own: the natural key below starts with it.
    firm_id: Mapped[str] = mapped_column(
        sa.String(ID_LENGTH), sa.ForeignKey("firms.id", ondelete="RESTRICT")
    )
    card_id: Mapped[str] = mapped_column(sa.String(64))
    # E.164, or as the file wrote it when it is not a valid number (see parsing.ParsedRow).
    phone: Mapped[str] = mapped_column(sa.String(64))
    event: Mapped[str] = mapped_column(sa.String(24))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    comment: Mapped[str | None] = mapped_column(sa.String(500))
    record_id: Mapped[str | None] = mapped_column(sa.String(64))
    # The import that first reported it, and the line it was on.
    import_id: Mapped[str] = mapped_column(sa.String(ID_LENGTH))
    row: Mapped[int] = mapped_column(sa.Integer)

    # The natural key: the same event, card and UTC instant (what parsing.natural_key hashes)
    # is stored once per firm. Kept as columns rather than as the hash so that the index grows
    # in card order instead of at random places (a random 64-character key made every batch of
    # a large import dirty most of the index), and it serves the history lookup as well.
    __table_args__ = (
        sa.UniqueConstraint(
            "firm_id", "card_id", "occurred_at", "event", name="uq_delivery_events_natural_key"
        ),
    )
