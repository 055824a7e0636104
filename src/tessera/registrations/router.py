"""HTTP routes for card registrations: register, read, list (JSON or CSV), approve, reject."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Header, Query, status
from fastapi.responses import Response

from tessera.deps import (
    CardsReader,
    CardsWriter,
    PageDep,
    RuntimeDep,
    SessionDep,
    SubmissionDep,
    TransactionalRoute,
)
from tessera.kit.csv_report import render_csv, wants_csv
from tessera.kit.pagination import PageRead
from tessera.registrations import service
from tessera.registrations.domain import RegistrationStatus
from tessera.registrations.schemas import (
    RegistrationCreate,
    RegistrationDecision,
    RegistrationRead,
    RegistrationRejection,
)
from tessera.vault import card_store
from tessera.vault.schemas import VaultCardRead

router = APIRouter(
    prefix="/v1/card-registrations", tags=["card registrations"], route_class=TransactionalRoute
)

CSV_HEADER = (
    "id",
    "status",
    "brand",
    "masked_number",
    "expiry",
    "cardholder_name",
    "holder_id",
    "external_ref",
    "reason",
    "created_at",
    "decided_at",
)
_TIMESTAMP = "%Y-%m-%dT%H:%M:%SZ"


def registration_read(found: service.Registration) -> RegistrationRead:
    """The API shape of a registration and its masked card."""
    registration = found.registration
    return RegistrationRead(
        id=registration.id,
        status=RegistrationStatus(registration.status),
        reason=registration.reason,
        decided_at=registration.decided_at,
        holder_id=registration.holder_id,
        external_ref=registration.external_ref,
        card=VaultCardRead.model_validate(found.card),
        created_at=registration.created_at,
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=RegistrationRead)
async def register_card(
    body: RegistrationCreate,
    runtime: RuntimeDep,
    principal: CardsWriter,
    writer: SubmissionDep,
) -> Response:
    """Register a card: validated, sealed in the vault; the CVV is checked and dropped."""
    submission = service.CardSubmission(
        card_number=body.card_number,
        expiry_date=body.expiry_date,
        cvv=body.cvv,
        cardholder_name=body.cardholder_name,
        holder_id=body.holder_id,
        external_ref=body.external_ref,
    )
    return await writer.run(
        service.registration_identity(runtime.keyring, principal=principal, submission=submission),
        status.HTTP_201_CREATED,
        lambda session: registration_read(
            service.register_card(
                session,
                runtime.keyring,
                principal=principal,
                submission=submission,
                now=runtime.now(),
            )
        ),
    )


@router.get(
    "",
    response_model=PageRead[RegistrationRead],
    responses={200: {"content": {"text/csv": {}}, "description": "JSON, or a masked CSV report."}},
)
def list_registrations(
    session: SessionDep,
    principal: CardsReader,
    page: PageDep,
    registration_status: Annotated[
        RegistrationStatus | None, Query(alias="status", description="Only this status.")
    ] = None,
    start: Annotated[
        date | None, Query(alias="from", description="Created on or after this day (UTC).")
    ] = None,
    end: Annotated[
        date | None, Query(alias="to", description="Created on or before this day (UTC).")
    ] = None,
    accept: Annotated[str | None, Header()] = None,
) -> object:
    """List registrations; `Accept: text/csv` gives every match as a masked CSV report."""
    criteria = service.RegistrationFilter(status=registration_status, start=start, end=end)
    if wants_csv(accept):
        rows = service.export_registrations(session, principal=principal, criteria=criteria)
        body = render_csv(
            CSV_HEADER,
            (
                (
                    r.registration.id,
                    r.registration.status,
                    r.card.brand,
                    card_store.masked_number(r.card),
                    r.card.expiry.isoformat(),
                    r.card.cardholder_name,
                    r.registration.holder_id,
                    r.registration.external_ref,
                    r.registration.reason,
                    r.registration.created_at.strftime(_TIMESTAMP),
                    r.registration.decided_at.strftime(_TIMESTAMP)
                    if r.registration.decided_at
                    else None,
                )
                for r in rows
            ),
        )
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="card-registrations.csv"'},
        )
    result = service.list_registrations(session, principal=principal, criteria=criteria, page=page)
    return PageRead[RegistrationRead].of(result, registration_read)


@router.get("/{registration_id}", response_model=RegistrationRead)
def get_registration(
    registration_id: str, session: SessionDep, principal: CardsReader
) -> RegistrationRead:
    """Get one registration with its masked card."""
    return registration_read(
        service.get_registration(session, principal=principal, registration_id=registration_id)
    )


@router.post("/{registration_id}/approve", response_model=RegistrationRead)
def approve_registration(
    registration_id: str,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CardsWriter,
    body: RegistrationDecision | None = None,
) -> RegistrationRead:
    """Approve a pending registration (409 from any other status)."""
    return registration_read(
        service.decide(
            session,
            principal=principal,
            registration_id=registration_id,
            decision=RegistrationStatus.APPROVED,
            reason=body.reason if body else None,
            now=runtime.now(),
        )
    )


@router.post("/{registration_id}/reject", response_model=RegistrationRead)
def reject_registration(
    registration_id: str,
    body: RegistrationRejection,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CardsWriter,
) -> RegistrationRead:
    """Reject a pending registration with a reason (409 from any other status)."""
    return registration_read(
        service.decide(
            session,
            principal=principal,
            registration_id=registration_id,
            decision=RegistrationStatus.REJECTED,
            reason=body.reason,
            now=runtime.now(),
        )
    )
