"""HTTP routes for deposits, withdrawals, transfers and statements."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Header, Query, status
from fastapi.responses import Response

from tessera.deps import (
    CurrentPrincipal,
    PageDep,
    RuntimeDep,
    SessionDep,
    SubmissionDep,
    TransactionalRoute,
)
from tessera.kit.csv_report import render_csv, wants_csv
from tessera.kit.money import format_amount
from tessera.kit.pagination import PageRead
from tessera.ledger import service
from tessera.ledger.schemas import (
    StatementLine,
    StatementRead,
    TransactionCreate,
    TransactionRead,
    TransferCreate,
    TransferRead,
)

router = APIRouter(tags=["money"], route_class=TransactionalRoute)


@router.post(
    "/v1/transactions", status_code=status.HTTP_201_CREATED, response_model=TransactionRead
)
async def create_transaction(
    body: TransactionCreate,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    submission: SubmissionDep,
) -> Response:
    """Deposit to or withdraw from an account (amounts in minor units)."""
    response = await submission.run(
        body,
        status.HTTP_201_CREATED,
        lambda session: TransactionRead.model_validate(
            service.post_movement(
                session,
                principal=principal,
                account_id=body.account_id,
                type=body.type,
                amount=body.amount,
                currency=body.currency,
                description=body.description,
                now=runtime.now(),
            )
        ),
    )
    if "idempotent-replayed" not in response.headers:
        runtime.metrics.money_movements.labels(body.type.value).inc()
    return response


@router.get("/v1/transactions", response_model=PageRead[TransactionRead])
def list_transactions(
    account_id: Annotated[str, Query(min_length=1, max_length=40)],
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageDep,
) -> PageRead[TransactionRead]:
    """List one account's transactions, newest first."""
    result = service.list_transactions(
        session, principal=principal, account_id=account_id, page=page
    )
    return PageRead[TransactionRead].of(result, TransactionRead.model_validate)


@router.post("/v1/transfers", status_code=status.HTTP_201_CREATED, response_model=TransferRead)
async def create_transfer(
    body: TransferCreate,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    submission: SubmissionDep,
) -> Response:
    """Move money between two accounts of the firm, atomically."""
    request = service.TransferRequest(
        principal=principal,
        from_account_id=body.from_account_id,
        to_account_id=body.to_account_id,
        amount=body.amount,
        currency=body.currency,
        description=body.description,
    )
    response = await submission.run(
        body,
        status.HTTP_201_CREATED,
        lambda session: TransferRead.model_validate(
            service.transfer_funds(session, request, now=runtime.now())
        ),
    )
    if "idempotent-replayed" not in response.headers:
        runtime.metrics.money_movements.labels("transfer").inc()
    return response


@router.get("/v1/transfers/{transfer_id}", response_model=TransferRead)
def get_transfer(
    transfer_id: str, session: SessionDep, principal: CurrentPrincipal
) -> TransferRead:
    """Get one transfer."""
    return TransferRead.model_validate(
        service.get_transfer(session, principal=principal, transfer_id=transfer_id)
    )


STATEMENT_CSV_HEADER = (
    "id",
    "created_at",
    "type",
    "amount",
    "amount_decimal",
    "currency",
    "balance_after",
    "description",
    "counterparty_account_id",
)


@router.get(
    "/v1/statements/{account_id}",
    response_model=StatementRead,
    responses={200: {"content": {"text/csv": {}}, "description": "JSON, or CSV on request."}},
)
def get_statement(
    account_id: str,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    start: Annotated[date | None, Query(alias="from", description="First day, inclusive.")] = None,
    end: Annotated[date | None, Query(alias="to", description="Last day, inclusive.")] = None,
    accept: Annotated[str | None, Header()] = None,
) -> object:
    """An account statement for a period; `Accept: text/csv` gives the transactions as CSV."""
    statement = service.build_statement(
        session,
        principal=principal,
        account_id=account_id,
        start=start,
        end=end,
        now=runtime.now(),
    )
    if wants_csv(accept):
        body = render_csv(
            STATEMENT_CSV_HEADER,
            (
                (
                    t.id,
                    t.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    t.type,
                    t.amount,
                    format_amount(t.amount, t.currency),
                    t.currency,
                    t.balance_after,
                    t.description,
                    statement.counterparties.get(t.id),
                )
                for t in statement.transactions
            ),
        )
        filename = f"statement-{statement.account.id}.csv"
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    return StatementRead(
        account_id=statement.account.id,
        currency=statement.account.currency,
        balance=statement.account.balance,
        generated_at=statement.generated_at,
        **{"from": statement.start},
        to=statement.end,
        opening_balance=statement.opening_balance,
        closing_balance=statement.closing_balance,
        total_credits=statement.total_credits,
        total_debits=statement.total_debits,
        transactions=[
            StatementLine.model_validate(t).model_copy(
                update={"counterparty_account_id": statement.counterparties.get(t.id)}
            )
            for t in statement.transactions
        ],
    )
