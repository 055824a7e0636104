"""The card store: card numbers sealed under the key ring, found by token or by fingerprint.

A stored number is encrypted with AES-256-GCM under its own data key, wrapped by the active
master key version (``KeyRing``). The additional data binds the ciphertext to its row and firm,
so a sealed value copied onto another row does not open. Lookups and duplicate checks use a
keyed HMAC-SHA256 fingerprint under a separate key, namespaced per firm: two firms holding the
same card get unrelated fingerprints, so the table does not link their customers.

Only ``bin``, ``last4``, ``brand`` (plus the length, the expiry and the cardholder name, which the
database validates) are kept in the clear. The full number leaves the store through ``reveal``,
which needs the ``cards:reveal`` scope and is audited every time.
"""

from __future__ import annotations

import base64
import secrets
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from tessera.audit import service as audit
from tessera.crypto.vault import Sealed
from tessera.errors import NotFound
from tessera.kit.card_numbers import ValidatedCard, mask_card_number
from tessera.kit.ids import new_id
from tessera.kit.keyring import KeyRing
from tessera.models import VaultCard
from tessera.principal import Principal, Scope
from tessera.vault import repository

SOURCE_REGISTRATION = "registration"
SOURCE_ISSUED = "issued"


def card_fingerprint(keyring: KeyRing, *, firm_id: str, number: str) -> str:
    """The keyed fingerprint of a normalised card number within one firm."""
    return keyring.fingerprint(number, purpose=f"card_number/{firm_id}")


def sealing_context(card_id: str, firm_id: str) -> bytes:
    """The additional authenticated data of a vault card's ciphertext."""
    return f"vault_card|{firm_id}|{card_id}".encode()


def new_token() -> str:
    """A random, opaque card token: 160 random bits, nothing derived from the card."""
    return "tok_" + base64.b32encode(secrets.token_bytes(20)).decode().lower()


def store_card(
    session: Session,
    keyring: KeyRing,
    *,
    firm_id: str,
    holder_id: str | None,
    card: ValidatedCard,
    expiry: date,
    cardholder_name: str,
    source: str,
    fingerprint: str | None = None,
    now: datetime,
) -> VaultCard:
    """Seal a validated card number and insert its vault row (the caller flushes)."""
    card_id = new_id("vc")
    sealed = keyring.seal(
        session, card.number.encode("ascii"), aad=sealing_context(card_id, firm_id)
    )
    row = VaultCard(
        id=card_id,
        firm_id=firm_id,
        holder_id=holder_id,
        token=new_token(),
        fingerprint=fingerprint or card_fingerprint(keyring, firm_id=firm_id, number=card.number),
        source=source,
        brand=card.brand.value,
        bin=card.bin,
        last4=card.last4,
        pan_length=len(card.number),
        expiry=expiry,
        cardholder_name=cardholder_name,
        key_version=sealed.key_version,
        sealed_number=sealed.to_bytes(),
        created_at=now,
    )
    return repository.add_card(session, row)


def open_number(session: Session, keyring: KeyRing, card: VaultCard) -> str:
    """Decrypt a vault card's number (raises VaultError if the row was tampered with)."""
    sealed = Sealed.from_bytes(card.sealed_number)
    return keyring.open(session, sealed, aad=sealing_context(card.id, card.firm_id)).decode("ascii")


def masked_number(card: VaultCard) -> str:
    """The number as its BIN, stars and last four digits."""
    return mask_card_number(card.bin, card.last4, card.pan_length)


def public_view(card: VaultCard) -> dict[str, Any]:
    """The masked card as the API and events show it."""
    return {
        "token": card.token,
        "brand": card.brand,
        "bin": card.bin,
        "last4": card.last4,
        "expiry": card.expiry,
        "cardholder_name": card.cardholder_name,
    }


def get_card(session: Session, *, principal: Principal, token: str) -> VaultCard:
    """A vault card visible to the caller (its firm; a customer's own), else 404."""
    principal.require(Scope.CARDS_READ)
    card = repository.get_card_by_token(session, token, visibility=principal.visibility)
    if card is None:
        raise NotFound("Card not found.")
    return card


def reveal_card(
    session: Session, keyring: KeyRing, *, principal: Principal, token: str, now: datetime
) -> str:
    """The full number of a vault card; needs ``cards:reveal`` and writes an audit entry."""
    principal.require(Scope.CARDS_REVEAL)
    card = get_card(session, principal=principal, token=token)
    number = open_number(session, keyring, card)
    audit.record(
        session,
        firm_id=card.firm_id,
        actor=principal,
        action="vault.card_revealed",
        target_type="vault_card",
        target_id=card.token,
        data={"source": card.source, "brand": card.brand, "last4": card.last4},
        now=now,
    )
    return number
