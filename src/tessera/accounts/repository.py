"""Queries on accounts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tessera.models import Account
from tessera.rawsql import Cursor, Statement, parse_stamp
from tessera.visibility import Visibility


def add(session: Session, account: Account) -> Account:
    """Insert an account."""
    session.add(account)
    return account


def get(session: Session, account_id: str, *, visibility: Visibility) -> Account | None:
    """One account, if it is in view."""
    return session.scalar(
        sa.select(Account).where(
            Account.id == account_id, *visibility.where(Account.firm_id, Account.holder_id)
        )
    )


_READ_ONE = Statement.of(
    "SELECT id, firm_id, holder_id, type, currency, balance, status, created_at"
    " FROM accounts WHERE id = ?"
)


@dataclass(frozen=True, slots=True)
class AccountView:
    """An account's columns as plain values (what the API shows, plus its owners)."""

    id: str
    firm_id: str
    holder_id: str
    type: str
    currency: str
    balance: int
    status: str
    created_at: datetime


def read(cursor: Cursor, account_id: str) -> AccountView | None:
    """One account by id, on the driver's cursor: the API's hottest read (``tessera.rawsql``).

    The statement is prepared once, so the caller checks the row with ``Visibility.sees``.
    """
    row = cursor.one(_READ_ONE, (account_id,))
    if row is None:
        return None
    account_id_, firm_id, holder_id, type_, currency, balance, status, created_at = row
    return AccountView(
        account_id_, firm_id, holder_id, type_, currency, balance, status, parse_stamp(created_at)
    )


def lock_many(session: Session, account_ids: Sequence[str]) -> dict[str, Account]:
    """Lock accounts for update, always in id order so that two transfers cannot deadlock.

    On SQLite the transaction already holds the database's only write lock (BEGIN IMMEDIATE),
    so FOR UPDATE is simply not emitted there.
    """
    ordered = sorted(set(account_ids))
    rows = session.scalars(
        sa.select(Account)
        .where(Account.id.in_(ordered))
        .order_by(Account.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {row.id: row for row in rows}


def page(
    session: Session, *, visibility: Visibility, limit: int, offset: int
) -> tuple[list[Account], int]:
    """A page of the accounts in view, newest first, with the total."""
    query = sa.select(Account).where(*visibility.where(Account.firm_id, Account.holder_id))
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Account.created_at.desc(), Account.id.desc()).limit(limit).offset(offset)
    )
    return list(rows), total


def list_for_holder(session: Session, holder_id: str, *, lock: bool = False) -> list[Account]:
    """Every account of one holder."""
    query = sa.select(Account).where(Account.holder_id == holder_id).order_by(Account.id)
    if lock:
        query = query.with_for_update()
    return list(session.scalars(query))


def count_all(session: Session) -> int:
    """How many accounts exist (for the ledger check)."""
    return session.scalar(sa.select(sa.func.count()).select_from(Account)) or 0
