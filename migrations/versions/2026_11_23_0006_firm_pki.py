"""firm pki: an issuing intermediate per firm, owned certificate names, declared domains

- ``certificate_authorities.firm_id``: the firm an intermediate issues for. Intermediates that
  exist before this revision signed every firm's certificates; they are retired here, so they
  issue nothing new, while they keep their key and keep signing the CRL of what they issued:
  existing certificates stay valid and revocable until they expire. Each firm's next issuance
  creates its own intermediate under the same root (the service does it, since a CA key must be
  sealed by the vault's master key, which the migration does not have).
- ``certificate_names``: the DNS names each certificate carries, filled in here from the
  certificates issued so far, so that a name stays its firm's from the first upgraded request.
- ``firm_domains``: the domains firms declare as theirs.
- ``firms.allow_ip_sans``: IP address SANs, refused unless a platform admin allows them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from cryptography import x509

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _parent(name: str) -> str | None:
    _, dot, rest = name.partition(".")
    return rest if dot else None


def _dns_names(certificate_pem: str) -> list[str]:
    certificate = x509.load_pem_x509_certificate(certificate_pem.encode("ascii"))
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return sorted({name.lower() for name in san.get_values_for_type(x509.DNSName)})


def upgrade() -> None:
    with op.batch_alter_table("firms", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("allow_ip_sans", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("certificate_authorities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("firm_id", sa.String(length=40), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_certificate_authorities_firm_id_firms"),
            "firms",
            ["firm_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_index(
            batch_op.f("ix_certificate_authorities_firm_id"), ["firm_id"], unique=False
        )
    authorities = sa.table(
        "certificate_authorities",
        sa.column("kind", sa.String),
        sa.column("status", sa.String),
        sa.column("retired_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # SQLite keeps naive UTC, as UTCDateTime writes it
    op.execute(
        authorities.update()
        .where(authorities.c.kind == "intermediate", authorities.c.status == "active")
        .values(status="retired", retired_at=now)
    )

    op.create_table(
        "firm_domains",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("firm_id", sa.String(length=40), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("parent", sa.String(length=253), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["firm_id"],
            ["firms.id"],
            name=op.f("fk_firm_domains_firm_id_firms"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_firm_domains")),
        sa.UniqueConstraint("domain", name=op.f("uq_firm_domains_domain")),
    )
    with op.batch_alter_table("firm_domains", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_firm_domains_firm_id"), ["firm_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_firm_domains_parent"), ["parent"], unique=False)

    op.create_table(
        "certificate_names",
        sa.Column("certificate_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=253), nullable=False),
        sa.Column("firm_id", sa.String(length=40), nullable=False),
        sa.Column("parent", sa.String(length=253), nullable=True),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificates.id"],
            name=op.f("fk_certificate_names_certificate_id_certificates"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["firm_id"],
            ["firms.id"],
            name=op.f("fk_certificate_names_firm_id_firms"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("certificate_id", "name", name=op.f("pk_certificate_names")),
    )
    with op.batch_alter_table("certificate_names", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_certificate_names_firm_id"), ["firm_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_certificate_names_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_certificate_names_parent"), ["parent"], unique=False)

    connection = op.get_bind()
    names = sa.table(
        "certificate_names",
        sa.column("certificate_id", sa.String),
        sa.column("name", sa.String),
        sa.column("firm_id", sa.String),
        sa.column("parent", sa.String),
    )
    rows = connection.execute(sa.text("SELECT id, firm_id, certificate_pem FROM certificates"))
    for certificate_id, firm_id, certificate_pem in rows.all():
        found = [
            {
                "certificate_id": certificate_id,
                "name": name,
                "firm_id": firm_id,
                "parent": _parent(name),
            }
            for name in _dns_names(certificate_pem)
        ]
        if found:
            connection.execute(names.insert(), found)


def downgrade() -> None:
    # The code before this revision issues from the newest active intermediate, whoever's it
    # is: retire the firms' ones, and it creates a deployment-wide one again on start.
    op.execute(
        "UPDATE certificate_authorities SET status = 'retired' "
        "WHERE firm_id IS NOT NULL AND status = 'active'"
    )
    with op.batch_alter_table("certificate_names", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certificate_names_parent"))
        batch_op.drop_index(batch_op.f("ix_certificate_names_name"))
        batch_op.drop_index(batch_op.f("ix_certificate_names_firm_id"))
    op.drop_table("certificate_names")
    with op.batch_alter_table("firm_domains", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_firm_domains_parent"))
        batch_op.drop_index(batch_op.f("ix_firm_domains_firm_id"))
    op.drop_table("firm_domains")
    with op.batch_alter_table("certificate_authorities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certificate_authorities_firm_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_certificate_authorities_firm_id_firms"), type_="foreignkey"
        )
        batch_op.drop_column("firm_id")
    with op.batch_alter_table("firms", schema=None) as batch_op:
        batch_op.drop_column("allow_ip_sans")
