"""A DNS domain a firm declared as its own: no other firm is certified for a name under it."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tessera.models.base import ID_LENGTH, Base, created_at_column, firm_column, id_column

# RFC 1035: a name is at most 253 characters written out.
DNS_NAME_LENGTH = 253


class FirmDomain(Base):
    __tablename__ = "firm_domains"

    id: Mapped[str] = id_column()
    firm_id: Mapped[str] = firm_column()
    # Lower-case, no wildcard, at least two labels; unique, so two firms never declare one domain.
    domain: Mapped[str] = mapped_column(sa.String(DNS_NAME_LENGTH), unique=True)
    # The domain without its first label: finds the domains a wildcard `*.<parent>` covers.
    parent: Mapped[str] = mapped_column(sa.String(DNS_NAME_LENGTH), index=True)
    created_by: Mapped[str | None] = mapped_column(sa.String(ID_LENGTH))
    created_at: Mapped[datetime] = created_at_column()
