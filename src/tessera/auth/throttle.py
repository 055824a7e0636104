"""Throttling of failed authentication, with the `limits` library.

Failed logins count per email and per client address; failed client authentications at
``POST /v1/oauth/token`` count per client id and per client address, apart from the logins.
Storage is in memory by default (one process) and Redis through ``RATE_LIMIT_STORAGE`` when
several API processes must share the counts.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from tessera.errors import RateLimited


class FailureThrottle:
    """Counts failed attempts for a subject (an email, a client id) and for the address they
    came from, and refuses further attempts once either limit is used up."""

    def __init__(
        self,
        *,
        storage: Storage,
        namespace: str,
        per_subject: str,
        per_address: str,
        message: str,
    ) -> None:
        self._limiter = MovingWindowRateLimiter(storage)
        self._namespace = namespace
        self._per_subject = parse(per_subject)
        self._per_address = parse(per_address)
        self._message = message

    def _checks(self, subject: str, address: str | None) -> list[tuple[RateLimitItem, str]]:
        checks: list[tuple[RateLimitItem, str]] = [(self._per_subject, f"subject:{subject}")]
        if address:
            checks.append((self._per_address, f"addr:{address}"))
        return checks

    def check(self, *, subject: str, address: str | None) -> None:
        """Raise RateLimited (with the seconds to wait) when either limit is used up."""
        for limit, key in self._checks(subject, address):
            if not self._limiter.test(limit, self._namespace, key):
                stats = self._limiter.get_window_stats(limit, self._namespace, key)
                wait = math.ceil(stats.reset_time - time.time())
                raise RateLimited(wait, self._message)

    def record_failure(self, *, subject: str, address: str | None) -> None:
        """Count one failed attempt against the subject and the address."""
        for limit, key in self._checks(subject, address):
            self._limiter.hit(limit, self._namespace, key)

    def record_success(self, *, subject: str) -> None:
        """A correct credential clears the subject's count (the address keeps its own)."""
        self._limiter.clear(self._per_subject, self._namespace, f"subject:{subject}")


class Throttles:
    """The failed-authentication throttles of one process, on one storage."""

    def __init__(
        self,
        *,
        storage_uri: str,
        login_per_email: str,
        login_per_address: str,
        client_per_id: str,
        client_per_address: str,
    ) -> None:
        storage = storage_from_string(storage_uri)
        if not isinstance(storage, Storage):
            raise ValueError(
                "RATE_LIMIT_STORAGE must name a synchronous storage (memory://, redis://)."
            )
        self.login = FailureThrottle(
            storage=storage,
            namespace="login",
            per_subject=login_per_email,
            per_address=login_per_address,
            message="Too many failed logins; wait before trying again.",
        )
        self.client_auth = FailureThrottle(
            storage=storage,
            namespace="client_auth",
            per_subject=client_per_id,
            per_address=client_per_address,
            message="Too many failed client authentications; wait before trying again.",
        )
