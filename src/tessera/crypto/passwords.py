"""Password hashing with argon2id, in a bounded pool.

One hash costs about 100 ms of CPU at the default parameters. Hashes run at most
``concurrency`` at a time, so a burst of logins queues here instead of starving every other
request of CPU.
"""

from __future__ import annotations

import threading

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


class PasswordHashing:
    """argon2id hashing and verification with a cap on concurrent work."""

    def __init__(
        self, *, time_cost: int, memory_kib: int, parallelism: int, concurrency: int
    ) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_kib,
            parallelism=parallelism,
            type=Type.ID,
        )
        self._slots = threading.BoundedSemaphore(concurrency)
        # Verified against when the email is unknown, so both answers take the same time.
        self._dummy_hash = self._hasher.hash("tessera-timing-equaliser")

    def hash(self, password: str) -> str:
        """The argon2id hash of ``password``."""
        with self._slots:
            return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether ``password`` matches; a missing hash still costs one verification."""
        with self._slots:
            try:
                return self._hasher.verify(password_hash or self._dummy_hash, password) and (
                    password_hash is not None
                )
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return False

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether the hash was made with older parameters."""
        return self._hasher.check_needs_rehash(password_hash)
