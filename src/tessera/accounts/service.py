"""Opening, reading, freezing and closing accounts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from tessera.accounts import repository
from tessera.accounts.domain import AccountStatus, AccountType
from tessera.accounts.repository import AccountView
from tessera.errors import (
    Conflict,
    Forbidden,
    InvalidStatusTransition,
    NotFound,
    ValidationFailed,
)
from tessera.events.service import record_event
from tessera.events.types import EventType
from tessera.holders import repository as holders
from tessera.kit.ids import new_id
from tessera.kit.money import validate_currency
from tessera.kit.pagination import Page, PageParams
from tessera.models import Account
from tessera.principal import Principal, Scope
from tessera.rawsql import Cursor

# Which status changes are allowed, and who may make them.
_STAFF_TRANSITIONS = {
    (AccountStatus.ACTIVE, AccountStatus.FROZEN),
    (AccountStatus.FROZEN, AccountStatus.ACTIVE),
    (AccountStatus.ACTIVE, AccountStatus.CLOSED),
    (AccountStatus.FROZEN, AccountStatus.CLOSED),
}
_CUSTOMER_TRANSITIONS = {(AccountStatus.ACTIVE, AccountStatus.CLOSED)}


class AccountsNotClosed(Conflict):
    default_code = "accounts_not_closed"
    default_message = "Empty the user's accounts before deleting the user."


def account_event_data(account: Account) -> dict[str, object]:
    """The public view of an account, as events carry it."""
    return {
        "id": account.id,
        "holder_id": account.holder_id,
        "type": account.type,
        "currency": account.currency,
        "balance": account.balance,
        "status": account.status,
        "created_at": account.created_at,
    }


def create_account(
    session: Session,
    *,
    principal: Principal,
    type: AccountType,
    currency: str,
    holder_id: str | None,
    now: datetime,
) -> Account:
    """Open an account: a customer's own, or (staff) for a holder of the firm."""
    principal.require(Scope.ACCOUNTS_WRITE)
    code = validate_currency(currency)
    if principal.is_customer:
        if principal.holder_id is None:
            raise Forbidden("This user has no account holder profile.")
        if holder_id is not None and holder_id != principal.holder_id:
            raise Forbidden("Customers can open accounts only for themselves.")
        holder_id = principal.holder_id
    elif holder_id is None:
        raise ValidationFailed.single(
            "holder_id", "Staff must say which holder the account is for."
        )
    holder = holders.get(session, holder_id, visibility=principal.firm_visibility)
    if holder is None or holder.erased_at is not None:
        raise NotFound("Account holder not found.")
    account = repository.add(
        session,
        Account(
            id=new_id("acc"),
            firm_id=holder.firm_id,
            holder_id=holder.id,
            type=type.value,
            currency=code,
            balance=0,
            status=AccountStatus.ACTIVE.value,
            created_at=now,
            updated_at=now,
        ),
    )
    session.flush()
    record_event(
        session,
        firm_id=account.firm_id,
        type=EventType.ACCOUNT_CREATED,
        data=account_event_data(account),
        now=now,
    )
    return account


def get_account(session: Session, *, principal: Principal, account_id: str) -> Account:
    """One account visible to the caller; 404 otherwise."""
    principal.require(Scope.ACCOUNTS_READ)
    account = repository.get(session, account_id, visibility=principal.visibility)
    if account is None:
        raise NotFound("Account not found.")
    return account


def read_account(cursor: Cursor, *, principal: Principal, account_id: str) -> AccountView:
    """One account visible to the caller, as plain columns (for the API's read); 404 otherwise."""
    principal.require(Scope.ACCOUNTS_READ)
    row = repository.read(cursor, account_id)
    if row is None or not principal.visibility.sees(firm_id=row.firm_id, holder_id=row.holder_id):
        raise NotFound("Account not found.")
    return row


def list_accounts(session: Session, *, principal: Principal, page: PageParams) -> Page[Account]:
    """The accounts visible to the caller, newest first."""
    principal.require(Scope.ACCOUNTS_READ)
    items, total = repository.page(
        session,
        visibility=principal.visibility,
        limit=page.limit,
        offset=page.offset,
    )
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


def change_status(
    session: Session,
    *,
    principal: Principal,
    account_id: str,
    status: AccountStatus,
    now: datetime,
) -> Account:
    """Freeze, unfreeze or close an account; closing needs a zero balance."""
    principal.require(Scope.ACCOUNTS_WRITE)
    visible = get_account(session, principal=principal, account_id=account_id)
    account = repository.lock_many(session, [visible.id])[visible.id]
    current = AccountStatus(account.status)
    if current is status:
        return account
    allowed = _CUSTOMER_TRANSITIONS if principal.is_customer else _STAFF_TRANSITIONS
    if (current, status) not in _STAFF_TRANSITIONS:
        raise InvalidStatusTransition(current=current.value, requested=status.value)
    if (current, status) not in allowed:
        raise Forbidden("Only firm staff can freeze or unfreeze an account.")
    if status is AccountStatus.CLOSED and account.balance != 0:
        error = InvalidStatusTransition(current=current.value, requested=status.value)
        error.message = "An account can be closed only when its balance is 0."
        error.details["balance"] = account.balance
        raise error
    account.status = status.value
    account.updated_at = now
    session.flush()
    return account


def update_account(
    session: Session,
    *,
    principal: Principal,
    account_id: str,
    status: AccountStatus | None,
    rename: bool,
    name: str | None,
    now: datetime,
) -> Account:
    """Change an account's status and/or its name (``rename`` with ``name`` None clears it)."""
    account = get_account(session, principal=principal, account_id=account_id)
    if status is not None:
        account = change_status(
            session, principal=principal, account_id=account_id, status=status, now=now
        )
    if rename:
        principal.require(Scope.ACCOUNTS_WRITE)
        account.name = name
        account.updated_at = now
        session.flush()
    return account


def close_all_for_erasure(session: Session, *, holder_id: str, now: datetime) -> None:
    """Close a holder's empty accounts; 409 ``accounts_not_closed`` if one holds money."""
    accounts = repository.list_for_holder(session, holder_id, lock=True)
    funded = [a.id for a in accounts if a.status != AccountStatus.CLOSED.value and a.balance != 0]
    if funded:
        raise AccountsNotClosed(details={"account_ids": funded})
    for account in accounts:
        if account.status != AccountStatus.CLOSED.value:
            account.status = AccountStatus.CLOSED.value
            account.updated_at = now
    session.flush()
