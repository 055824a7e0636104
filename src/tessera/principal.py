"""Who is calling: a user (customer, staff, platform admin) or a firm's machine client.

Every service that reads or changes tenant data takes the principal and asks it two questions:
may it do this at all (its scopes), and which rows may it see: ``visibility`` (its firm, and for
a customer, its own account holder; nothing for a customer without one) or, for objects of the
firm as a whole, ``firm_visibility`` (see ``tessera.visibility``).

User management (deleting a user, granting or revoking a staff role, disabling a machine client)
follows one rule, ``require_manages``, on every route that does it:

1. An object the caller cannot see is a 404, exactly as if it did not exist: another firm's user
   or client (except for platform admins), and for a customer every user but themselves.
2. A visible object the caller may not act on is a 403: operators, customers and machine clients
   manage no user; a target whose role outranks the caller's (``Role.outranks``; a firm admin
   and the platform admin living in the same firm) is refused; so is a machine client holding a
   scope the caller lacks.
3. Nobody grants a role above their own (``require_may_grant``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from tessera.errors import Forbidden, NotFound
from tessera.models.user import Role
from tessera.visibility import Visibility


class Scope(StrEnum):
    ACCOUNTS_READ = "accounts:read"
    ACCOUNTS_WRITE = "accounts:write"
    CARDS_READ = "cards:read"
    CARDS_WRITE = "cards:write"
    CARDS_REVEAL = "cards:reveal"
    DELIVERIES_READ = "deliveries:read"
    DELIVERIES_WRITE = "deliveries:write"
    CERTIFICATES_READ = "certificates:read"
    CERTIFICATES_WRITE = "certificates:write"
    WEBHOOKS_MANAGE = "webhooks:manage"
    CLIENTS_MANAGE = "clients:manage"
    AUDIT_READ = "audit:read"


ALL_SCOPES = frozenset(Scope)

ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.CUSTOMER: frozenset(
        {
            Scope.ACCOUNTS_READ,
            Scope.ACCOUNTS_WRITE,
            Scope.CARDS_READ,
            Scope.CARDS_WRITE,
            Scope.DELIVERIES_READ,
            Scope.CERTIFICATES_READ,
            Scope.CERTIFICATES_WRITE,
        }
    ),
    Role.FIRM_OPERATOR: ALL_SCOPES
    - {Scope.CARDS_REVEAL, Scope.CLIENTS_MANAGE, Scope.WEBHOOKS_MANAGE},
    Role.FIRM_ADMIN: ALL_SCOPES,
    Role.PLATFORM_ADMIN: ALL_SCOPES,
}


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller of one request."""

    kind: Literal["user", "client"]
    id: str
    firm_id: str
    scopes: frozenset[Scope]
    role: Role | None = None
    holder_id: str | None = None
    email: str | None = None
    # The login session of a user's access token (what logout ends).
    session_id: str | None = None

    @property
    def is_platform_admin(self) -> bool:
        return self.role is Role.PLATFORM_ADMIN

    @property
    def is_customer(self) -> bool:
        return self.role is Role.CUSTOMER

    @property
    def is_firm_admin(self) -> bool:
        return self.role in (Role.FIRM_ADMIN, Role.PLATFORM_ADMIN)

    @property
    def is_staff(self) -> bool:
        """Firm staff, platform admins and machine clients act for the firm as a whole."""
        return not self.is_customer

    def require(self, scope: Scope) -> None:
        """Raise Forbidden unless the principal holds ``scope``."""
        if scope not in self.scopes:
            raise Forbidden(f"This needs the {scope.value} scope.", details={"scope": scope.value})

    def require_role(self, *roles: Role) -> None:
        """Raise Forbidden unless the principal is a user with one of ``roles``."""
        if self.role not in roles:
            raise Forbidden("Your role does not allow this.")

    @property
    def manages_users(self) -> bool:
        """Firm admins (in their firm) and platform admins manage users; nobody else does."""
        return self.kind == "user" and self.role in (Role.FIRM_ADMIN, Role.PLATFORM_ADMIN)

    def can_see_user(self, *, user_id: str, firm_id: str) -> bool:
        """Whether a user is visible: oneself, one's firm's users for staff, all for platform."""
        if user_id == self.id:
            return True
        if self.is_customer:
            return False
        return self.is_platform_admin or firm_id == self.firm_id

    def require_manages(self, *, user_id: str, firm_id: str, role: Role) -> None:
        """Raise unless this principal may delete the user or change their role (see above).

        404 ``not_found`` for a user it cannot see; 403 ``forbidden`` for one it sees but may
        not manage, or who outranks it.
        """
        if not self.can_see_user(user_id=user_id, firm_id=firm_id):
            raise NotFound("User not found.")
        if not self.manages_users or self.role is None:
            raise Forbidden("Only the firm's admins can manage its users.")
        if role.outranks(self.role):
            raise Forbidden(
                "This user's role is above yours.",
                details={"role": role.value, "your_role": self.role.value},
            )

    def require_may_grant(self, role: Role) -> None:
        """Raise Forbidden unless this principal manages users and ``role`` is not above its own."""
        if not self.manages_users or self.role is None:
            raise Forbidden("Only the firm's admins can grant roles.")
        if role.outranks(self.role):
            raise Forbidden(
                "You cannot grant a role above your own.",
                details={"role": role.value, "your_role": self.role.value},
            )

    def require_covers_scopes(self, scopes: frozenset[Scope] | set[Scope]) -> None:
        """Raise Forbidden unless this principal holds every one of ``scopes``.

        A machine client with a scope its manager lacks outranks that manager: the manager
        could neither have created it nor may disable it.
        """
        beyond = sorted(s.value for s in scopes if s not in self.scopes)
        if beyond:
            raise Forbidden("This client holds scopes you do not.", details={"scopes": beyond})

    @property
    def visibility(self) -> Visibility:
        """The tenant rows this principal may see (``tessera.visibility``)."""
        if self.is_customer:
            if self.holder_id is None:
                return Visibility.nothing()
            return Visibility.holder(self.firm_id, self.holder_id)
        return self.firm_visibility

    @property
    def firm_visibility(self) -> Visibility:
        """The firm-wide objects in view: every firm for a platform admin, else its own."""
        return Visibility.everything() if self.is_platform_admin else Visibility.firm(self.firm_id)


def parse_scopes(text: str) -> frozenset[Scope]:
    """The known scopes in a space-separated string (unknown ones are dropped)."""
    known = {s.value: s for s in ALL_SCOPES}
    return frozenset(known[s] for s in text.split() if s in known)
