"""Access tokens (JWT) and opaque secrets stored only as hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

ALGORITHM = "HS256"


class InvalidToken(Exception):
    """The token is malformed, tampered with, or not ours."""


class ExpiredToken(InvalidToken):
    """The token was valid but its ``exp`` has passed."""


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """What an access token says about its bearer."""

    sub: str
    jti: str
    firm: str
    role: str | None
    scope: str | None
    iat: int
    exp: int
    # The login session (refresh-token family) of a user's token; clients' tokens have none.
    sid: str | None = None


class AccessTokens:
    """Issues and verifies HS256 access tokens."""

    # Tokens whose signature was already checked, so a client's next requests skip the HMAC
    # and the JSON parsing (about a tenth of a read's cost). Only good signatures are kept,
    # keyed by the whole token; expiry is still checked on every use, and revocation is the
    # database's job (the login session is looked up on every request anyway).
    VERIFIED_CACHE_SIZE = 4096

    def __init__(self, secret: str, *, ttl_seconds: int, issuer: str) -> None:
        self._secret = secret
        self.ttl_seconds = ttl_seconds
        self._issuer = issuer
        self._verified: OrderedDict[str, AccessClaims] = OrderedDict()
        self._lock = threading.Lock()

    def issue(
        self,
        *,
        subject: str,
        firm: str,
        now: datetime,
        role: str | None = None,
        scope: str | None = None,
        session_id: str | None = None,
    ) -> str:
        """A signed token for ``subject``, valid for ``ttl_seconds`` from ``now``."""
        claims: dict[str, Any] = {
            "sub": subject,
            "jti": secrets.token_hex(16),
            "firm": firm,
            "iss": self._issuer,
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(seconds=self.ttl_seconds)).timestamp()),
        }
        if role is not None:
            claims["role"] = role
        if scope is not None:
            claims["scope"] = scope
        if session_id is not None:
            claims["sid"] = session_id
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify(self, token: str, *, now: datetime) -> AccessClaims:
        """The claims of a valid token; raises ExpiredToken or InvalidToken."""
        claims = self._verified.get(token)
        if claims is None:
            claims = self._verify_signature(token)
            with self._lock:
                self._verified[token] = claims
                if len(self._verified) > self.VERIFIED_CACHE_SIZE:
                    self._verified.popitem(last=False)
        # Expiry is checked against the service's clock (which tests can move); `iat` is not
        # checked, so that a small clock skew between API processes cannot reject fresh tokens.
        if claims.exp <= int(now.timestamp()):
            raise ExpiredToken("expired")
        return claims

    def _verify_signature(self, token: str) -> AccessClaims:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                issuer=self._issuer,
                options={
                    "require": ["sub", "jti", "firm", "iat", "exp"],
                    "verify_exp": False,
                    "verify_iat": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(type(exc).__name__) from exc
        return AccessClaims(
            sub=str(claims["sub"]),
            jti=str(claims["jti"]),
            firm=str(claims["firm"]),
            role=claims.get("role"),
            scope=claims.get("scope"),
            iat=int(claims["iat"]),
            exp=int(claims["exp"]),
            sid=str(claims["sid"]) if claims.get("sid") is not None else None,
        )


def new_opaque_secret(prefix: str) -> str:
    """A random secret such as ``rt_...`` for refresh tokens or ``cs_...`` for client secrets."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def hash_secret(value: str) -> str:
    """SHA-256 of a high-entropy secret; enough because the secret is random, not chosen."""
    return hashlib.sha256(value.encode()).hexdigest()


def secrets_match(value: str, expected_hash: str) -> bool:
    """Constant-time comparison of ``value`` against a stored hash."""
    return hmac.compare_digest(hash_secret(value), expected_hash)
