"""HTTP routes for cards issued on accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import Response

from tessera.cards import service
from tessera.cards.domain import CardStatus, CardType
from tessera.cards.schemas import (
    CardCreate,
    CardDeliveryRead,
    CardRead,
    CardUpdate,
)
from tessera.deps import (
    CardsReader,
    CardsWriter,
    IdempotentDep,
    PageDep,
    RuntimeDep,
    SessionDep,
    TransactionalRoute,
)
from tessera.kit.pagination import PageRead

router = APIRouter(prefix="/v1/cards", tags=["cards"], route_class=TransactionalRoute)


def card_read(issued: service.IssuedCard) -> CardRead:
    """The API shape of an issued card (``delivery`` once couriers have reported on it)."""
    card, vault_card = issued.card, issued.vault_card
    return CardRead(
        id=card.id,
        account_id=card.account_id,
        holder_id=card.holder_id,
        type=CardType(card.type),
        brand=vault_card.brand,
        last4=vault_card.last4,
        expiry=vault_card.expiry,
        status=CardStatus(card.status),
        reference=card.reference,
        cardholder_name=vault_card.cardholder_name,
        token=vault_card.token,
        created_at=card.created_at,
        updated_at=card.updated_at,
        delivery=(
            CardDeliveryRead(
                status=issued.delivery.status,
                status_at=issued.delivery.status_at,
                delivery_attempts=issued.delivery.delivery_attempts,
            )
            if issued.delivery is not None
            else None
        ),
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CardRead)
def issue_card(
    body: CardCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CardsWriter,
    idempotent: IdempotentDep,
) -> Response:
    """Issue a virtual or physical card on an account, numbered in the firm's BIN range."""
    return idempotent.run(
        body,
        status.HTTP_201_CREATED,
        lambda: card_read(
            service.issue_card(
                session,
                runtime.keyring,
                principal=principal,
                account_id=body.account_id,
                type=body.type,
                cardholder_name=body.cardholder_name,
                now=runtime.now(),
            )
        ),
    )


@router.get("", response_model=PageRead[CardRead])
def list_cards(
    session: SessionDep,
    principal: CardsReader,
    page: PageDep,
    account_id: Annotated[str | None, Query(max_length=40)] = None,
    card_status: Annotated[CardStatus | None, Query(alias="status")] = None,
) -> PageRead[CardRead]:
    """List cards (a customer sees their own), newest first."""
    result = service.list_cards(
        session, principal=principal, account_id=account_id, status=card_status, page=page
    )
    return PageRead[CardRead].of(result, card_read)


@router.get("/{card_id}", response_model=CardRead)
def get_card(card_id: str, session: SessionDep, principal: CardsReader) -> CardRead:
    """Get one card (never its full number)."""
    return card_read(service.get_card(session, principal=principal, card_id=card_id))


@router.patch("/{card_id}", response_model=CardRead)
def update_card(
    card_id: str,
    body: CardUpdate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CardsWriter,
) -> CardRead:
    """Block, unblock or close a card."""
    return card_read(
        service.change_status(
            session, principal=principal, card_id=card_id, status=body.status, now=runtime.now()
        )
    )
