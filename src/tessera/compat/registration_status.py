"""``POST /register`` and ``GET /status/{registration_id}``: the registration system of the
second source document (seed 001), over the registration service."""

from __future__ import annotations

from fastapi import APIRouter, status
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from tessera.deps import (
    CardsReader,
    CardsWriter,
    IdempotentDep,
    RuntimeDep,
    SessionDep,
    TransactionalRoute,
)
from tessera.kit.text import FreeText, PlainText
from tessera.registrations import service

router = APIRouter(tags=["compat"], route_class=TransactionalRoute)


class RegisterRequest(BaseModel):
    """The document's four fields, all required."""

    model_config = ConfigDict(extra="forbid")

    card_number: PlainText = Field(min_length=1, max_length=64)
    expiry_date: PlainText = Field(min_length=1, max_length=32, examples=["12/27"])
    cvv: PlainText = Field(max_length=8, description="Checked, never stored or logged.")
    cardholder_name: FreeText = Field(max_length=200)


class RegistrationStatusRead(BaseModel):
    """A registration's id and status."""

    registration_id: str
    status: str


@router.post(
    "/register", status_code=status.HTTP_201_CREATED, response_model=RegistrationStatusRead
)
def register(
    body: RegisterRequest,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CardsWriter,
    idempotent: IdempotentDep,
) -> Response:
    """Submit a card for registration (like POST /v1/card-registrations)."""
    submission = service.CardSubmission(
        card_number=body.card_number,
        expiry_date=body.expiry_date,
        cvv=body.cvv,
        cardholder_name=body.cardholder_name,
    )
    identity = service.registration_identity(
        runtime.keyring, principal=principal, submission=submission
    )

    def submit() -> RegistrationStatusRead:
        found = service.register_card(
            session,
            runtime.keyring,
            principal=principal,
            submission=submission,
            now=runtime.now(),
        )
        return RegistrationStatusRead(
            registration_id=found.registration.id, status=found.registration.status
        )

    return idempotent.run(identity, status.HTTP_201_CREATED, submit)


@router.get("/status/{registration_id}", response_model=RegistrationStatusRead)
def registration_status(
    registration_id: str, session: SessionDep, principal: CardsReader
) -> RegistrationStatusRead:
    """The status of a registration."""
    found = service.get_registration(session, principal=principal, registration_id=registration_id)
    return RegistrationStatusRead(
        registration_id=found.registration.id, status=found.registration.status
    )
