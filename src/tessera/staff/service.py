"""Granting and revoking staff roles, from the API (a firm's admins) and from the CLI.

Roles are read from the database on every request (``identity.service.resolve_principal``), so a
change takes effect on the user's next request, without waiting for their token to expire.
Every change is audited with the role before and after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from tessera.audit import service as audit
from tessera.auth import repository as users
from tessera.crypto.passwords import PasswordHashing
from tessera.db import SessionScope
from tessera.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tessera.firms.service import visible_firm
from tessera.kit.ids import new_id
from tessera.kit.pagination import Page, PageParams
from tessera.models import Firm, Role, User
from tessera.principal import Principal
from tessera.staff import repository
from tessera.staff.domain import StaffRole


@dataclass(frozen=True, slots=True)
class Granted:
    """The staff user, and whether this grant created them."""

    user: User
    created: bool


def _firm_for_admin(session: Session, principal: Principal, firm_id: str) -> Firm:
    # Another firm is a 404 before anything else; then only user managers go on (403).
    firm = visible_firm(session, principal=principal, firm_id=firm_id)
    if not principal.manages_users:
        raise Forbidden("Only the firm's admins can manage its staff.")
    return firm


def _email_taken() -> Conflict:
    return Conflict("An account with this email already exists.", code="email_taken")


def _change_role(
    session: Session,
    *,
    user: User,
    role: Role,
    actor: audit.Actor | Principal,
    action: str,
    now: datetime,
) -> None:
    previous = user.role
    if previous == role.value:
        return
    user.role = role.value
    session.flush()
    audit.record(
        session,
        firm_id=user.firm_id,
        actor=actor,
        action=action,
        target_type="user",
        target_id=user.id,
        data={"from": previous, "to": role.value},
        now=now,
    )


def set_staff_role(
    checks: SessionScope,
    session: Session,
    passwords: PasswordHashing,
    *,
    firm: Firm,
    email: str,
    role: StaffRole,
    password: str | None,
    actor: audit.Actor | Principal,
    now: datetime,
) -> Granted:
    """Give the user with ``email`` a staff role in ``firm``, creating them if needed.

    The user must belong to the firm (409 ``email_taken`` when the email is another firm's);
    platform admins are managed with the CLI only. Creating a user needs ``password``. From the
    API (``actor`` a principal), the role granted and the user's current role must not be above
    the actor's own (``Principal.require_manages``, 403).

    Whether the user exists is read in ``checks`` (a short unit of work of its own), so that the
    hash of a new user's password holds no transaction; everything else happens in ``session``.
    """
    email = email.strip().lower()
    if isinstance(actor, Principal):
        actor.require_may_grant(Role(role.value))
    with checks() as reading:
        known = users.get_user_by_email(reading, email) is not None
    user = None if not known else users.get_user_by_email(session, email)
    if user is None:
        if not password:
            raise ValidationFailed.single(
                "password", "No user has this email; give a password to create one."
            )
        password_hash = passwords.hash(password)
        if users.email_exists(session, email):  # taken while this request hashed
            raise _email_taken()
        user = users.add_user(
            session,
            User(
                id=new_id("usr"),
                firm_id=firm.id,
                email=email,
                password_hash=password_hash,
                role=Role.CUSTOMER.value,
                created_at=now,
            ),
        )
        session.flush()
        audit.record(
            session,
            firm_id=firm.id,
            actor=actor,
            action="staff.user_created",
            target_type="user",
            target_id=user.id,
            now=now,
        )
        _change_role(
            session,
            user=user,
            role=Role(role.value),
            actor=actor,
            action="staff.role_granted",
            now=now,
        )
        return Granted(user, created=True)
    if user.firm_id != firm.id or user.status != "active":
        raise _email_taken()
    if isinstance(actor, Principal):
        if actor.id == user.id:
            raise Forbidden("You cannot change your own role.")
        actor.require_manages(user_id=user.id, firm_id=user.firm_id, role=Role(user.role))
    if user.role == Role.PLATFORM_ADMIN.value:
        raise Forbidden("Platform admins are managed with the CLI.")
    _change_role(
        session,
        user=user,
        role=Role(role.value),
        actor=actor,
        action="staff.role_granted",
        now=now,
    )
    return Granted(user, created=False)


def grant(
    checks: SessionScope,
    session: Session,
    passwords: PasswordHashing,
    *,
    principal: Principal,
    firm_id: str,
    email: str,
    role: StaffRole,
    password: str | None,
    now: datetime,
) -> Granted:
    """A firm admin (or platform admin) grants a staff role in the firm (the firm is checked in
    ``checks``, as ``set_staff_role`` checks the user)."""
    with checks() as reading:
        firm = _firm_for_admin(reading, principal, firm_id)
    return set_staff_role(
        checks,
        session,
        passwords,
        firm=firm,
        email=email,
        role=role,
        password=password,
        actor=principal,
        now=now,
    )


def revoke(
    session: Session, *, principal: Principal, firm_id: str, user_id: str, now: datetime
) -> None:
    """Take a user's staff role away; they keep their login as a plain customer."""
    firm = _firm_for_admin(session, principal, firm_id)
    user = repository.get_member(session, firm_id=firm.id, user_id=user_id)
    if user is None:
        raise NotFound("Staff member not found.")
    if user.id == principal.id:
        raise Forbidden("You cannot change your own role.")
    principal.require_manages(user_id=user.id, firm_id=user.firm_id, role=Role(user.role))
    if user.role not in repository.STAFF_ROLES:
        raise NotFound("Staff member not found.")
    _change_role(
        session,
        user=user,
        role=Role.CUSTOMER,
        actor=principal,
        action="staff.role_revoked",
        now=now,
    )


def list_staff(
    session: Session, *, principal: Principal, firm_id: str, page: PageParams
) -> Page[User]:
    """The firm's staff users."""
    firm = _firm_for_admin(session, principal, firm_id)
    items, total = repository.page(session, firm_id=firm.id, limit=page.limit, offset=page.offset)
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)
