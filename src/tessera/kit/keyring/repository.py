"""Queries on the master key versions (``vault_keys``): which one seals, and the wrapped keys."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tessera import rawsql
from tessera.models import VaultKey


def get_active_version(session: Session) -> int | None:
    """The highest active master key version, if any."""
    return session.scalar(
        sa.select(sa.func.max(VaultKey.version)).where(VaultKey.status == "active")
    )


_ACTIVE_VERSION = {
    "sqlite": rawsql.Statement.of(
        "SELECT version FROM vault_keys WHERE status = 'active' ORDER BY version DESC LIMIT 1"
    ),
    "postgresql": rawsql.Statement.of(
        "SELECT version FROM vault_keys WHERE status = 'active' ORDER BY version DESC LIMIT 1"
        " FOR SHARE"
    ),
}


def lock_active_version(session: Session) -> int | None:
    """The active master key version, share-locked (see ``lock_active_key``): every seal asks."""
    cursor = rawsql.cursor(session)
    row = cursor.one(_ACTIVE_VERSION["sqlite" if cursor.is_sqlite else "postgresql"])
    return None if row is None else int(row[0])


def lock_active_key(session: Session, *, exclusive: bool = False) -> VaultKey | None:
    """The active master key version, locked until the end of the transaction.

    Sealing takes a shared lock, adding a version an exclusive one (PostgreSQL; SQLite's single
    writer already serialises them). So a new version commits only after every transaction that
    sealed under the previous one has committed, and a rotation that starts after that commit
    sees every row it has to move.
    """
    return session.scalar(
        sa.select(VaultKey)
        .where(VaultKey.status == "active")
        .order_by(VaultKey.version.desc())
        .limit(1)
        .with_for_update(read=not exclusive)
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


def retire_keys_below(session: Session, version: int) -> int:
    """Retire every version older than ``version``: kept to open stragglers, never to seal."""
    result = session.execute(
        sa.update(VaultKey)
        .where(VaultKey.version < version, VaultKey.status == "active")
        .values(status="retired")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
