"""A certificate authority of the deployment's PKI: the root, or an issuing intermediate.

One root per deployment signs one issuing intermediate per firm (``firm_id``), so that a relying
party can trust one firm's certificates without trusting every firm's. The root, and the
intermediates that signed every firm's certificates before firms had their own (migration
0006 retired them; they keep signing their CRLs), carry no firm. The private key is stored only
sealed by the vault's key ring (``sealed_private_key``); the certificate and the current CRL
are public.

``(kind, generation)`` is unique: the root is always generation 1 and each new intermediate, of
whichever firm, takes the next generation of the deployment, so two processes that initialise
or rotate at the same moment collide on the index instead of creating two hierarchies.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column

from tessera.models.base import ID_LENGTH, Base, UTCDateTime, created_at_column, id_column


class AuthorityKind(StrEnum):
    ROOT = "root"
    INTERMEDIATE = "intermediate"


class AuthorityStatus(StrEnum):
    # Active: the intermediate new certificates are issued by. Retired: issues nothing new, but
    # still signs the CRL of the certificates it issued until it expires.
    ACTIVE = "active"
    RETIRED = "retired"


class CertificateAuthority(Base):
    __tablename__ = "certificate_authorities"

    id: Mapped[str] = id_column()
    kind: Mapped[str] = mapped_column(sa.String(16))
    generation: Mapped[int] = mapped_column(sa.Integer)
    status: Mapped[str] = mapped_column(sa.String(16), default=AuthorityStatus.ACTIVE.value)
    parent_id: Mapped[str | None] = mapped_column(
        sa.String(ID_LENGTH), sa.ForeignKey("certificate_authorities.id", ondelete="RESTRICT")
    )
    # The firm whose certificates an intermediate signs; None for the root and the retired
    # deployment-wide intermediates of before.
    firm_id: Mapped[str | None] = mapped_column(
        sa.String(ID_LENGTH), sa.ForeignKey("firms.id", ondelete="RESTRICT"), index=True
    )
    common_name: Mapped[str] = mapped_column(sa.String(64))
    serial_number: Mapped[str] = mapped_column(sa.String(40))
    fingerprint_sha256: Mapped[str] = mapped_column(sa.String(64))
    certificate_pem: Mapped[str] = mapped_column(sa.Text)
    # Loaded only when the key is needed to sign, never by the queries that serve public data.
    sealed_private_key: Mapped[bytes] = deferred(mapped_column(sa.LargeBinary, nullable=False))
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    not_after: Mapped[datetime] = mapped_column(UTCDateTime())
    crl_number: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    crl_pem: Mapped[str | None] = mapped_column(sa.Text)
    crl_this_update: Mapped[datetime | None] = mapped_column(UTCDateTime())
    crl_next_update: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at_column()
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.UniqueConstraint(
            "kind", "generation", name="uq_certificate_authorities_kind_generation"
        ),
        sa.CheckConstraint("kind IN ('root', 'intermediate')", name="kind"),
        sa.CheckConstraint("status IN ('active', 'retired')", name="status"),
        sa.CheckConstraint("generation >= 1", name="generation_positive"),
    )
