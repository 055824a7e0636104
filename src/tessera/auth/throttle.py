"""Failed-login throttling per email and per client address, with the `limits` library.

Storage is in memory by default (one process) and Redis through ``RATE_LIMIT_STORAGE`` when
several API processes must share the counts.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from tessera.errors import RateLimited


class LoginThrottle:
    """Counts failed logins and refuses further attempts once a limit is reached."""

    def __init__(self, *, storage_uri: str, per_email: str, per_address: str) -> None:
        self._storage = storage_from_string(storage_uri)
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._per_email = parse(per_email)
        self._per_address = parse(per_address)

    def _checks(self, email: str, address: str | None) -> list[tuple[RateLimitItem, str]]:
        checks: list[tuple[RateLimitItem, str]] = [(self._per_email, f"email:{email.lower()}")]
        if address:
            checks.append((self._per_address, f"addr:{address}"))
        return checks

    def check(self, *, email: str, address: str | None) -> None:
        """Raise RateLimited (with the seconds to wait) when either limit is used up."""
        for limit, key in self._checks(email, address):
            if not self._limiter.test(limit, "login", key):
                stats = self._limiter.get_window_stats(limit, "login", key)
                wait = math.ceil(stats.reset_time - time.time())
                raise RateLimited(wait, "Too many failed logins; wait before trying again.")

    def record_failure(self, *, email: str, address: str | None) -> None:
        """Count one failed attempt against the email and the address."""
        for limit, key in self._checks(email, address):
            self._limiter.hit(limit, "login", key)

    def record_success(self, *, email: str) -> None:
        """A correct password clears the email's count (the address keeps its own)."""
        self._limiter.clear(self._per_email, "login", f"email:{email.lower()}")

    def reset(self) -> None:
        """Forget every count (tests)."""
        self._storage.reset()
