"""``/api/v1/credit-card``: the credit card API of the first source document (seed 000).

Same services, auth and error envelope as ``/v1/card-registrations``; only the paths and field
names are the document's: ``exp_date`` (``YYYY-MM-DD``, stored as the end of its month),
``holder_name``, ``card_number``, ``cvv``. A stored card is a registration of the firm.

``GET /api/v1/credit-card/{card_number}`` carries a card number in its path. The number reaches
no log line: the access log and the metrics use the route template, uvicorn's own access log is
off, and the log redaction masks any card number that would slip into a message anyway.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, status
from fastapi.responses import Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from tessera.deps import (
    CardsReader,
    CardsWriter,
    IdempotentDep,
    PageDep,
    RuntimeDep,
    SessionDep,
    TransactionalRoute,
)
from tessera.errors import FieldError, ValidationFailed
from tessera.kit.pagination import PageRead
from tessera.kit.text import FreeText, PlainText
from tessera.registrations import service
from tessera.vault import card_store

router = APIRouter(prefix="/api/v1/credit-card", tags=["compat"], route_class=TransactionalRoute)

STORED_MESSAGE = "Credit card stored successfully"
# The document's field names for the service's.
_FIELD_NAMES = {"expiry_date": "exp_date", "cardholder_name": "holder_name"}


def _cvv_as_text(value: object) -> object:
    """The digits of an integer CVV (the seed's clients send a JSON number); others unchanged.

    No zero-padding: an integer cannot say how many leading zeros it lost, so 7 is the
    one-digit code "7" (refused as ``invalid_cvv``), never "007". Booleans stay refused.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


class CreditCardCreate(BaseModel):
    """A card to store, in the source document's fields."""

    model_config = ConfigDict(extra="forbid")

    exp_date: Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")] = Field(
        description="YYYY-MM-DD; stored as the last day of its month.", examples=["2027-05-10"]
    )
    holder_name: FreeText = Field(max_length=200, description="At least 3 characters.")
    card_number: PlainText = Field(min_length=1, max_length=64)
    cvv: Annotated[PlainText | None, BeforeValidator(_cvv_as_text)] = Field(
        default=None,
        max_length=8,
        description="A string of digits, or a JSON integer as the source document's clients "
        "send it (`cvv INTEGER`); checked, never stored or logged. An integer has no leading "
        'zeros: 7 is one digit and so not a valid code, send `"007"` as a string.',
    )


class CreditCardRead(BaseModel):
    """A stored card, masked."""

    id: str
    token: str
    card_number: str = Field(description="Masked: BIN, stars, last four digits.")
    brand: str
    exp_date: date
    holder_name: str
    status: str


class CreditCardStored(BaseModel):
    """The answer to storing a card."""

    message: str
    id: str
    card: CreditCardRead


def _renamed(error: ValidationFailed) -> ValidationFailed:
    fields = [
        FieldError(_FIELD_NAMES.get(f["field"], f["field"]), f["message"], f["rule"])
        for f in error.details.get("fields", [])
    ]
    return ValidationFailed(fields, message=error.message)


def _read(found: service.Registration) -> CreditCardRead:
    return CreditCardRead(
        id=found.registration.id,
        token=found.card.token,
        card_number=card_store.masked_number(found.card),
        brand=found.card.brand,
        exp_date=found.card.expiry,
        holder_name=found.card.cardholder_name,
        status=found.registration.status,
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CreditCardStored)
def store_credit_card(
    body: CreditCardCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CardsWriter,
    idempotent: IdempotentDep,
) -> Response:
    """Store a credit card (registered in the caller's firm, like POST /v1/card-registrations)."""
    submission = service.CardSubmission(
        card_number=body.card_number,
        expiry_date=body.exp_date,
        cvv=body.cvv,
        cardholder_name=body.holder_name,
    )
    identity = service.registration_identity(
        runtime.keyring, principal=principal, submission=submission
    )

    def store() -> CreditCardStored:
        try:
            found = service.register_card(
                session,
                runtime.keyring,
                principal=principal,
                submission=submission,
                now=runtime.now(),
            )
        except ValidationFailed as exc:
            raise _renamed(exc) from exc
        return CreditCardStored(message=STORED_MESSAGE, id=found.registration.id, card=_read(found))

    return idempotent.run(identity, status.HTTP_201_CREATED, store)


@router.get("", response_model=PageRead[CreditCardRead])
def list_credit_cards(
    session: SessionDep, principal: CardsReader, page: PageDep
) -> PageRead[CreditCardRead]:
    """The firm's stored cards, masked, newest first."""
    result = service.list_registrations(
        session, principal=principal, criteria=service.RegistrationFilter(), page=page
    )
    return PageRead[CreditCardRead].of(result, _read)


@router.get("/{card_number}", response_model=CreditCardRead)
def get_credit_card(
    card_number: str, session: SessionDep, runtime: RuntimeDep, principal: CardsReader
) -> CreditCardRead:
    """One stored card found by its number (through its fingerprint); 404 otherwise."""
    return _read(
        service.find_by_card_number(
            session, runtime.keyring, principal=principal, card_number=card_number
        )
    )
