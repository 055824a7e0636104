"""A password hash never runs inside the request's transaction (on SQLite: its write lock).

Signup, login and a staff grant that creates a user check what they must in a short read of
their own (``Database.read_scope``), hash, and only then open the request's transaction to
write. Here the hashing pool has one slot, taken first by a slow hash: the request's own hash
waits behind it, so a transaction opened before that hash would begin before the slow one ends.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import TypeVar

import anyio
from sqlalchemy import event
from sqlalchemy.orm import Session

from tessera.auth import service as auth
from tessera.crypto.passwords import PasswordHashing
from tessera.models import DEFAULT_FIRM_ID, User
from tessera.staff import service as staff
from tessera.staff.domain import StaffRole
from tests.support.api import PASSWORD, Api

T = TypeVar("T")
INF = float("inf")


@contextmanager
def one_slot_taken() -> Iterator[tuple[PasswordHashing, list[float]]]:
    """A pool of one slot, taken by a hash of about a second; the list gets when it ended."""
    passwords = PasswordHashing(
        time_cost=40, memory_kib=32768, parallelism=1, concurrency=1, queue=2
    )
    ended: list[float] = []
    # Submitted from this thread, so it is first in the pool's queue before the test goes on
    # (a thread and a sleep would race the request's hash on a busy machine).
    slow = passwords._submit(passwords._hasher.hash, "the slot is taken")
    slow.add_done_callback(lambda _done: ended.append(time.monotonic()))
    try:
        yield passwords, ended
    finally:
        slow.result(60)
        passwords.close()


def no_transaction_across_the_hash(api: Api, work: Callable[[Session, PasswordHashing], T]) -> T:
    """Run ``work`` on a request-like writing session; assert that no transaction of it was
    open when the slow hash ended (the request's own hash had not started yet)."""
    spans: list[list[float]] = []  # [began, ended] of each of the session's transactions
    session = api.runtime.db.session(write=True)
    event.listen(session, "after_begin", lambda *_: spans.append([time.monotonic(), INF]))

    def ended(*_: object) -> None:
        if spans and spans[-1][1] == INF:
            spans[-1][1] = time.monotonic()

    event.listen(session, "after_transaction_end", ended)
    try:
        with one_slot_taken() as (passwords, slot_freed):
            result = work(session, passwords)
            session.commit()
    finally:
        session.close()
    assert slot_freed, "the slow hash did not finish"
    assert spans, "the work wrote nothing"
    across = [span for span in spans if span[0] < slot_freed[0] < span[1]]
    assert not across, "a transaction of the request was open across the password hash"
    return result


def test_signup_hashes_before_its_transaction(api: Api) -> None:
    email = api.unique_email()
    user, _holder = no_transaction_across_the_hash(
        api,
        lambda session, passwords: auth.signup(
            api.runtime.db.read_scope,
            session,
            passwords,
            now=api.runtime.now(),
            email=email,
            password=PASSWORD,
            first_name="Ada",
            last_name="Lovelace",
            dob=date(1990, 12, 10),
            phone=None,
            firm_slug=None,
        ),
    )
    assert user.email == email
    assert api.login(email)["access_token"]


def test_login_checks_the_password_before_its_transaction(api: Api) -> None:
    email = str(api.signup()["user"]["email"])
    runtime = api.runtime
    tokens = auth.TokenMaker(runtime.access_tokens, runtime.settings.refresh_token_ttl_seconds)

    def login(session: Session, passwords: PasswordHashing) -> auth.IssuedTokens:
        async def attempt() -> auth.IssuedTokens:
            return await auth.login(
                runtime.db.read_scope,
                session,
                passwords,
                runtime.throttles.login,
                tokens,
                clock=runtime.now,
                email=email,
                password=PASSWORD,
                address="192.0.2.1",
            )

        return anyio.run(attempt)

    issued = no_transaction_across_the_hash(api, login)
    assert issued.refresh_token


def test_a_staff_grant_that_creates_the_user_hashes_before_its_transaction(api: Api) -> None:
    admin = api.staff()
    email = api.unique_email("operator")
    with api.runtime.db.read_scope() as reading:
        admin_user = reading.get(User, admin.user_id)
        assert admin_user is not None
        principal = auth.principal_of_user(reading, admin_user)
    granted = no_transaction_across_the_hash(
        api,
        lambda session, passwords: staff.grant(
            api.runtime.db.read_scope,
            session,
            passwords,
            principal=principal,
            firm_id=DEFAULT_FIRM_ID,
            email=email,
            role=StaffRole.FIRM_OPERATOR,
            password=PASSWORD,
            now=api.runtime.now(),
        ),
    )
    assert granted.created
    assert api.login(email)["access_token"]
