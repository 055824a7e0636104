"""An uploaded file kept in the database, in pieces, until its import completes.

Kept in the database rather than on local disk so that any worker, on any host, can process a
queued import and resume one whose process died.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tessera.models.base import ID_LENGTH, Base


class DeliveryImportChunk(Base):
    __tablename__ = "delivery_import_chunks"

    import_id: Mapped[str] = mapped_column(
        sa.String(ID_LENGTH),
        sa.ForeignKey("delivery_imports.id", ondelete="CASCADE"),
        primary_key=True,
    )
    seq: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    firm_id: Mapped[str] = mapped_column(
        sa.String(ID_LENGTH), sa.ForeignKey("firms.id", ondelete="RESTRICT")
    )
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
