"""Money movements, statements and the ledger's invariants.

Every movement checks that its caller may see the accounts it names, then locks them in id
order, checks the balance, writes the ledger rows, the new balances, its outbox event and its
audit entry, all in the caller's transaction. The API runs each movement as one unit of the
writer (``tessera.writer``), which gives it its own savepoint and commits many of them at once;
``apply_transfers`` does the same for a list of transfers in one call.

This is the hottest write path, so it reads and writes plain columns with prebuilt Core
statements (``ledger.repository``) rather than loading ORM objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session

from tessera.accounts import repository as accounts
from tessera.accounts.domain import AccountStatus
from tessera.audit import service as audit
from tessera.errors import (
    Conflict,
    InsufficientFunds,
    NotFound,
    RuleViolation,
    TesseraError,
    ValidationFailed,
)
from tessera.events.service import record_event
from tessera.events.types import EventType
from tessera.kit.days import day_bounds
from tessera.kit.ids import new_id
from tessera.kit.money import validate_currency
from tessera.kit.pagination import Page, PageParams
from tessera.ledger import repository
from tessera.ledger.domain import MovementType
from tessera.ledger.repository import AccountState, LedgerRow
from tessera.models import Account, LedgerTransaction, TransactionType, Transfer
from tessera.principal import Principal, Scope


class AccountInactive(Conflict):
    default_code = "account_inactive"
    default_message = "The account is frozen or closed."


def _currency_mismatch(account: AccountState, currency: str) -> RuleViolation:
    return RuleViolation(
        f"The account holds {account.currency}, not {currency}.",
        code="currency_mismatch",
        details={"account_id": account.id, "account_currency": account.currency},
    )


@dataclass(frozen=True, slots=True)
class Movement:
    """A ledger row as the money path wrote it (the API and events show these fields)."""

    id: str
    account_id: str
    type: str
    amount: int
    currency: str
    balance_after: int
    description: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TransferDone:
    """A completed transfer as the money path wrote it."""

    id: str
    from_account_id: str
    to_account_id: str
    amount: int
    currency: str
    description: str | None
    created_at: datetime
    debit_transaction_id: str
    credit_transaction_id: str


def transaction_event_data(row: LedgerTransaction | Movement) -> dict[str, object]:
    """The public view of a ledger row, as events carry it."""
    return {
        "id": row.id,
        "account_id": row.account_id,
        "type": row.type,
        "amount": row.amount,
        "currency": row.currency,
        "balance_after": row.balance_after,
        "description": row.description,
        "created_at": row.created_at,
    }


def _visible_account(session: Session, principal: Principal, account_id: str) -> Account:
    account = accounts.get(session, account_id, visibility=principal.visibility)
    if account is None:
        raise _not_found("account_id")
    return account


def _not_found(field: str) -> NotFound:
    # Names the field, never the id given: the id is the client's input (it could be anything).
    return NotFound("Account not found.", details={"field": field})


def _require_active(account: AccountState) -> None:
    if account.status != AccountStatus.ACTIVE.value:
        raise AccountInactive(details={"account_id": account.id, "status": account.status})


def _ledger_row(
    account: AccountState,
    *,
    kind: TransactionType,
    amount: int,
    description: str | None,
    now: datetime,
    transfer_id: str | None = None,
) -> LedgerRow:
    return LedgerRow(
        id=new_id("txn"),
        firm_id=account.firm_id,
        account_id=account.id,
        type=kind.value,
        amount=amount,
        currency=account.currency,
        balance_after=account.balance,
        description=description,
        transfer_id=transfer_id,
        created_at=now,
    )


def post_movement(
    session: Session,
    *,
    principal: Principal,
    account_id: str,
    type: MovementType,
    amount: int,
    currency: str,
    description: str | None,
    now: datetime,
) -> Movement:
    """Deposit to or withdraw from one account.

    Authorise, then lock: the account is read and checked against what the caller may see
    before it is locked, so naming another firm's account locks nothing.
    """
    principal.require(Scope.ACCOUNTS_WRITE)
    code = validate_currency(currency)
    seen = repository.account_states(session, [account_id], lock=False).get(account_id)
    if seen is None or not principal.visibility.sees(
        firm_id=seen.firm_id, holder_id=seen.holder_id
    ):
        raise _not_found("account_id")
    account = repository.account_states(session, [account_id], lock=True)[account_id]
    if account.currency != code:
        raise _currency_mismatch(account, code)
    _require_active(account)
    if type is MovementType.WITHDRAWAL:
        if account.balance < amount:
            raise InsufficientFunds(details={"account_id": account.id})
        account.balance -= amount
        kind = TransactionType.WITHDRAWAL
    else:
        account.balance += amount
        kind = TransactionType.DEPOSIT
    row = _ledger_row(account, kind=kind, amount=amount, description=description, now=now)
    repository.set_balances(session, [account], now=now)
    repository.insert_transactions(session, [row])
    movement = Movement(
        id=row.id,
        account_id=account.id,
        type=kind.value,
        amount=amount,
        currency=code,
        balance_after=account.balance,
        description=description,
        created_at=now,
    )
    record_event(
        session,
        firm_id=account.firm_id,
        type=EventType.TRANSACTION_CREATED,
        data=transaction_event_data(movement),
        now=now,
    )
    audit.record(
        session,
        firm_id=account.firm_id,
        actor=principal,
        action=EventType.TRANSACTION_CREATED.value,
        target_type="transaction",
        target_id=movement.id,
        data={"account_id": account.id, "type": kind.value, "amount": amount, "currency": code},
        now=now,
    )
    return movement


@dataclass(frozen=True, slots=True)
class TransferRequest:
    """One transfer asked for by ``principal``."""

    principal: Principal
    from_account_id: str
    to_account_id: str
    amount: int
    currency: str
    description: str | None = None


@dataclass(slots=True)
class TransferBatch:
    """The outcome of ``apply_transfers``: one transfer or one error per request, in order."""

    results: list[TransferDone | TesseraError] = field(default_factory=list)


def _authorise(
    request: TransferRequest, seen: dict[str, AccountState]
) -> tuple[AccountState, AccountState, str]:
    """The request's two accounts if its caller may move money between them (a plain read)."""
    if request.from_account_id == request.to_account_id:
        raise RuleViolation(
            "The source and destination accounts are the same.", code="same_account"
        )
    code = validate_currency(request.currency)
    principal = request.principal
    principal.require(Scope.ACCOUNTS_WRITE)
    source = seen.get(request.from_account_id)
    if source is None or not principal.visibility.sees(
        firm_id=source.firm_id, holder_id=source.holder_id
    ):
        raise _not_found("from_account_id")
    # The destination may belong to another holder, but never to another firm.
    target = seen.get(request.to_account_id)
    if target is None or target.firm_id != source.firm_id:
        raise _not_found("to_account_id")
    return source, target, code


