"""A rejected line of an import: its line number and the reason. Every one is kept."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tessera.models.base import ID_LENGTH, Base

BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class DeliveryImportRejection(Base):
    __tablename__ = "delivery_import_rejections"

    id: Mapped[int] = mapped_column(BIGINT_ID, primary_key=True, autoincrement=True)
    firm_id: Mapped[str] = mapped_column(
        sa.String(ID_LENGTH), sa.ForeignKey("firms.id", ondelete="RESTRICT")
    )
    import_id: Mapped[str] = mapped_column(
        sa.String(ID_LENGTH), sa.ForeignKey("delivery_imports.id", ondelete="CASCADE")
    )
    row: Mapped[int] = mapped_column(sa.Integer)
    message: Mapped[str] = mapped_column(sa.String(500))

    __table_args__ = (sa.Index("ix_delivery_import_rejections_import_id_row", "import_id", "row"),)
