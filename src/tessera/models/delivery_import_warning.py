"""A line of an import that was imported with a warning (a phone kept as written), and why."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tessera.models.base import ID_LENGTH, Base
from tessera.models.delivery_import_rejection import BIGINT_ID


class DeliveryImportWarning(Base):
    __tablename__ = "delivery_import_warnings"

    id: Mapped[int] = mapped_column(BIGINT_ID, primary_key=True, autoincrement=True)
    firm_id: Mapped[str] = mapped_column(
        sa.String(ID_LENGTH), sa.ForeignKey("firms.id", ondelete="RESTRICT")
    )
    import_id: Mapped[str] = mapped_column(
        sa.String(ID_LENGTH), sa.ForeignKey("delivery_imports.id", ondelete="CASCADE")
    )
    row: Mapped[int] = mapped_column(sa.Integer)
    message: Mapped[str] = mapped_column(sa.String(500))

    __table_args__ = (sa.Index("ix_delivery_import_warnings_import_id_row", "import_id", "row"),)
