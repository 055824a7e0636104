"""HTTP routes for the card vault: the masked card, and the audited reveal."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from tessera.deps import CardsReader, CardsRevealer, RuntimeDep, SessionDep, TransactionalRoute
from tessera.vault import card_store
from tessera.vault.schemas import MaskedCardRead, RevealedCard

router = APIRouter(prefix="/v1/vault/cards", tags=["vault"], route_class=TransactionalRoute)


@router.get("/{token}", response_model=MaskedCardRead)
def get_vault_card(token: str, session: SessionDep, principal: CardsReader) -> MaskedCardRead:
    """A card in the vault, masked."""
    card = card_store.get_card(session, principal=principal, token=token)
    return MaskedCardRead(
        token=card.token,
        brand=card.brand,
        bin=card.bin,
        last4=card.last4,
        expiry=card.expiry,
        cardholder_name=card.cardholder_name,
        masked_number=card_store.masked_number(card),
        source=card.source,
        created_at=card.created_at,
    )


@router.post("/{token}/reveal", response_model=RevealedCard)
def reveal_vault_card(
    token: str, session: SessionDep, runtime: RuntimeDep, principal: CardsRevealer
) -> JSONResponse:
    """The full card number (scope `cards:reveal` or role `firm_admin`); every call is audited."""
    number = card_store.reveal_card(
        session, runtime.keyring, principal=principal, token=token, now=runtime.now()
    )
    return JSONResponse(
        RevealedCard(card_number=number).model_dump(),
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )
