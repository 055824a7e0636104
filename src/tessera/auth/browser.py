"""Sessions of the web app: the refresh-token service, keyed by the user each token belongs to.

The web app keeps access tokens in memory and leaves each signed-in user's refresh token to the
browser, in an HttpOnly cookie named after the user (see ``auth.cookies``), so that a reload or a
new tab stays signed in while no script can read a token. These functions are the service side
of that: they rotate and revoke the same refresh-token families as ``auth.service`` and know
nothing of cookies or HTTP.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from tessera.auth import repository, service
from tessera.crypto.passwords import PasswordHashing
from tessera.crypto.tokens import hash_secret
from tessera.db import SessionScope
from tessera.errors import Unauthorized
from tessera.kit.throttle import AttemptThrottle


@dataclass(frozen=True, slots=True)
class BrowserSession:
    """A signed-in user and the tokens just issued for them."""

    user_id: str
    tokens: service.IssuedTokens


@dataclass(frozen=True, slots=True)
class Renewal:
    """What a renewal found: the sessions that go on, and the users whose session is over."""

    renewed: list[BrowserSession]
    ended: list[str]


def _user_of(tokens: service.TokenMaker, issued: service.IssuedTokens, now: datetime) -> str:
    # The token was issued a moment ago by this process: its subject is the user.
    return tokens.access_tokens.verify(issued.access_token, now=now).sub


async def sign_in(
    checks: SessionScope,
    session: Session,
    passwords: PasswordHashing,
    throttle: AttemptThrottle,
    tokens: service.TokenMaker,
    *,
    clock: Callable[[], datetime],
    email: str,
    password: str,
    address: str | None,
) -> BrowserSession:
    """Log in (same checks, limits and audit as ``auth.service.login``) and name the user."""
    issued = await service.login(
        checks,
        session,
        passwords,
        throttle,
        tokens,
        clock=clock,
        email=email,
        password=password,
        address=address,
    )
    return BrowserSession(user_id=_user_of(tokens, issued, clock()), tokens=issued)


def renew(
    session: Session,
    tokens: service.TokenMaker,
    *,
    refresh_tokens: Mapping[str, str],
    clock: Callable[[], datetime],
) -> Renewal:
    """Rotate each user's refresh token; a refused one (expired, revoked, reused) ends that
    user's session without failing the others. A reuse still revokes its whole family."""
    renewed: list[BrowserSession] = []
    ended: list[str] = []
    for user_id, refresh_token in sorted(refresh_tokens.items()):
        try:
            issued = service.refresh(session, tokens, refresh_token=refresh_token, now=clock())
        except Unauthorized:
            ended.append(user_id)
            continue
        owner = _user_of(tokens, issued, clock())
        if owner != user_id:
            # A cookie under another user's name (only its holder could have renamed it):
            # the session goes on under its real owner's name.
            ended.append(user_id)
        renewed.append(BrowserSession(user_id=owner, tokens=issued))
    return Renewal(renewed=renewed, ended=ended)


def sign_out(session: Session, *, refresh_token: str, now: datetime) -> None:
    """Revoke the family of a refresh token. Holding the token is the proof: the access token
    may already have expired, and signing out must work all the same."""
    row = repository.get_refresh_token_for_update(session, hash_secret(refresh_token))
    if row is not None:
        repository.revoke_family(session, row.family_id, now=now)
