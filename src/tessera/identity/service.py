"""Who is calling: the principal named by a verified access token, for every request."""

from __future__ import annotations

from tessera.crypto.tokens import AccessClaims
from tessera.errors import Unauthorized
from tessera.identity import repository
from tessera.models import Role
from tessera.principal import ROLE_SCOPES, Principal, parse_scopes
from tessera.rawsql import Cursor


def resolve_principal(cursor: Cursor, claims: AccessClaims) -> Principal:
    """The principal named by a verified access token; 401 if the user or client is gone, or
    the login session it belongs to has ended (logout, a reused refresh token, erasure)."""
    if claims.scope is not None:
        # Only machine-client tokens carry a scope claim (see clients.service).
        return resolve_client(cursor, claims)
    if claims.sid is None:
        raise Unauthorized("The access token is not valid.")
    facts = repository.principal_facts(cursor, claims.sub, claims.sid)
    if facts is None or facts.status != "active" or facts.firm_id != claims.firm:
        raise Unauthorized("The access token is not valid.")
    role = Role(facts.role)
    return Principal(
        kind="user",
        id=facts.user_id,
        firm_id=facts.firm_id,
        role=role,
        scopes=ROLE_SCOPES[role],
        holder_id=facts.holder_id,
        email=facts.email,
        session_id=claims.sid,
    )


def resolve_client(cursor: Cursor, claims: AccessClaims) -> Principal:
    """The principal of a client's access token; 401 once the client is disabled or gone."""
    facts = repository.client_facts(cursor, claims.sub)
    if facts is None:
        raise Unauthorized("The access token is not valid.")
    client_id, firm_id, status, granted = facts
    if status != "active" or firm_id != claims.firm:
        raise Unauthorized("The access token is not valid.")
    scopes = parse_scopes(claims.scope or "") & parse_scopes(granted)
    return Principal(kind="client", id=client_id, firm_id=firm_id, scopes=scopes)
