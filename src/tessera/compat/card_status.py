"""``GET /get_card_status`` from the card status service (seed 004), over the deliveries service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from tessera.deliveries import service
from tessera.deliveries.schemas import LegacyCardStatusRead
from tessera.deps import CurrentPrincipal, SessionDep, TransactionalRoute

router = APIRouter(tags=["paths kept from the source documents"], route_class=TransactionalRoute)


@router.get(
    "/get_card_status",
    response_model=LegacyCardStatusRead,
    responses={
        404: {"description": "No card matches (both parameters given: both must match)."},
        422: {"description": "Neither parameter, or a malformed one."},
    },
)
def get_card_status(
    session: SessionDep,
    principal: CurrentPrincipal,
    card_id: Annotated[str | None, Query(max_length=64)] = None,
    user_phone: Annotated[
        str | None, Query(max_length=32, description="The phone, e.g. 585949014.")
    ] = None,
) -> LegacyCardStatusRead:
    """A card's status as the source document answered it (`Picked Up`, `Delivered`...)."""
    return LegacyCardStatusRead.of(
        service.legacy_card_status(
            session, principal=principal, card_id=card_id, user_phone=user_phone
        )
    )