def _apply_one(
    session: Session,
    request: TransferRequest,
    source: AccountState,
    target: AccountState,
    code: str,
    now: datetime,
) -> TransferDone:
    for account in (source, target):
        if account.currency != code:
            raise _currency_mismatch(account, code)
    _require_active(source)
    _require_active(target)
    if source.balance < request.amount:
        raise InsufficientFunds(details={"account_id": source.id})
    source.balance -= request.amount
    target.balance += request.amount
    transfer_id = new_id("tr")
    debit = _ledger_row(
        source,
        kind=TransactionType.TRANSFER_OUT,
        amount=request.amount,
        description=request.description,
        now=now,
        transfer_id=transfer_id,
    )
    credit = _ledger_row(
        target,
        kind=TransactionType.TRANSFER_IN,
        amount=request.amount,
        description=request.description,
        now=now,
        transfer_id=transfer_id,
    )
    transfer = TransferDone(
        id=transfer_id,
        from_account_id=source.id,
        to_account_id=target.id,
        amount=request.amount,
        currency=code,
        description=request.description,
        created_at=now,
        debit_transaction_id=debit.id,
        credit_transaction_id=credit.id,
    )
    repository.set_balances(session, [source, target], now=now)
    repository.insert_transactions(session, [debit, credit])
    repository.insert_transfer(
        session, transfer_id=transfer.id, firm_id=source.firm_id, debit=debit, credit=credit
    )
    record_event(
        session,
        firm_id=source.firm_id,
        type=EventType.TRANSFER_COMPLETED,
        data=transfer_event_data(transfer),
        now=now,
    )
    audit.record(
        session,
        firm_id=source.firm_id,
        actor=request.principal,
        action=EventType.TRANSFER_COMPLETED.value,
        target_type="transfer",
        target_id=transfer.id,
        data={
            "from_account_id": source.id,
            "to_account_id": target.id,
            "amount": request.amount,
            "currency": code,
        },
        now=now,
    )
    return transfer


