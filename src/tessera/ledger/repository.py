"""Queries on ledger transactions and transfers."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tessera import rawsql
from tessera.models import Account, LedgerTransaction, Transfer
from tessera.rawsql import Statement
from tessera.visibility import Visibility

# --- the money path ---------------------------------------------------------------------
# Money moves through the writer (tessera.writer), many requests to a transaction. These
# statements run on the driver's cursor (tessera.rawsql): a movement is a handful of them, and
# through SQLAlchemy each would cost more than the database's own work (bench/README.md).

_STATES = (
    "SELECT id, firm_id, holder_id, currency, status, balance FROM accounts"
    " WHERE id IN ({}) ORDER BY id"
)
_READ_STATES = {n: Statement.of(_STATES.format(", ".join("?" * n))) for n in (1, 2)}
_LOCK_STATES = {n: Statement.of(_STATES.format(", ".join("?" * n)) + " FOR UPDATE") for n in (1, 2)}
_SET_BALANCE = Statement.of("UPDATE accounts SET balance = ?, updated_at = ? WHERE id = ?")
_INSERT_TRANSACTION = Statement.of(
    "INSERT INTO transactions (id, firm_id, account_id, type, amount, currency, balance_after,"
    " description, transfer_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_TRANSFER = Statement.of(
    "INSERT INTO transfers (id, firm_id, from_account_id, to_account_id, amount, currency,"
    " description, debit_transaction_id, credit_transaction_id, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@dataclass(slots=True)
class AccountState:
    """The columns a money movement reads and checks, as plain values."""

    id: str
    firm_id: str
    holder_id: str
    currency: str
    status: str
    balance: int


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """One ledger row to append."""

    id: str
    firm_id: str
    account_id: str
    type: str
    amount: int
    currency: str
    balance_after: int
    description: str | None
    transfer_id: str | None
    created_at: datetime


def account_states(
    session: Session, account_ids: Sequence[str], *, lock: bool
) -> dict[str, AccountState]:
    """The named accounts (absent ids are left out), locked ``FOR UPDATE`` when ``lock``.

    Rows are read and locked in id order, so two movements cannot deadlock. On SQLite the
    transaction already holds the database's only write lock, so nothing more is needed there.
    """
    ids = sorted(set(account_ids))
    cursor = rawsql.cursor(session)
    statements = _LOCK_STATES if lock and not cursor.is_sqlite else _READ_STATES
    statement = statements.get(len(ids))
    if statement is None:  # a batch of many: spelled once for its size
        sql = _STATES.format(", ".join("?" * len(ids)))
        statement = Statement.of(sql + (" FOR UPDATE" if lock and not cursor.is_sqlite else ""))
    return {row[0]: AccountState(*row) for row in cursor.all(statement, ids)}


def set_balances(session: Session, accounts: Sequence[AccountState], *, now: datetime) -> None:
    """Write the new balances of accounts that a movement changed."""
    cursor = rawsql.cursor(session)
    stamp = cursor.stamp(now)
    cursor.executemany(_SET_BALANCE, [(a.balance, stamp, a.id) for a in accounts])


def insert_transactions(session: Session, rows: Sequence[LedgerRow]) -> None:
    """Append ledger rows."""
    cursor = rawsql.cursor(session)
    cursor.executemany(
        _INSERT_TRANSACTION,
        [
            (
                r.id,
                r.firm_id,
                r.account_id,
                r.type,
                r.amount,
                r.currency,
                r.balance_after,
                r.description,
                r.transfer_id,
                cursor.stamp(r.created_at),
            )
            for r in rows
        ],
    )


def insert_transfer(
    session: Session,
    *,
    transfer_id: str,
    firm_id: str,
    debit: LedgerRow,
    credit: LedgerRow,
) -> None:
    """Record a transfer between the accounts of its two legs."""
    cursor = rawsql.cursor(session)
    cursor.execute(
        _INSERT_TRANSFER,
        (
            transfer_id,
            firm_id,
            debit.account_id,
            credit.account_id,
            debit.amount,
            debit.currency,
            debit.description,
            debit.id,
            credit.id,
            cursor.stamp(debit.created_at),
        ),
    )


def add_transaction(session: Session, row: LedgerTransaction) -> LedgerTransaction:
    """Insert a ledger row."""
    session.add(row)
    return row


def add_transfer(session: Session, row: Transfer) -> Transfer:
    """Insert a transfer."""
    session.add(row)
    return row


def get_transfer(session: Session, transfer_id: str, *, visibility: Visibility) -> Transfer | None:
    """One transfer, if its firm is in view (a transfer has no single holder)."""
    return session.scalar(
        sa.select(Transfer).where(Transfer.id == transfer_id, *visibility.where(Transfer.firm_id))
    )


def page_for_account(
    session: Session, account_id: str, *, limit: int, offset: int
) -> tuple[list[LedgerTransaction], int]:
    """A page of one account's transactions, newest first, with the total."""
    base = sa.select(LedgerTransaction).where(LedgerTransaction.account_id == account_id)
    total = session.scalar(sa.select(sa.func.count()).select_from(base.subquery())) or 0
    rows = session.scalars(
        base.order_by(LedgerTransaction.created_at.desc(), LedgerTransaction.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


def transfer_accounts(
    session: Session, transfer_ids: Collection[str]
) -> dict[str, tuple[str, str]]:
    """The (from, to) accounts of each of these transfers."""
    if not transfer_ids:
        return {}
    rows = session.execute(
        sa.select(Transfer.id, Transfer.from_account_id, Transfer.to_account_id).where(
            Transfer.id.in_(list(transfer_ids))
        )
    )
    return {row[0]: (row[1], row[2]) for row in rows}


def in_period(
    session: Session, account_id: str, *, start: datetime | None, end: datetime | None
) -> list[LedgerTransaction]:
    """One account's transactions with ``start <= created_at < end``, oldest first."""
    query = sa.select(LedgerTransaction).where(LedgerTransaction.account_id == account_id)
    if start is not None:
        query = query.where(LedgerTransaction.created_at >= start)
    if end is not None:
        query = query.where(LedgerTransaction.created_at < end)
    return list(session.scalars(query.order_by(LedgerTransaction.created_at, LedgerTransaction.id)))


def last_before(session: Session, account_id: str, moment: datetime) -> LedgerTransaction | None:
    """The account's last transaction strictly before ``moment``."""
    return session.scalar(
        sa.select(LedgerTransaction)
        .where(LedgerTransaction.account_id == account_id, LedgerTransaction.created_at < moment)
        .order_by(LedgerTransaction.created_at.desc(), LedgerTransaction.id.desc())
        .limit(1)
    )


# --- the invariant check -------------------------------------------------------------------


def balance_mismatches(session: Session) -> list[tuple[str, int, int]]:
    """Accounts whose balance differs from the signed sum of their transactions."""
    signed = sa.case(
        (LedgerTransaction.type.in_(("deposit", "transfer_in")), LedgerTransaction.amount),
        else_=-LedgerTransaction.amount,
    )
    sums = (
        sa.select(
            LedgerTransaction.account_id.label("account_id"),
            sa.func.coalesce(sa.func.sum(signed), 0).label("total"),
        )
        .group_by(LedgerTransaction.account_id)
        .subquery()
    )
    rows = session.execute(
        sa.select(Account.id, Account.balance, sa.func.coalesce(sums.c.total, 0))
        .outerjoin(sums, sums.c.account_id == Account.id)
        .where(Account.balance != sa.func.coalesce(sums.c.total, 0))
        .order_by(Account.id)
    )
    return [(r[0], int(r[1]), int(r[2])) for r in rows]


def negative_balances(session: Session) -> list[tuple[str, int]]:
    """Accounts below zero (the CHECK constraint should make this impossible)."""
    rows = session.execute(sa.select(Account.id, Account.balance).where(Account.balance < 0))
    return [(r[0], int(r[1])) for r in rows]


def broken_transfers(session: Session) -> list[str]:
    """Transfers without exactly one matching transfer_out and one matching transfer_in."""
    out_leg = sa.orm.aliased(LedgerTransaction)
    in_leg = sa.orm.aliased(LedgerTransaction)
    legs = (
        sa.select(LedgerTransaction.transfer_id, sa.func.count().label("n"))
        .where(LedgerTransaction.transfer_id.is_not(None))
        .group_by(LedgerTransaction.transfer_id)
        .subquery()
    )
    rows = session.execute(
        sa.select(Transfer.id)
        .outerjoin(out_leg, out_leg.id == Transfer.debit_transaction_id)
        .outerjoin(in_leg, in_leg.id == Transfer.credit_transaction_id)
        .outerjoin(legs, legs.c.transfer_id == Transfer.id)
        .where(
            sa.or_(
                out_leg.id.is_(None),
                in_leg.id.is_(None),
                out_leg.type != "transfer_out",
                in_leg.type != "transfer_in",
                out_leg.amount != Transfer.amount,
                in_leg.amount != Transfer.amount,
                out_leg.account_id != Transfer.from_account_id,
                in_leg.account_id != Transfer.to_account_id,
                out_leg.transfer_id != Transfer.id,
                in_leg.transfer_id != Transfer.id,
                sa.func.coalesce(legs.c.n, 0) != 2,
            )
        )
        .order_by(Transfer.id)
    )
    return [r[0] for r in rows]


def orphan_transfer_legs(session: Session) -> list[str]:
    """Transfer legs whose transfer does not exist."""
    rows = session.execute(
        sa.select(LedgerTransaction.id)
        .outerjoin(Transfer, Transfer.id == LedgerTransaction.transfer_id)
        .where(
            LedgerTransaction.type.in_(("transfer_in", "transfer_out")),
            Transfer.id.is_(None),
        )
    )
    return [r[0] for r in rows]


def totals_by_type(session: Session) -> dict[tuple[str, str], int]:
    """Sum of amounts per (currency, type) over the whole ledger."""
    rows = session.execute(
        sa.select(
            LedgerTransaction.currency,
            LedgerTransaction.type,
            sa.func.sum(LedgerTransaction.amount),
        ).group_by(LedgerTransaction.currency, LedgerTransaction.type)
    )
    return {(r[0], r[1]): int(r[2] or 0) for r in rows}


def balances_by_currency(session: Session) -> dict[str, int]:
    """Sum of account balances per currency."""
    rows = session.execute(
        sa.select(Account.currency, sa.func.sum(Account.balance)).group_by(Account.currency)
    )
    return {r[0]: int(r[1] or 0) for r in rows}
