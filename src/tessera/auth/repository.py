"""Queries on users and refresh tokens."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tessera.models import AccountHolder, LoginSession, RefreshToken, User


def add_user(session: Session, user: User) -> User:
    """Insert a user."""
    session.add(user)
    return user


def get_user(session: Session, user_id: str) -> User | None:
    """One user by id."""
    return session.get(User, user_id)


def get_user_by_email(session: Session, email: str) -> User | None:
    """The active user with this (lower-cased) email."""
    return session.scalar(sa.select(User).where(User.email == email.lower()))


def email_exists(session: Session, email: str) -> bool:
    """Whether any user has this email."""
    return session.scalar(sa.select(sa.exists().where(User.email == email.lower()))) or False


def get_user_with_holder(
    session: Session, user_id: str
) -> tuple[User, AccountHolder | None] | None:
    """A user and their holder profile in one query."""
    row = session.execute(
        sa.select(User, AccountHolder)
        .outerjoin(AccountHolder, AccountHolder.user_id == User.id)
        .where(User.id == user_id)
    ).first()
    return None if row is None else (row[0], row[1])


def add_login_session(session: Session, login: LoginSession) -> LoginSession:
    """Insert a login session."""
    session.add(login)
    return login


def add_refresh_token(session: Session, token: RefreshToken) -> RefreshToken:
    """Insert a refresh token row."""
    session.add(token)
    return token


def get_refresh_token_for_update(session: Session, token_hash: str) -> RefreshToken | None:
    """The refresh token with this hash, locked so that two refreshes cannot both rotate it."""
    return session.scalar(
        sa.select(RefreshToken).where(RefreshToken.token_hash == token_hash).with_for_update()
    )


def revoke_family(session: Session, family_id: str, *, now: datetime) -> int:
    """End a login: revoke its session and every live token of its family; returns how many
    tokens."""
    session.execute(
        sa.update(LoginSession)
        .where(LoginSession.id == family_id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    result = session.execute(
        sa.update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def revoke_all_for_user(session: Session, user_id: str, *, now: datetime) -> int:
    """End every login of a user: sessions and live refresh tokens; returns how many tokens."""
    session.execute(
        sa.update(LoginSession)
        .where(LoginSession.user_id == user_id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    result = session.execute(
        sa.update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