def apply_transfers(
    session: Session, requests: Sequence[TransferRequest], *, now: datetime
) -> TransferBatch:
    """Apply transfers in one database transaction, each all-or-nothing on its own.

    Authorise, then lock: each request is first checked against what its caller may see (a
    plain read), so naming another firm's account locks nothing. Then every account that the
    authorised requests touch is locked at once, in id order, so concurrent batches cannot
    deadlock; then each request runs in a savepoint that rolls back alone if it fails.
    """
    named = [i for r in requests for i in (r.from_account_id, r.to_account_id)]
    seen = repository.account_states(session, named, lock=False)
    checked: list[tuple[AccountState, AccountState, str] | TesseraError] = []
    for request in requests:
        try:
            checked.append(_authorise(request, seen))
        except TesseraError as exc:
            checked.append(exc)
    ids = [a.id for c in checked if not isinstance(c, TesseraError) for a in c[:2]]
    locked = repository.account_states(session, ids, lock=True) if ids else {}
    batch = TransferBatch()
    for request, check in zip(requests, checked, strict=True):
        if isinstance(check, TesseraError):
            batch.results.append(check)
            continue
        source, target, code = locked[check[0].id], locked[check[1].id], check[2]
        before = (source.balance, target.balance)
        try:
            with session.begin_nested():
                batch.results.append(_apply_one(session, request, source, target, code, now))
        except TesseraError as exc:
            source.balance, target.balance = before  # the savepoint took the rows back too
            batch.results.append(exc)
    return batch


def transfer_funds(session: Session, request: TransferRequest, *, now: datetime) -> TransferDone:
    """Move money between two accounts of one firm, atomically; raises the request's error.

    The one-request form of ``apply_transfers``, which the writer calls once per request in
    its batch (each request already has its own savepoint there).
    """
    named = (request.from_account_id, request.to_account_id)
    source, target, code = _authorise(
        request, repository.account_states(session, named, lock=False)
    )
    locked = repository.account_states(session, named, lock=True)
    return _apply_one(session, request, locked[source.id], locked[target.id], code, now)


def transfer_event_data(transfer: Transfer | TransferDone) -> dict[str, object]:
    """The public view of a transfer, as events carry it."""
    return {
        "id": transfer.id,
        "from_account_id": transfer.from_account_id,
        "to_account_id": transfer.to_account_id,
        "amount": transfer.amount,
        "currency": transfer.currency,
        "description": transfer.description,
        "created_at": transfer.created_at,
        "debit_transaction_id": transfer.debit_transaction_id,
        "credit_transaction_id": transfer.credit_transaction_id,
    }


def get_transfer(session: Session, *, principal: Principal, transfer_id: str) -> Transfer:
    """One transfer; a customer sees it when one of its accounts is theirs."""
    principal.require(Scope.ACCOUNTS_READ)
    transfer = repository.get_transfer(session, transfer_id, visibility=principal.firm_visibility)
    if transfer is None:
        raise NotFound("Transfer not found.")
    if principal.is_customer:
        mine = [
            accounts.get(session, account_id, visibility=principal.visibility)
            for account_id in (transfer.from_account_id, transfer.to_account_id)
        ]
        if not any(mine):
            raise NotFound("Transfer not found.")
    return transfer


