"""A partner firm: the tenant that owns every other row."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column

from tessera.models.base import Base, created_at_column, id_column

DEFAULT_FIRM_ID = "firm_default"
DEFAULT_FIRM_SLUG = "default"


def _same_as_issuing_bin(context: DefaultExecutionContext) -> str:
    # A one-BIN range unless told otherwise; SQLAlchemy leaves this method untyped.
    parameters = context.get_current_parameters()  # type: ignore[no-untyped-call]
    return str(parameters["issuing_bin"])


class Firm(Base):
    __tablename__ = "firms"

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(sa.String(200))
    slug: Mapped[str] = mapped_column(sa.String(63), unique=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="active")
    auto_approve_registrations: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    # Certificates with IP address SANs: nobody owns an address (10.0.0.1 is everyone's), so
    # they are refused unless a platform admin allows them for the firm.
    allow_ip_sans: Mapped[bool] = mapped_column(
        sa.Boolean, default=False, server_default=sa.false()
    )
    # Issued cards get numbers whose BIN lies in issuing_bin..issuing_bin_end: two prefixes of
    # the same length (6 to 8 digits); a one-BIN range has both ends equal.
    issuing_bin: Mapped[str] = mapped_column(sa.String(8), default="400012")
    issuing_bin_end: Mapped[str] = mapped_column(sa.String(8), default=_same_as_issuing_bin)
    # Couriers' files from this firm's partners: default phone region and time zone.
    phone_region: Mapped[str] = mapped_column(sa.String(2), default="AE")
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Asia/Dubai")
    created_at: Mapped[datetime] = created_at_column()

    __table_args__ = (
        sa.CheckConstraint("status IN ('active', 'suspended')", name="status"),
        sa.CheckConstraint("length(slug) >= 2", name="slug_length"),
        sa.CheckConstraint(
            "length(issuing_bin) BETWEEN 6 AND 8 AND ltrim(issuing_bin, '0123456789') = '' "
            "AND length(issuing_bin_end) = length(issuing_bin) "
            "AND ltrim(issuing_bin_end, '0123456789') = '' AND issuing_bin_end >= issuing_bin",
            name="issuing_bin_range",
        ),
    )
