"""Machine clients: creating them and exchanging their credentials for tokens.

The token endpoint follows RFC 6749 (section 4.4, client credentials): a form-encoded body,
client authentication by HTTP Basic or by ``client_id``/``client_secret`` in the body (one of
the two, never both), and an optional ``scope`` that can only narrow the client's scopes. Its
errors use RFC 6749 section 5.2's codes and statuses (400 ``invalid_request``,
``unsupported_grant_type``, ``invalid_scope``; 401 ``invalid_client``) inside our usual error
envelope, so that every error of the API has one shape.

A token carries the granted scopes. On each request the client is looked up again
(``tessera.identity``): a disabled
client's tokens stop working at once, and scopes taken away from it are no longer honoured.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from tessera.audit import service as audit
from tessera.clients import repository
from tessera.crypto.tokens import AccessTokens, hash_secret, new_opaque_secret, secrets_match
from tessera.errors import Forbidden, NotFound, TesseraError
from tessera.firms.service import visible_firm
from tessera.kit.ids import new_id
from tessera.kit.pagination import Page, PageParams
from tessera.kit.throttle import AttemptThrottle
from tessera.models import ApiClient
from tessera.principal import Principal, Scope, parse_scopes
from tessera.visibility import Visibility

CLIENT_CREDENTIALS = "client_credentials"


class OAuthError(TesseraError):
    """An RFC 6749 section 5.2 error of the token endpoint (400 unless said otherwise)."""

    status = 400
    default_code = "invalid_request"
    default_message = "The token request is not valid."


class InvalidClient(OAuthError):
    status = 401
    default_code = "invalid_client"
    default_message = "Client authentication failed."

    def __init__(self) -> None:
        super().__init__(headers={"WWW-Authenticate": 'Basic realm="tessera"'})


@dataclass(frozen=True, slots=True)
class CreatedClient:
    """A new client and its secret, which exists only in this answer."""

    client: ApiClient
    secret: str


@dataclass(frozen=True, slots=True)
class IssuedClientToken:
    """An access token for a client."""

    access_token: str
    expires_in: int
    scope: str


ALL_SCOPE_NAMES = frozenset(s.value for s in Scope)


def scope_string(scopes: set[Scope] | frozenset[Scope] | list[Scope]) -> str:
    """Scopes as OAuth writes them: space-separated, in a stable order."""
    return " ".join(sorted(s.value for s in scopes))


def _firm_for_manager(session: Session, principal: Principal, firm_id: str) -> str:
    # As on every user-management route: another firm is a 404 first, then the right (403).
    firm = visible_firm(session, principal=principal, firm_id=firm_id).id
    principal.require(Scope.CLIENTS_MANAGE)
    return firm


def create_client(
    session: Session,
    *,
    principal: Principal,
    firm_id: str,
    name: str,
    scopes: list[Scope],
    now: datetime,
) -> CreatedClient:
    """Create a machine client of the firm; its scopes cannot exceed the caller's own."""
    firm = _firm_for_manager(session, principal, firm_id)
    beyond = sorted(s.value for s in scopes if s not in principal.scopes)
    if beyond:
        raise Forbidden(
            "A client cannot get scopes its creator does not hold.",
            details={"scopes": beyond},
        )
    secret = new_opaque_secret("cs")
    client = repository.add(
        session,
        ApiClient(
            id=new_id("cli"),
            firm_id=firm,
            name=name,
            secret_hash=hash_secret(secret),
            scopes=scope_string(scopes),
            status="active",
            created_by=principal.id,
            created_at=now,
        ),
    )
    session.flush()
    audit.record(
        session,
        firm_id=firm,
        actor=principal,
        action="client.created",
        target_type="api_client",
        target_id=client.id,
        data={"name": name, "scopes": client.scope_list},
        now=now,
    )
    return CreatedClient(client=client, secret=secret)


def list_clients(
    session: Session, *, principal: Principal, firm_id: str, page: PageParams
) -> Page[ApiClient]:
    """The firm's machine clients."""
    firm = _firm_for_manager(session, principal, firm_id)
    items, total = repository.page(session, firm_id=firm, limit=page.limit, offset=page.offset)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


def disable_client(
    session: Session, *, principal: Principal, firm_id: str, client_id: str, now: datetime
) -> None:
    """Disable a client: its secret and every token it holds stop working at once.

    A client holding a scope the caller lacks outranks it: 403, like a firm admin facing a
    platform admin.
    """
    firm = _firm_for_manager(session, principal, firm_id)
    client = repository.get(session, client_id, visibility=Visibility.firm(firm))
    if client is None:
        raise NotFound("Client not found.")
    principal.require_covers_scopes(parse_scopes(client.scopes))
    if client.status == "disabled":
        return
    client.status = "disabled"
    client.disabled_at = now
    session.flush()
    audit.record(
        session,
        firm_id=firm,
        actor=principal,
        action="client.disabled",
        target_type="api_client",
        target_id=client.id,
        now=now,
    )


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidClient() from exc
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise InvalidClient()
    return client_id, secret


def issue_token(
    session: Session,
    *,
    throttle: AttemptThrottle,
    access_tokens: AccessTokens,
    now: datetime,
    grant_type: str | None,
    client_id: str | None,
    client_secret: str | None,
    scope: str | None,
    authorization: str | None,
    address: str | None,
) -> IssuedClientToken:
    """Exchange client credentials for an access token (RFC 6749 section 4.4).

    Attempts are counted before the secret is checked, like logins (per client id and
    address, per client id, per address): once a limit is used up the answer is 429 with
    Retry-After, even for the right secret; a right secret hands its count back.
    """
    if not grant_type:
        raise OAuthError("grant_type is required.", details={"parameter": "grant_type"})
    if grant_type != CLIENT_CREDENTIALS:
        raise OAuthError(
            "Only the client_credentials grant is supported.", code="unsupported_grant_type"
        )
    basic = _basic_credentials(authorization)
    if basic is not None and (client_id or client_secret):
        raise OAuthError("Authenticate the client one way only: HTTP Basic or the body.")
    if basic is not None:
        client_id, client_secret = basic
    if not client_id or not client_secret:
        raise InvalidClient()
    throttle.reserve(subject=client_id, address=address)
    # Authenticating the client itself: no caller yet, so no tenant to narrow to.
    client = repository.get(session, client_id, visibility=Visibility.everything())
    if (
        client is None
        or not secrets_match(client_secret, client.secret_hash)
        or client.status != "active"
    ):
        raise InvalidClient()
    throttle.succeeded(subject=client_id, address=address)
    allowed = parse_scopes(client.scopes)
    if scope is None or not scope.strip():
        granted = allowed
    else:
        requested = scope.split()
        unknown = sorted({s for s in requested if s not in {a.value for a in allowed}})
        if unknown:
            raise OAuthError(
                "The requested scope is unknown or beyond the client's scopes.",
                code="invalid_scope",
                # Only names of real scopes: anything else the client sent is not repeated.
                details={"scopes": [s for s in unknown if s in ALL_SCOPE_NAMES]},
            )
        granted = parse_scopes(scope)
    granted_text = scope_string(granted)
    token = access_tokens.issue(subject=client.id, firm=client.firm_id, scope=granted_text, now=now)
    audit.record(
        session,
        firm_id=client.firm_id,
        actor=audit.Actor(type="client", id=client.id),
        action="auth.client_token_issued",
        target_type="api_client",
        target_id=client.id,
        data={"scope": granted_text},
        now=now,
    )
    return IssuedClientToken(
        access_token=token, expires_in=access_tokens.ttl_seconds, scope=granted_text
    )