def list_transactions(
    session: Session, *, principal: Principal, account_id: str, page: PageParams
) -> Page[LedgerTransaction]:
    """One account's transactions, newest first."""
    principal.require(Scope.ACCOUNTS_READ)
    account = _visible_account(session, principal, account_id)
    items, total = repository.page_for_account(
        session, account.id, limit=page.limit, offset=page.offset
    )
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@dataclass(frozen=True, slots=True)
class Statement:
    """An account's movements over a period, with opening and closing balances."""

    account: Account
    generated_at: datetime
    start: date | None
    end: date | None
    opening_balance: int
    closing_balance: int
    total_credits: int
    total_debits: int
    transactions: list[LedgerTransaction]
    # The other account of each transfer leg, by transaction id.
    counterparties: dict[str, str] = field(default_factory=dict)


def build_statement(
    session: Session,
    *,
    principal: Principal,
    account_id: str,
    start: date | None,
    end: date | None,
    now: datetime,
) -> Statement:
    """The statement of one account; ``start`` and ``end`` are inclusive UTC dates."""
    principal.require(Scope.ACCOUNTS_READ)
    if start is not None and end is not None and start > end:
        raise ValidationFailed.single("from", "Must not be after `to`.")
    account = _visible_account(session, principal, account_id)
    lower, upper = day_bounds(start, end)
    rows = repository.in_period(session, account.id, start=lower, end=upper)
    if lower is None:
        opening = 0
    else:
        previous = repository.last_before(session, account.id, lower)
        opening = previous.balance_after if previous else 0
    credits = sum(r.amount for r in rows if TransactionType(r.type).is_credit)
    debits = sum(r.amount for r in rows if not TransactionType(r.type).is_credit)
    legs = repository.transfer_accounts(session, {r.transfer_id for r in rows if r.transfer_id})
    counterparties = {
        r.id: legs[r.transfer_id][0 if r.type == TransactionType.TRANSFER_IN else 1]
        for r in rows
        if r.transfer_id in legs
    }
    return Statement(
        account=account,
        generated_at=now,
        start=start,
        end=end,
        opening_balance=opening,
        closing_balance=rows[-1].balance_after if rows else opening,
        total_credits=credits,
        total_debits=debits,
        transactions=rows,
        counterparties=counterparties,
    )


@dataclass(frozen=True, slots=True)
class LedgerReport:
    """What ``tessera ledger verify`` found."""

    accounts_checked: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_ledger(session: Session) -> LedgerReport:
    """Check the invariants of ARCHITECTURE.md and name every account or transfer that breaks one.

    - each account's balance equals the signed sum of its transactions;
    - no balance is negative;
    - every transfer has exactly one transfer_out and one transfer_in of its amount;
    - total money changes only by deposits and withdrawals (per currency).
    """
    problems: list[str] = []
    for account_id, balance, total in repository.balance_mismatches(session):
        problems.append(
            f"account {account_id}: balance {balance} != sum of its transactions {total}"
        )
    for account_id, balance in repository.negative_balances(session):
        problems.append(f"account {account_id}: negative balance {balance}")
    for transfer_id in repository.broken_transfers(session):
        problems.append(f"transfer {transfer_id}: legs missing or not matching")
    for leg_id in repository.orphan_transfer_legs(session):
        problems.append(f"transaction {leg_id}: transfer leg without a transfer")
    totals = repository.totals_by_type(session)
    balances = repository.balances_by_currency(session)
    for currency in sorted({c for c, _ in totals} | set(balances)):
        net = totals.get((currency, "deposit"), 0) - totals.get((currency, "withdrawal"), 0)
        moved_out = totals.get((currency, "transfer_out"), 0)
        moved_in = totals.get((currency, "transfer_in"), 0)
        if moved_out != moved_in:
            problems.append(
                f"currency {currency}: transfers out {moved_out} != transfers in {moved_in}"
            )
        if balances.get(currency, 0) != net:
            problems.append(
                f"currency {currency}: total balance {balances.get(currency, 0)} != "
                f"deposits minus withdrawals {net}"
            )
    return LedgerReport(accounts_checked=accounts.count_all(session), problems=problems)
