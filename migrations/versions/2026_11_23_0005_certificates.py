"""certificates: the deployment's certificate authorities and the firms' certificates

The CA itself is not created here: its private keys must be sealed by the vault's master key,
which the migration does not have. The service creates it on first start (or `tessera pki init`).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 12:08:25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "certificate_authorities",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.String(length=40), nullable=True),
        sa.Column("common_name", sa.String(length=64), nullable=False),
        sa.Column("serial_number", sa.String(length=40), nullable=False),
        sa.Column("fingerprint_sha256", sa.String(length=64), nullable=False),
        sa.Column("certificate_pem", sa.Text(), nullable=False),
        sa.Column("sealed_private_key", sa.LargeBinary(), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("crl_number", sa.BigInteger(), nullable=False),
        sa.Column("crl_pem", sa.Text(), nullable=True),
        sa.Column("crl_this_update", sa.DateTime(timezone=True), nullable=True),
        sa.Column("crl_next_update", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('root', 'intermediate')", name=op.f("ck_certificate_authorities_kind")
        ),
        sa.CheckConstraint(
            "status IN ('active', 'retired')", name=op.f("ck_certificate_authorities_status")
        ),
        sa.CheckConstraint(
            "generation >= 1", name=op.f("ck_certificate_authorities_generation_positive")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["certificate_authorities.id"],
            name=op.f("fk_certificate_authorities_parent_id_certificate_authorities"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_authorities")),
        sa.UniqueConstraint(
            "kind", "generation", name="uq_certificate_authorities_kind_generation"
        ),
    )
    op.create_table(
        "certificates",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("firm_id", sa.String(length=40), nullable=False),
        sa.Column("owner_id", sa.String(length=40), nullable=True),
        sa.Column("issuer_id", sa.String(length=40), nullable=False),
        sa.Column("renewal_of_id", sa.String(length=40), nullable=True),
        sa.Column("serial_number", sa.String(length=40), nullable=False),
        sa.Column("common_name", sa.String(length=64), nullable=False),
        sa.Column("subject_alt_names", JSON, nullable=False),
        sa.Column("key_algorithm", sa.String(length=16), nullable=False),
        sa.Column("key_source", sa.String(length=16), nullable=False),
        sa.Column("public_key_pem", sa.Text(), nullable=False),
        sa.Column("validity_days", sa.Integer(), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("revocation_reason", sa.String(length=32), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fingerprint_sha256", sa.String(length=64), nullable=False),
        sa.Column("certificate_pem", sa.Text(), nullable=False),
        sa.Column("labels", JSON, nullable=False),
        sa.Column("notify_days_before_expiry", JSON, nullable=False),
        sa.Column("expiry_notified_days", sa.Integer(), nullable=True),
        sa.Column("next_expiry_notice_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(status = 'revoked') = (revoked_at IS NOT NULL)",
            name=op.f("ck_certificates_revoked_at_iff_revoked"),
        ),
        sa.CheckConstraint(
            "key_source IN ('generated', 'csr')", name=op.f("ck_certificates_key_source")
        ),
        sa.CheckConstraint(
            "status IN ('active', 'inactive', 'revoked')", name=op.f("ck_certificates_status")
        ),
        sa.CheckConstraint(
            "validity_days BETWEEN 1 AND 825", name=op.f("ck_certificates_validity_days")
        ),
        sa.ForeignKeyConstraint(
            ["firm_id"],
            ["firms.id"],
            name=op.f("fk_certificates_firm_id_firms"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["issuer_id"],
            ["certificate_authorities.id"],
            name=op.f("fk_certificates_issuer_id_certificate_authorities"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_certificates_owner_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["renewal_of_id"],
            ["certificates.id"],
            name=op.f("fk_certificates_renewal_of_id_certificates"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("fingerprint_sha256", name=op.f("uq_certificates_fingerprint_sha256")),
        sa.UniqueConstraint("issuer_id", "serial_number", name="uq_certificates_issuer_serial"),
    )
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_certificates_firm_id"), ["firm_id"], unique=False)
        batch_op.create_index(
            "ix_certificates_firm_id_created_at", ["firm_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_certificates_issuer_id_status", ["issuer_id", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_certificates_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(
            "ix_certificates_status_next_expiry_notice_at",
            ["status", "next_expiry_notice_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_index("ix_certificates_status_next_expiry_notice_at")
        batch_op.drop_index(batch_op.f("ix_certificates_owner_id"))
        batch_op.drop_index("ix_certificates_issuer_id_status")
        batch_op.drop_index("ix_certificates_firm_id_created_at")
        batch_op.drop_index(batch_op.f("ix_certificates_firm_id"))
    op.drop_table("certificates")
    op.drop_table("certificate_authorities")
