"""The two statements that authenticate a request: a user's facts and a machine client's.

Both run on every authenticated request, so each is one indexed statement on the driver's cursor
(see ``tessera.rawsql``): no ORM entity and no SQLAlchemy execution.
"""

from __future__ import annotations

from dataclasses import dataclass

from tessera.rawsql import Cursor, Statement


@dataclass(frozen=True, slots=True)
class PrincipalFacts:
    """The few columns every authenticated request needs about its user."""

    user_id: str
    firm_id: str
    email: str
    role: str
    status: str
    holder_id: str | None


_PRINCIPAL_FACTS = Statement.of(
    "SELECT users.id, users.firm_id, users.email, users.role, users.status, account_holders.id"
    " FROM users"
    " JOIN login_sessions ON login_sessions.id = ? AND login_sessions.user_id = users.id"
    " AND login_sessions.revoked_at IS NULL"
    " LEFT OUTER JOIN account_holders ON account_holders.user_id = users.id"
    " WHERE users.id = ?"
)


def principal_facts(cursor: Cursor, user_id: str, session_id: str) -> PrincipalFacts | None:
    """What authenticating a request needs, as plain columns; None unless the login session
    ``session_id`` is the user's and has not been revoked.

    This runs on every authenticated request, so it is one indexed statement on the driver's
    cursor (see ``tessera.rawsql``): no ORM entity, no SQLAlchemy execution, and the session
    checked in the same query by primary key.
    """
    row = cursor.one(_PRINCIPAL_FACTS, (session_id, user_id))
    return None if row is None else PrincipalFacts(*row)


_CLIENT_FACTS = Statement.of("SELECT id, firm_id, status, scopes FROM api_clients WHERE id = ?")


def client_facts(cursor: Cursor, client_id: str) -> tuple[str, str, str, str] | None:
    """``(id, firm_id, status, scopes)`` of a client: authenticating its requests needs no more."""
    row = cursor.one(_CLIENT_FACTS, (client_id,))
    return None if row is None else (row[0], row[1], row[2], row[3])
