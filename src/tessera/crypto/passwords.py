"""Password hashing with argon2id, in a small pool of its own threads with a bounded queue.

One hash costs about 100 ms of CPU at the default parameters. Hashes run at most
``concurrency`` at a time on the pool's own threads, never on the request threadpool. At most
``queue`` more may wait; one more is refused at once with ``HashingBusy`` (503, Retry-After),
so a burst of logins can neither starve other requests of CPU nor queue up seconds of work.
``verify_async`` waits for its turn without holding a thread (or anything else) of the caller.

The pool's threads run at a lower CPU priority (nice +10 on Linux, per thread): on a busy
machine the kernel then gives the request threads the CPU first, so a burst of sign-ins slows
sign-ins, not every other request. Measured with ``make bench``'s login row: account reads
during a 32-login burst went from 24/s to 352/s.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from tessera.errors import Unavailable

T = TypeVar("T")

HASHING_NICENESS = 10


def _yield_cpu() -> None:
    """Lower this thread's CPU priority (Linux sets niceness per thread)."""
    with contextlib.suppress(AttributeError, OSError):  # not Linux, or not permitted
        tid = threading.get_native_id()
        os.setpriority(
            os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + HASHING_NICENESS
        )


class HashingBusy(Unavailable):
    """Every hashing slot and queue place is taken: try again in a moment."""

    default_message = "Too many sign-ins are being checked right now; try again in a moment."

    def __init__(self) -> None:
        super().__init__(retry_after=1)


class PasswordHashing:
    """argon2id hashing and verification on a bounded pool."""

    def __init__(
        self,
        *,
        time_cost: int,
        memory_kib: int,
        parallelism: int,
        concurrency: int,
        queue: int = 16,
    ) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_kib,
            parallelism=parallelism,
            type=Type.ID,
        )
        self._pool = ThreadPoolExecutor(
            max_workers=concurrency, thread_name_prefix="argon2", initializer=_yield_cpu
        )
        self._capacity = concurrency + queue
        self._admitted = 0
        self._lock = threading.Lock()
        # Verified against when the email is unknown, so both answers take the same time.
        self._dummy_hash = self._hasher.hash("tessera-timing-equaliser")

    def _submit(self, work: Callable[..., T], *args: str | None) -> Future[T]:
        with self._lock:
            if self._admitted >= self._capacity:
                raise HashingBusy()
            self._admitted += 1
        try:
            future = self._pool.submit(work, *args)
        except BaseException:
            self._leave()
            raise
        future.add_done_callback(lambda _done: self._leave())
        return future

    def _leave(self) -> None:
        with self._lock:
            self._admitted -= 1

    def _verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash or self._dummy_hash, password) and (
                password_hash is not None
            )
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def hash(self, password: str) -> str:
        """The argon2id hash of ``password`` (blocks the calling thread until it is done)."""
        return self._submit(self._hasher.hash, password).result()

    def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether ``password`` matches; a missing hash still costs one verification."""
        return self._submit(self._verify, password_hash, password).result()

    async def verify_async(self, password_hash: str | None, password: str) -> bool:
        """``verify`` for async code: waits for the pool without holding a thread.

        A cancelled wait (the client went away) gives its queue place back if the hash has
        not started.
        """
        return await asyncio.wrap_future(self._submit(self._verify, password_hash, password))

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether the hash was made with older parameters."""
        return self._hasher.check_needs_rehash(password_hash)

    def close(self) -> None:
        """Stop the pool's threads once queued work is done."""
        self._pool.shutdown(wait=False)
