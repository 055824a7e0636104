"""A DNS name a certificate carries, kept apart so that names can be looked up across firms.

A firm holds a name while one of its certificates carrying it is neither revoked nor expired;
``certificates.names`` refuses that name (and any wildcard covering it, or covered by it) to
every other firm. ``parent`` is the name without its first label, so that a wildcard
``*.<parent>`` and the names it covers are found by one indexed lookup.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tessera.models.base import ID_LENGTH, Base, firm_column
from tessera.models.firm_domain import DNS_NAME_LENGTH


class CertificateName(Base):
    __tablename__ = "certificate_names"

    certificate_id: Mapped[str] = mapped_column(
        sa.String(ID_LENGTH),
        sa.ForeignKey("certificates.id", ondelete="CASCADE"),
        primary_key=True,
    )
    name: Mapped[str] = mapped_column(sa.String(DNS_NAME_LENGTH), primary_key=True, index=True)
    firm_id: Mapped[str] = firm_column()
    parent: Mapped[str | None] = mapped_column(sa.String(DNS_NAME_LENGTH), index=True)
