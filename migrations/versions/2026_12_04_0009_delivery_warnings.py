"""delivery import warnings: rows imported with a phone kept as written

A courier row whose phone is not a valid number is imported (the card's event counts) with the
phone as the file wrote it, up to 64 characters, and a warning for the line.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 01:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PHONE_TABLES = ("delivery_events", "card_delivery_statuses")


def upgrade() -> None:
    op.create_table(
        "delivery_import_warnings",
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
            name=op.f("fk_delivery_import_warnings_firm_id_firms"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["delivery_imports.id"],
            name=op.f("fk_delivery_import_warnings_import_id_delivery_imports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_import_warnings")),
    )
    with op.batch_alter_table("delivery_import_warnings") as batch:
        batch.create_index("ix_delivery_import_warnings_import_id_row", ["import_id", "row"])
    with op.batch_alter_table("delivery_imports") as batch:
        batch.add_column(sa.Column("rows_warned", sa.Integer(), nullable=False, server_default="0"))
    for table in _PHONE_TABLES:
        # PostgreSQL widens a varchar in place; SQLite rebuilds the table (it does not enforce
        # the length, but the declared type is kept true).
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                "phone", existing_type=sa.String(length=16), type_=sa.String(length=64)
            )


def downgrade() -> None:
    for table in _PHONE_TABLES:
        op.execute(sa.text(f"UPDATE {table} SET phone = substr(phone, 1, 16)"))  # noqa: S608
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                "phone", existing_type=sa.String(length=64), type_=sa.String(length=16)
            )
    with op.batch_alter_table("delivery_imports") as batch:
        batch.drop_column("rows_warned")
    with op.batch_alter_table("delivery_import_warnings") as batch:
        batch.drop_index("ix_delivery_import_warnings_import_id_row")
    op.drop_table("delivery_import_warnings")
