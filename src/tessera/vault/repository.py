"""Queries on the vault: vault cards and key rotations (master key versions: ``kit.keyring``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tessera import rawsql
from tessera.models import VaultCard, VaultKeyRotation
from tessera.visibility import Visibility

# --- vault cards --------------------------------------------------------------------------------


_INSERT_CARD = rawsql.Statement.of(
    "INSERT INTO vault_cards (id, firm_id, holder_id, token, fingerprint, source, brand, bin,"
    " last4, pan_length, expiry, cardholder_name, key_version, sealed_number, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def add_card(session: Session, card: VaultCard) -> VaultCard:
    """Insert a vault card now, on the driver's cursor (every registration writes one).

    ``card`` is a transient object carrying the values: it is not added to the session.
    """
    cursor = rawsql.cursor(session)
    cursor.execute(
        _INSERT_CARD,
        (
            card.id,
            card.firm_id,
            card.holder_id,
            card.token,
            card.fingerprint,
            card.source,
            card.brand,
            card.bin,
            card.last4,
            card.pan_length,
            cursor.day(card.expiry),
            card.cardholder_name,
            card.key_version,
            card.sealed_number,
            cursor.stamp(card.created_at),
        ),
    )
    return card


def get_card(session: Session, card_id: str) -> VaultCard | None:
    """One vault card by id (no tenancy filter: callers have already checked the owner)."""
    return session.get(VaultCard, card_id)


def get_card_by_token(session: Session, token: str, *, visibility: Visibility) -> VaultCard | None:
    """One vault card by token, if it is in view."""
    return session.scalar(
        sa.select(VaultCard).where(
            VaultCard.token == token, *visibility.where(VaultCard.firm_id, VaultCard.holder_id)
        )
    )


def fingerprint_exists(session: Session, *, firm_id: str, fingerprint: str) -> bool:
    """Whether any vault card of the firm has this fingerprint."""
    found = session.scalar(
        sa.select(
            sa.exists().where(VaultCard.firm_id == firm_id, VaultCard.fingerprint == fingerprint)
        )
    )
    return bool(found)


def count_cards_below(session: Session, version: int) -> int:
    """How many vault cards are sealed under a master key older than ``version``."""
    return (
        session.scalar(
            sa.select(sa.func.count()).select_from(VaultCard).where(VaultCard.key_version < version)
        )
        or 0
    )


def count_cards_by_version(session: Session) -> dict[int, int]:
    """How many vault cards each master key version seals."""
    rows = session.execute(
        sa.select(VaultCard.key_version, sa.func.count()).group_by(VaultCard.key_version)
    )
    return {int(version): int(count) for version, count in rows}


def lock_cards_below(session: Session, version: int, *, limit: int) -> list[VaultCard]:
    """Up to ``limit`` cards sealed under an older version, locked; rows another rotator holds
    are skipped (PostgreSQL), so a CLI and workers can share one rotation."""
    return list(
        session.scalars(
            sa.select(VaultCard)
            .where(VaultCard.key_version < version)
            .order_by(VaultCard.key_version, VaultCard.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )


def update_sealed_numbers(session: Session, updates: Sequence[dict[str, Any]]) -> None:
    """Write new sealed values: ``[{"id", "sealed_number", "key_version"}, ...]``."""
    if updates:
        session.execute(sa.update(VaultCard), list(updates))


def cards_after(session: Session, after_id: str, *, limit: int) -> list[VaultCard]:
    """The next ``limit`` vault cards in id order after ``after_id`` ("" for the first)."""
    return list(
        session.scalars(
            sa.select(VaultCard).where(VaultCard.id > after_id).order_by(VaultCard.id).limit(limit)
        )
    )


# --- key rotations ------------------------------------------------------------------------------


def get_running_rotation(session: Session, *, lock: bool = False) -> VaultKeyRotation | None:
    """The rotation in progress, if any."""
    query = sa.select(VaultKeyRotation).where(VaultKeyRotation.status == "running")
    if lock:
        query = query.with_for_update()
    return session.scalar(query)


def get_rotation(
    session: Session, rotation_id: str, *, lock: bool = False
) -> VaultKeyRotation | None:
    """One rotation, optionally locked until the end of the transaction."""
    return session.get(VaultKeyRotation, rotation_id, with_for_update=lock or None)


def latest_rotation(session: Session) -> VaultKeyRotation | None:
    """The most recently started rotation."""
    return session.scalar(
        sa.select(VaultKeyRotation).order_by(VaultKeyRotation.started_at.desc()).limit(1)
    )


def add_rotation(session: Session, rotation: VaultKeyRotation) -> VaultKeyRotation:
    """Insert a rotation."""
    session.add(rotation)
    session.flush()
    return rotation


def count_rotation_progress(
    session: Session, rotation_id: str, *, moved: int, now: datetime
) -> None:
    """Add ``moved`` to a rotation's progress (an increment, safe with concurrent rotators)."""
    session.execute(
        sa.update(VaultKeyRotation)
        .where(VaultKeyRotation.id == rotation_id)
        .values(rows_done=VaultKeyRotation.rows_done + moved, updated_at=now)
    )
