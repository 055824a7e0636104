"""Queries on the vault's master key versions."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tessera.models import VaultKey


def get_active_version(session: Session) -> int | None:
    """The highest active master key version, if any."""
    return session.scalar(
        sa.select(sa.func.max(VaultKey.version)).where(VaultKey.status == "active")
    )


def get_key(session: Session, version: int) -> VaultKey | None:
    """One master key version."""
    return session.get(VaultKey, version)


def list_keys(session: Session) -> list[VaultKey]:
    """Every master key version, oldest first."""
    return list(session.scalars(sa.select(VaultKey).order_by(VaultKey.version)))


def add_key(session: Session, *, version: int, wrapped_key: bytes) -> VaultKey:
    """Store a new master key version."""
    key = VaultKey(version=version, wrapped_key=wrapped_key, status="active")
    session.add(key)
    session.flush()
    return key
