"""cards: vault cards, card registrations, issued cards, API clients, key rotations, BIN ranges

The vault table validates its own rows (the credit card source document's "in-schema data
validation"): CHECK constraints refuse a cardholder name shorter than three characters, a
malformed BIN or last four, and an expiry that is not the last day of its month; a trigger refuses
an expiry in the past when a row is inserted (or its expiry changed). A CHECK cannot look at the
clock (PostgreSQL requires CHECK expressions to be immutable, and a dump would not restore), so
that rule is a trigger on both databases.

Firms get ``issuing_bin_end``: issued cards take a BIN in ``issuing_bin..issuing_bin_end``.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 11:57:15
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BRANDS = ("visa", "mastercard", "amex", "discover", "jcb", "diners", "unionpay", "maestro")

# ``date(expiry) IS expiry`` refuses text SQLite cannot read as a date (date() gives NULL) and
# days that do not exist (date() normalises 2027-02-30 to 2027-03-02); ``IS`` never yields NULL,
# which a CHECK would let through.
SQLITE_MONTH_END = "date(expiry) IS expiry AND strftime('%d', expiry, '+1 day') IS '01'"
POSTGRES_MONTH_END = "extract(day from expiry + 1) = 1"

FIRM_BIN_RANGE = (
    "length(issuing_bin) BETWEEN 6 AND 8 AND ltrim(issuing_bin, '0123456789') = '' "
    "AND length(issuing_bin_end) = length(issuing_bin) "
    "AND ltrim(issuing_bin_end, '0123456789') = '' AND issuing_bin_end >= issuing_bin"
)


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name

    with op.batch_alter_table("firms", schema=None) as batch_op:
        batch_op.add_column(sa.Column("issuing_bin_end", sa.String(length=8), nullable=True))
    op.execute("UPDATE firms SET issuing_bin_end = issuing_bin")
    with op.batch_alter_table("firms", schema=None) as batch_op:
        batch_op.alter_column("issuing_bin_end", existing_type=sa.String(length=8), nullable=False)
        batch_op.create_check_constraint("issuing_bin_range", FIRM_BIN_RANGE)

    op.create_table(
        "api_clients",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("firm_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("disabled_at", _utc(), nullable=True),
        sa.CheckConstraint("status IN ('active', 'disabled')", name=op.f("ck_api_clients_status")),
        sa.ForeignKeyConstraint(
            ["firm_id"],
            ["firms.id"],
            name=op.f("fk_api_clients_firm_id_firms"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_clients")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_api_clients_secret_hash")),
    )
    op.create_index(op.f("ix_api_clients_firm_id"), "api_clients", ["firm_id"], unique=False)

    op.create_table(
        "vault_key_rotations",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("target_version", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rows_total", sa.BigInteger(), nullable=False),
        sa.Column("rows_done", sa.BigInteger(), nullable=False),
        sa.Column("started_by", sa.String(length=64), nullable=False),
        sa.Column("started_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.Column("completed_at", _utc(), nullable=True),
        sa.CheckConstraint(
            "mode IN ('rewrap', 'reencrypt')", name=op.f("ck_vault_key_rotations_mode")
        ),
        sa.CheckConstraint(
            "status IN ('running', 'completed')", name=op.f("ck_vault_key_rotations_status")
        ),
        sa.ForeignKeyConstraint(
            ["target_version"],
            ["vault_keys.version"],
            name=op.f("fk_vault_key_rotations_target_version_vault_keys"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vault_key_rotations")),
    )
    op.create_index(
        "uq_vault_key_rotations_running",
        "vault_key_rotations",
        ["status"],
        unique=True,
        sqlite_where=sa.text("status = 'running'"),
        postgresql_where=sa.text("status = 'running'"),
    )

    month_end = SQLITE_MONTH_END if dialect == "sqlite" else POSTGRES_MONTH_END
    op.create_table(
        "vault_cards",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("firm_id", sa.String(length=40), nullable=False),
        sa.Column("holder_id", sa.String(length=40), nullable=True),
        sa.Column("token", sa.String(length=40), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("brand", sa.String(length=16), nullable=False),
        sa.Column("bin", sa.String(length=6), nullable=False),
        sa.Column("last4", sa.String(length=4), nullable=False),
        sa.Column("pan_length", sa.SmallInteger(), nullable=False),
        sa.Column("expiry", sa.Date(), nullable=False),
        sa.Column("cardholder_name", sa.String(length=100), nullable=False),
        sa.Column("key_version", sa.Integer(), nullable=False),
        sa.Column("sealed_number", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.CheckConstraint(
            "brand IN (" + ", ".join(f"'{b}'" for b in BRANDS) + ")",
            name=op.f("ck_vault_cards_brand"),
        ),
        sa.CheckConstraint(
            "length(bin) = 6 AND ltrim(bin, '0123456789') = ''",
            name=op.f("ck_vault_cards_bin_format"),
        ),
        sa.CheckConstraint(
            "length(last4) = 4 AND ltrim(last4, '0123456789') = ''",
            name=op.f("ck_vault_cards_last4_format"),
        ),
        sa.CheckConstraint(
            "source IN ('registration', 'issued')", name=op.f("ck_vault_cards_source")
        ),
        sa.CheckConstraint(
            "length(trim(cardholder_name)) >= 3",
            name=op.f("ck_vault_cards_cardholder_name_length"),
        ),
        sa.CheckConstraint("pan_length BETWEEN 12 AND 19", name=op.f("ck_vault_cards_pan_length")),
        sa.CheckConstraint(month_end, name=op.f("ck_vault_cards_expiry_month_end")),
        sa.ForeignKeyConstraint(
            ["firm_id"],
            ["firms.id"],
            name=op.f("fk_vault_cards_firm_id_firms"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["holder_id"],
            ["account_holders.id"],
            name=op.f("fk_vault_cards_holder_id_account_holders"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["key_version"],
            ["vault_keys.version"],
            name=op.f("fk_vault_cards_key_version_vault_keys"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vault_cards")),
        sa.UniqueConstraint("token", name=op.f("uq_vault_cards_token")),
    )
    op.create_index(op.f("ix_vault_cards_firm_id"), "vault_cards", ["firm_id"], unique=False)
    op.create_index(op.f("ix_vault_cards_holder_id"), "vault_cards", ["holder_id"], unique=False)
    op.create_index(
        "ix_vault_cards_firm_id_fingerprint",
        "vault_cards",
        ["firm_id", "fingerprint"],
        unique=False,
    )
    op.create_index(
        "ix_vault_cards_key_version_id", "vault_cards", ["key_version", "id"], unique=False
    )
    op.create_index(
        "uq_vault_cards_issued_fingerprint",
        "vault_cards",
        ["firm_id", "fingerprint"],
        unique=True,
        sqlite_where=sa.text("source = 'issued'"),
        postgresql_where=sa.text("source = 'issued'"),
    )
    _create_expiry_trigger(dialect)

    op.create_table(
        "card_registrations",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("firm_id", sa.String(length=40), nullable=False),
        sa.Column("vault_card_id", sa.String(length=40), nullable=False),
        sa.Column("card_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("holder_id", sa.String(length=40), nullable=True),
        sa.Column("external_ref", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("decided_by", sa.String(length=40), nullable=True),
        sa.Column("decided_at", _utc(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.CheckConstraint(
            "(status = 'pending' AND decided_at IS NULL) "
            "OR (status <> 'pending' AND decided_at IS NOT NULL)",
            name=op.f("ck_card_registrations_decided_at"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected')",
            name=op.f("ck_card_registrations_status"),
        ),
        sa.ForeignKeyConstraint(
            ["firm_id"],
            ["firms.id"],
            name=op.f("fk_card_registrations_firm_id_firms"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["holder_id"],
            ["account_holders.id"],
            name=op.f("fk_card_registrations_holder_id_account_holders"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["vault_card_id"],
            ["vault_cards.id"],
            name=op.f("fk_card_registrations_vault_card_id_vault_cards"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_registrations")),
        sa.UniqueConstraint("vault_card_id", name=op.f("uq_card_registrations_vault_card_id")),
    )
    op.create_index(
        op.f("ix_card_registrations_firm_id"), "card_registrations", ["firm_id"], unique=False
    )
    op.create_index(
        op.f("ix_card_registrations_holder_id"), "card_registrations", ["holder_id"], unique=False
    )
    op.create_index(
        "ix_card_registrations_firm_id_created_at",
        "card_registrations",
        ["firm_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "uq_card_registrations_live_fingerprint",
        "card_registrations",
        ["firm_id", "card_fingerprint"],
        unique=True,
        sqlite_where=sa.text("status IN ('pending', 'approved')"),
        postgresql_where=sa.text("status IN ('pending', 'approved')"),
    )

    op.create_table(
        "cards",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("firm_id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("holder_id", sa.String(length=40), nullable=False),
        sa.Column("vault_card_id", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.CheckConstraint(
            "(type = 'physical' AND reference IS NOT NULL) "
            "OR (type = 'virtual' AND reference IS NULL)",
            name=op.f("ck_cards_reference"),
        ),
        sa.CheckConstraint(
            "status IN ('active', 'blocked', 'closed')", name=op.f("ck_cards_status")
        ),
        sa.CheckConstraint("type IN ('virtual', 'physical')", name=op.f("ck_cards_type")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_cards_account_id_accounts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firms.id"], name=op.f("fk_cards_firm_id_firms"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["holder_id"],
            ["account_holders.id"],
            name=op.f("fk_cards_holder_id_account_holders"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["vault_card_id"],
            ["vault_cards.id"],
            name=op.f("fk_cards_vault_card_id_vault_cards"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cards")),
        sa.UniqueConstraint("firm_id", "reference", name="uq_cards_firm_id_reference"),
        sa.UniqueConstraint("vault_card_id", name=op.f("uq_cards_vault_card_id")),
    )
    op.create_index(op.f("ix_cards_account_id"), "cards", ["account_id"], unique=False)
    op.create_index(op.f("ix_cards_firm_id"), "cards", ["firm_id"], unique=False)
    op.create_index(op.f("ix_cards_holder_id"), "cards", ["holder_id"], unique=False)
    op.create_index(
        "ix_cards_firm_id_created_at", "cards", ["firm_id", "created_at", "id"], unique=False
    )


def _create_expiry_trigger(dialect: str) -> None:
    """Refuse a vault card whose expiry is already past, when inserted or when its expiry changes."""
    if dialect == "sqlite":
        op.execute(
            "CREATE TRIGGER vault_cards_expiry_not_past_insert BEFORE INSERT ON vault_cards "
            "WHEN NEW.expiry < date('now') "
            "BEGIN SELECT RAISE(ABORT, 'vault_cards: the card has expired'); END"
        )
        op.execute(
            "CREATE TRIGGER vault_cards_expiry_not_past_update BEFORE UPDATE OF expiry "
            "ON vault_cards WHEN NEW.expiry < date('now') "
            "BEGIN SELECT RAISE(ABORT, 'vault_cards: the card has expired'); END"
        )
        return
    op.execute(
        "CREATE FUNCTION vault_cards_expiry_not_past() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN "
        "IF NEW.expiry < (now() AT TIME ZONE 'UTC')::date THEN "
        "RAISE EXCEPTION 'vault_cards: the card has expired' USING ERRCODE = 'check_violation'; "
        "END IF; "
        "RETURN NEW; "
        "END $$"
    )
    op.execute(
        "CREATE TRIGGER vault_cards_expiry_not_past BEFORE INSERT OR UPDATE OF expiry "
        "ON vault_cards FOR EACH ROW EXECUTE FUNCTION vault_cards_expiry_not_past()"
    )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.drop_table("cards")
    op.drop_table("card_registrations")
    op.drop_table("vault_cards")  # its triggers go with it
    if dialect != "sqlite":
        op.execute("DROP FUNCTION IF EXISTS vault_cards_expiry_not_past()")
    op.drop_index("uq_vault_key_rotations_running", table_name="vault_key_rotations")
    op.drop_table("vault_key_rotations")
    op.drop_index(op.f("ix_api_clients_firm_id"), table_name="api_clients")
    op.drop_table("api_clients")
    with op.batch_alter_table("firms", schema=None) as batch_op:
        batch_op.drop_constraint("issuing_bin_range", type_="check")
        batch_op.drop_column("issuing_bin_end")
