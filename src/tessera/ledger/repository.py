"""Queries on ledger transactions and transfers."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tessera.models import Account, LedgerTransaction, Transfer


def add_transaction(session: Session, row: LedgerTransaction) -> LedgerTransaction:
    """Insert a ledger row."""
    session.add(row)
    return row


def add_transfer(session: Session, row: Transfer) -> Transfer:
    """Insert a transfer."""
    session.add(row)
    return row


def get_transfer(session: Session, transfer_id: str, *, firm_id: str | None) -> Transfer | None:
    """One transfer within a firm (None: any firm)."""
    query = sa.select(Transfer).where(Transfer.id == transfer_id)
    if firm_id is not None:
        query = query.where(Transfer.firm_id == firm_id)
    return session.scalar(query)


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
