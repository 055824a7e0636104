"""Signup, login, refresh-token rotation, logout and erasure of a user's personal data.

Each function takes the collaborators it uses (the password hasher, the login throttle, the
token makers, the clock) rather than the whole runtime. A password hash (tens of milliseconds,
more when the hashing pool is queued) never runs inside the request's transaction: signup and
login check what they must in ``checks``, a short unit of work of its own that only reads
(``Database.read_scope``), hash holding no transaction, and only then write in ``session``,
whose transaction (on SQLite, ``BEGIN IMMEDIATE`` and the write lock) starts at that first write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import anyio.to_thread
from sqlalchemy.orm import Session

from tessera.audit import service as audit
from tessera.auth import repository
from tessera.crypto.passwords import HashingBusy, PasswordHashing
from tessera.crypto.tokens import AccessTokens, hash_secret, new_opaque_secret
from tessera.db import SessionScope
from tessera.errors import (
    Conflict,
    Forbidden,
    InvalidCredentials,
    NotFound,
    Unauthorized,
    ValidationFailed,
)
from tessera.events.service import record_event
from tessera.events.types import EventType
from tessera.firms import service as firms
from tessera.holders import repository as holders
from tessera.kit.ids import new_id
from tessera.kit.keyring import KeyRing
from tessera.kit.phone import InvalidPhone, normalize_phone
from tessera.kit.throttle import AttemptThrottle
from tessera.models import (
    DEFAULT_FIRM_ID,
    AccountHolder,
    LoginSession,
    RefreshToken,
    Role,
    User,
)
from tessera.principal import ROLE_SCOPES, Principal


class RefreshTokenReused(Unauthorized):
    """A rotated refresh token came back: the family is revoked, and that must be committed."""

    commit = True
    default_message = "This refresh token was already used; sign in again."


class LoginFailed(InvalidCredentials):
    """A wrong password: answered 401, while the failure stays in the audit log."""

    commit = True


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    """A fresh access token and refresh token."""

    access_token: str
    expires_in: int
    refresh_token: str


@dataclass(frozen=True, slots=True)
class TokenMaker:
    """What a login session's tokens are made with: the access-token signer and the lifetime
    of a refresh token."""

    access_tokens: AccessTokens
    refresh_ttl_seconds: int


def signup(
    checks: SessionScope,
    session: Session,
    passwords: PasswordHashing,
    *,
    now: datetime,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    dob: date,
    phone: str | None,
    firm_slug: str | None,
) -> tuple[User, AccountHolder]:
    """Create a customer and their holder profile; 409 ``email_taken`` if the email is in use.

    Checked in ``checks``, hashed holding no transaction, written in ``session``."""
    if dob >= now.date():
        raise ValidationFailed.single("dob", "Date of birth must be in the past.", rule="past_date")
    with checks() as reading:
        firm = firms.firm_for_signup(reading, firm_slug)
        normalised_phone = None
        if phone:
            try:
                normalised_phone = normalize_phone(phone, region=firm.phone_region)
            except InvalidPhone as exc:
                raise ValidationFailed.single("phone", "Not a valid phone number.") from exc
        if repository.email_exists(reading, email):
            raise Conflict("An account with this email already exists.", code="email_taken")
    password_hash = passwords.hash(password)
    # Another signup may have taken the email while this one hashed.
    if repository.email_exists(session, email):
        raise Conflict("An account with this email already exists.", code="email_taken")
    user = repository.add_user(
        session,
        User(
            id=new_id("usr"),
            firm_id=firm.id,
            email=email.lower(),
            password_hash=password_hash,
            role=Role.CUSTOMER.value,
            created_at=now,
        ),
    )
    session.flush()  # the holder row references the user row
    holder = holders.add(
        session,
        AccountHolder(
            id=new_id("ah"),
            firm_id=firm.id,
            user_id=user.id,
            first_name=first_name,
            last_name=last_name,
            dob=dob,
            phone=normalised_phone,
            created_at=now,
        ),
    )
    session.flush()
    audit.record(
        session,
        firm_id=firm.id,
        actor=audit.Actor(type="user", id=user.id),
        action="user.signed_up",
        target_type="user",
        target_id=user.id,
        now=now,
    )
    return user, holder


def create_staff_user(
    session: Session,
    passwords: PasswordHashing,
    *,
    email: str,
    password: str,
    firm_id: str,
    role: Role,
    now: datetime,
) -> User:
    """Create a user with a staff or platform role (CLI and firm admins)."""
    if repository.email_exists(session, email):
        raise Conflict("An account with this email already exists.", code="email_taken")
    user = repository.add_user(
        session,
        User(
            id=new_id("usr"),
            firm_id=firm_id,
            email=email.lower(),
            password_hash=passwords.hash(password),
            role=role.value,
            created_at=now,
        ),
    )
    session.flush()
    return user


def _issue(
    session: Session, tokens: TokenMaker, user: User, *, family_id: str, now: datetime
) -> IssuedTokens:
    refresh = new_opaque_secret("rt")
    repository.add_refresh_token(
        session,
        RefreshToken(
            id=new_id("rtk"),
            firm_id=user.firm_id,
            user_id=user.id,
            family_id=family_id,
            token_hash=hash_secret(refresh),
            created_at=now,
            expires_at=now + timedelta(seconds=tokens.refresh_ttl_seconds),
        ),
    )
    access = tokens.access_tokens.issue(
        subject=user.id, firm=user.firm_id, role=user.role, session_id=family_id, now=now
    )
    return IssuedTokens(
        access_token=access,
        expires_in=tokens.access_tokens.ttl_seconds,
        refresh_token=refresh,
    )


async def login(
    checks: SessionScope,
    session: Session,
    passwords: PasswordHashing,
    throttle: AttemptThrottle,
    tokens: TokenMaker,
    *,
    clock: Callable[[], datetime],
    email: str,
    password: str,
    address: str | None,
) -> IssuedTokens:
    """Check credentials and start a new login session (a refresh-token family).

    The attempt is counted before the password is checked, so a burst cannot pass the limits
    (429 with Retry-After; see ``kit.throttle``). An unknown email gets the same 401 after the
    same work (a dummy hash) and is audited with the email it named, never the password.
    Async so that waiting for the hashing pool holds no thread and no database connection: the
    user is read in ``checks`` on the threadpool before it, the outcome recorded in ``session``
    on the threadpool after it.
    """
    email = email.strip().lower()
    user = await anyio.to_thread.run_sync(_reserve_attempt, checks, throttle, email, address)
    password_hash = user.password_hash if user is not None and user.status == "active" else None
    try:
        correct = await passwords.verify_async(password_hash, password)
    except HashingBusy:
        await anyio.to_thread.run_sync(lambda: throttle.unchecked(subject=email, address=address))
        raise
    return await anyio.to_thread.run_sync(
        lambda: _finish_login(
            session,
            throttle,
            tokens,
            user,
            correct=correct,
            email=email,
            address=address,
            now=clock(),
        )
    )


def _reserve_attempt(
    checks: SessionScope, throttle: AttemptThrottle, email: str, address: str | None
) -> User | None:
    throttle.reserve(subject=email, address=address)
    with checks() as reading:  # over before the hash: it holds no connection, no lock
        return repository.get_user_by_email(reading, email)


def _finish_login(
    session: Session,
    throttle: AttemptThrottle,
    tokens: TokenMaker,
    user: User | None,
    *,
    correct: bool,
    email: str,
    address: str | None,
    now: datetime,
) -> IssuedTokens:
    """Record the outcome of a checked password: a login, or an audited failure."""
    if user is None or not correct:
        if user is not None:
            audit.record(
                session,
                firm_id=user.firm_id,
                actor=audit.Actor(type="user", id=user.id),
                action="auth.login_failed",
                target_type="user",
                target_id=user.id,
                now=now,
            )
        else:
            # PCI DSS 10.2.1.4: every invalid access attempt, including one for an account that
            # does not exist. The email it named is what an investigator needs (a spray of
            # addresses, a typo); it belongs to no firm, so it goes to the platform's own.
            audit.record(
                session,
                firm_id=DEFAULT_FIRM_ID,
                actor=audit.Actor(type="anonymous"),
                action="auth.login_failed",
                target_type="email",
                data={"email": email, "account": "none"},
                now=now,
            )
        raise LoginFailed()
    throttle.succeeded(subject=email, address=address)
    family_id = new_id("fam")
    repository.add_login_session(
        session, LoginSession(id=family_id, firm_id=user.firm_id, user_id=user.id, created_at=now)
    )
    issued = _issue(session, tokens, user, family_id=family_id, now=now)
    audit.record(
        session,
        firm_id=user.firm_id,
        actor=audit.Actor(type="user", id=user.id),
        action="auth.login",
        target_type="user",
        target_id=user.id,
        data={"session_id": family_id},
        now=now,
    )
    return issued


def refresh(
    session: Session, tokens: TokenMaker, *, refresh_token: str, now: datetime
) -> IssuedTokens:
    """Rotate a refresh token. Reusing a rotated token revokes its whole family (401)."""
    row = repository.get_refresh_token_for_update(session, hash_secret(refresh_token))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        raise Unauthorized("The refresh token is not valid; sign in again.")
    if row.rotated_at is not None:
        repository.revoke_family(session, row.family_id, now=now)
        audit.record(
            session,
            firm_id=row.firm_id,
            actor=audit.Actor(type="user", id=row.user_id),
            action="auth.refresh_token_reused",
            target_type="user",
            target_id=row.user_id,
            data={"family_id": row.family_id},
            now=now,
        )
        raise RefreshTokenReused()
    user = repository.get_user(session, row.user_id)
    if user is None or user.status != "active":
        raise Unauthorized("The refresh token is not valid; sign in again.")
    row.rotated_at = now
    session.flush()
    return _issue(session, tokens, user, family_id=row.family_id, now=now)


def logout(session: Session, *, principal: Principal, refresh_token: str, now: datetime) -> None:
    """End the caller's login session and the family of the caller's refresh token (a token of
    someone else is ignored); their access tokens stop working at once."""
    families = {principal.session_id} if principal.session_id else set()
    row = repository.get_refresh_token_for_update(session, hash_secret(refresh_token))
    if row is not None and row.user_id == principal.id:
        families.add(row.family_id)
    for family_id in sorted(families):
        repository.revoke_family(session, family_id, now=now)


def principal_of_user(session: Session, user: User) -> Principal:
    """The principal a user acts as (for the CLI and the demo, which act without a token)."""
    role = Role(user.role)
    holder = holders.get_by_user(session, user.id)
    return Principal(
        kind="user",
        id=user.id,
        firm_id=user.firm_id,
        role=role,
        scopes=ROLE_SCOPES[role],
        holder_id=holder.id if holder is not None else None,
        email=user.email,
    )


def me(session: Session, *, principal: Principal) -> tuple[User, AccountHolder | None]:
    """The caller's user row and holder profile."""
    found = repository.get_user_with_holder(session, principal.id)
    if found is None:
        raise NotFound("User not found.")
    return found


