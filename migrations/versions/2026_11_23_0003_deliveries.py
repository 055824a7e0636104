"""deliveries: courier file imports, delivery events, current card statuses, partners

Delivery events are unique per firm by their natural key (card id, UTC instant, event), so
re-imports and overlapping files add nothing. `card_delivery_statuses` holds each card's current
status, kept up to date batch by batch so that a status change is reported once.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 11:58:25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "card_delivery_statuses",
        sa.Column("firm_id", sa.String(length=40), nullable=False),
        sa.Column("card_id", sa.String(length=64), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivery_attempts", sa.Integer(), nullable=False),
        sa.Column("latest_event", sa.String(length=24), nullable=False),
        sa.Column("latest_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["firm_id"],
            ["firms.id"],
            name=op.f("fk_card_delivery_statuses_firm_id_firms"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("firm_id", "card_id", name=op.f("pk_card_delivery_statuses")),
    )
    with op.batch_alter_table("card_delivery_statuses", schema=None) as batch_op:
        batch_op.create_index(
            "ix_card_delivery_statuses_firm_id_phone", ["firm_id", "phone"], unique=False
        )

    op.create_table(
        "delivery_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("firm_id", sa.String(length=40), nullable=False),
        sa.Column("card_id", sa.String(length=64), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=False),
        sa.Column("event", sa.String(length=24), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("comment", sa.String(length=500), nullable=True),
        sa.Column("record_id", sa.String(length=64), nullable=True),
        sa.Column("import_id", sa.String(length=40), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["firm_id"],
            ["firms.id"],
            name=op.f("fk_delivery_events_firm_id_firms"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_events")),
        sa.UniqueConstraint(
            "firm_id", "card_id", "occurred_at", "event", name="uq_delivery_events_natural_key"
        ),
    )
    op.create_table(
        "delivery_imports",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("firm_id", sa.String(length=40), nullable=False),
        sa.Column("partner", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_path", sa.String(length=1024), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("file_hash", sa.String(length=64), nullable=False),
        sa.Column("file_size", sa.BigInteger(), nullable=False),
        sa.Column("phone_region", sa.String(length=2), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_imported", sa.Integer(), nullable=False),
        sa.Column("rows_duplicate", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("resume_line", sa.Integer(), nullable=False),
        sa.Column("failure", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "source IN ('api', 'cli', 'watch')", name=op.f("ck_delivery_imports_source")
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'processing', 'completed', 'failed')",
            name=op.f("ck_delivery_imports_status"),
        ),
        sa.ForeignKeyConstraint(
            ["firm_id"],
            ["firms.id"],
            name=op.f("fk_delivery_imports_firm_id_firms"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_imports")),
    )
    with op.batch_alter_table("delivery_imports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_imports_firm_id"), ["firm_id"], unique=False)
        batch_op.create_index(
            "ix_delivery_imports_firm_id_created_at", ["firm_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_delivery_imports_firm_id_file_hash", ["firm_id", "file_hash"], unique=False
        )
        batch_op.create_index(
            "ix_delivery_imports_status_heartbeat_at", ["status", "heartbeat_at"], unique=False
        )

    op.create_table(
        "delivery_partners",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("firm_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("phone_region", sa.String(length=2), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["firm_id"],
            ["firms.id"],
            name=op.f("fk_delivery_partners_firm_id_firms"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_partners")),
        sa.UniqueConstraint("firm_id", "name", name=op.f("uq_delivery_partners_firm_id_name")),
    )
    with op.batch_alter_table("delivery_partners", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_partners_firm_id"), ["firm_id"], unique=False)

    op.create_table(
        "delivery_import_chunks",
        sa.Column("import_id", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("firm_id", sa.String(length=40), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["firm_id"],
            ["firms.id"],
            name=op.f("fk_delivery_import_chunks_firm_id_firms"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["delivery_imports.id"],
            name=op.f("fk_delivery_import_chunks_import_id_delivery_imports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("import_id", "seq", name=op.f("pk_delivery_import_chunks")),
    )
    op.create_table(
        "delivery_import_rejections",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("firm_id", sa.String(length=40), nullable=False),
        sa.Column("import_id", sa.String(length=40), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["firm_id"],
            ["firms.id"],
            name=op.f("fk_delivery_import_rejections_firm_id_firms"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["delivery_imports.id"],
            name=op.f("fk_delivery_import_rejections_import_id_delivery_imports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_import_rejections")),
    )
    with op.batch_alter_table("delivery_import_rejections", schema=None) as batch_op:
        batch_op.create_index(
            "ix_delivery_import_rejections_import_id_row", ["import_id", "row"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("delivery_import_rejections", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_import_rejections_import_id_row")

    op.drop_table("delivery_import_rejections")
    op.drop_table("delivery_import_chunks")
    with op.batch_alter_table("delivery_partners", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_partners_firm_id"))

    op.drop_table("delivery_partners")
    with op.batch_alter_table("delivery_imports", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_imports_status_heartbeat_at")
        batch_op.drop_index("ix_delivery_imports_firm_id_file_hash")
        batch_op.drop_index("ix_delivery_imports_firm_id_created_at")
        batch_op.drop_index(batch_op.f("ix_delivery_imports_firm_id"))

    op.drop_table("delivery_imports")
    op.drop_table("delivery_events")
    with op.batch_alter_table("card_delivery_statuses", schema=None) as batch_op:
        batch_op.drop_index("ix_card_delivery_statuses_firm_id_phone")

    op.drop_table("card_delivery_statuses")
