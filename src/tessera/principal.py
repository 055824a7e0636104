"""Who is calling: a user (customer, staff, platform admin) or a firm's machine client.

Every service that reads or changes tenant data takes the principal and asks it two questions:
may it do this at all (its scopes), and which rows may it see (its firm, and for a customer, its
own account holder).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from tessera.errors import Forbidden
from tessera.models.user import Role


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

    def visible_firm(self) -> str | None:
        """The firm whose rows this principal may see; None means every firm."""
        return None if self.is_platform_admin else self.firm_id

    def visible_holder(self) -> str | None:
        """For a customer, the one account holder whose rows they may see; else None."""
        return self.holder_id if self.is_customer else None

    def can_see(self, *, firm_id: str, holder_id: str | None = None) -> bool:
        """Whether a row owned by ``firm_id`` (and ``holder_id``) is visible to this principal."""
        if not self.is_platform_admin and firm_id != self.firm_id:
            return False
        return not (self.is_customer and holder_id != self.holder_id)