def delete_user(
    session: Session, keyring: KeyRing, *, principal: Principal, user_id: str, now: datetime
) -> None:
    """Remove a user's login and erase their personal data; ledger rows stay.

    Anyone may delete themselves except a platform admin. Deleting someone else follows
    ``Principal.require_manages``: a firm admin deletes its firm's customers and staff, never a
    platform admin (403) nor another firm's user (404); a platform admin deletes anyone; others
    are refused (404 for a user they cannot see, 403 otherwise).

    Open accounts with money in them block the deletion (409 ``accounts_not_closed``); empty
    ones are closed, refresh tokens are revoked, and the user's certificates are revoked
    (``cessation_of_operation``) so that relying parties stop trusting them.
    """
    from tessera.accounts import service as accounts
    from tessera.certificates import service as certificates

    user = repository.get_user(session, user_id)
    if user is None or user.status != "active":
        raise NotFound("User not found.")
    if user.id != principal.id:
        principal.require_manages(user_id=user.id, firm_id=user.firm_id, role=Role(user.role))
    elif principal.is_platform_admin:
        raise Forbidden("A platform admin cannot delete their own login.")
    holder = holders.get_by_user(session, user.id)
    if holder is not None:
        accounts.close_all_for_erasure(session, holder_id=holder.id, now=now)
        holder.first_name = None
        holder.last_name = None
        holder.dob = None
        holder.phone = None
        holder.erased_at = now
    repository.revoke_all_for_user(session, user.id, now=now)
    certificates.revoke_for_departed_owner(
        session, keyring, owner_id=user.id, actor=principal, now=now
    )
    user.email = f"erased+{user.id.lower()}@erased.invalid"
    user.password_hash = None
    user.status = "deleted"
    user.deleted_at = now
    session.flush()
    record_event(
        session,
        firm_id=user.firm_id,
        type=EventType.USER_DELETED,
        data={"id": user.id, "deleted_at": now},
        now=now,
    )
    audit.record(
        session,
        firm_id=user.firm_id,
        actor=principal,
        action="user.deleted",
        target_type="user",
        target_id=user.id,
        now=now,
    )
