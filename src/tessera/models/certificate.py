"""An X.509 end-entity certificate issued to a user of a firm.

Everything a read needs is stored at issuance (the PEM, the serial, the fingerprint, the names
and dates), so serving a certificate is one indexed lookup and never touches a CA key or runs
any cryptography. The private key, when Tessera generated it, is never stored; the public key
is, so that renewal can certify the same key again.

Expiry notices: ``notify_days_before_expiry`` holds the thresholds (days), ``expiry_notified_days``
the smallest threshold already behind the certificate (announced, or passed before it was set),
and ``next_expiry_notice_at`` when the next one falls due, so the scan reads only what is due.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tessera.models.base import (
    ID_LENGTH,
    Base,
    JSONType,
    UTCDateTime,
    created_at_column,
    firm_column,
    id_column,
    utcnow,
)


class CertificateStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    REVOKED = "revoked"


class KeySource(StrEnum):
    GENERATED = "generated"
    CSR = "csr"


class Certificate(Base):
    __tablename__ = "certificates"

    id: Mapped[str] = id_column()
    firm_id: Mapped[str] = firm_column()
    owner_id: Mapped[str | None] = mapped_column(
        sa.String(ID_LENGTH), sa.ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    issuer_id: Mapped[str] = mapped_column(
        sa.String(ID_LENGTH), sa.ForeignKey("certificate_authorities.id", ondelete="RESTRICT")
    )
    renewal_of_id: Mapped[str | None] = mapped_column(
        sa.String(ID_LENGTH), sa.ForeignKey("certificates.id", ondelete="RESTRICT")
    )
    serial_number: Mapped[str] = mapped_column(sa.String(40))
    common_name: Mapped[str] = mapped_column(sa.String(64))
    subject_alt_names: Mapped[list[str]] = mapped_column(JSONType)
    key_algorithm: Mapped[str] = mapped_column(sa.String(16))
    key_source: Mapped[str] = mapped_column(sa.String(16))
    public_key_pem: Mapped[str] = mapped_column(sa.Text)
    validity_days: Mapped[int] = mapped_column(sa.Integer)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    not_after: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(sa.String(16), default=CertificateStatus.ACTIVE.value)
    revocation_reason: Mapped[str | None] = mapped_column(sa.String(32))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    fingerprint_sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    certificate_pem: Mapped[str] = mapped_column(sa.Text)
    labels: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    notify_days_before_expiry: Mapped[list[int]] = mapped_column(JSONType)
    expiry_notified_days: Mapped[int | None] = mapped_column(sa.Integer)
    next_expiry_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("issuer_id", "serial_number", name="uq_certificates_issuer_serial"),
        sa.Index("ix_certificates_firm_id_created_at", "firm_id", "created_at", "id"),
        sa.Index("ix_certificates_issuer_id_status", "issuer_id", "status"),
        sa.Index("ix_certificates_status_next_expiry_notice_at", "status", "next_expiry_notice_at"),
        sa.CheckConstraint("status IN ('active', 'inactive', 'revoked')", name="status"),
        sa.CheckConstraint("key_source IN ('generated', 'csr')", name="key_source"),
        sa.CheckConstraint("validity_days BETWEEN 1 AND 825", name="validity_days"),
        sa.CheckConstraint(
            "(status = 'revoked') = (revoked_at IS NOT NULL)", name="revoked_at_iff_revoked"
        ),
    )
