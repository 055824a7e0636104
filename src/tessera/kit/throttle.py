"""Throttling of authentication attempts, with the `limits` library.

An attempt is reserved before its credential is checked: ``reserve`` takes one unit from each
limit with ``hit``, which is atomic in memory and in Redis, so however many attempts race, at
most a limit's worth of passwords (or client secrets) is ever checked per window. Once checked,
a correct credential hands its units back, so only failures use a limit up.

Three limits apply to each attempt, and all three must have room:

- per (subject, address): the tight one (5 wrong passwords in 5 minutes by default). An attacker
  on another address has no way to use it up, so they cannot lock the user out with it;
- per subject across all addresses: a higher ceiling, so that guessing from many addresses is
  bounded too (locking a user out now takes ten addresses instead of one request loop);
- per address across subjects: one address spraying many emails.

Subjects are emails for logins and client ids at ``POST /v1/oauth/token``, counted apart.
IPv6 addresses count per /64, the block one subscriber usually holds. Windows are fixed: one
starts at the first attempt it counts and ends a window later, which makes Retry-After exact.
Storage is in memory by default (one process) and Redis through ``RATE_LIMIT_STORAGE`` when
several API processes must share the counts.
"""

from __future__ import annotations

import ipaddress
import math
import time

from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

from tessera.errors import RateLimited

_IPV6_SUBSCRIBER_PREFIX = 64


def address_key(address: str | None) -> str:
    """The key an address is counted under (IPv6 per /64)."""
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((ip, _IPV6_SUBSCRIBER_PREFIX), strict=False))
    return str(ip)


class AttemptThrottle:
    """The three limits on one kind of authentication attempt (see the module doc)."""

    def __init__(
        self,
        *,
        storage: Storage,
        namespace: str,
        per_subject_address: str,
        per_subject: str,
        per_address: str,
        message: str,
    ) -> None:
        self._limiter = FixedWindowRateLimiter(storage)
        self._namespace = namespace
        self._per_pair = parse(per_subject_address)
        self._per_subject = parse(per_subject)
        self._per_address = parse(per_address)
        self._message = message

    def _limits(self, subject: str, address: str | None) -> list[tuple[RateLimitItem, str]]:
        where = address_key(address)
        return [
            (self._per_pair, f"pair:{subject}:{where}"),
            (self._per_subject, f"subject:{subject}"),
            (self._per_address, f"addr:{where}"),
        ]

    def _give_back(self, taken: list[tuple[RateLimitItem, str]]) -> None:
        for limit, key in taken:
            self._limiter.hit(limit, self._namespace, key, cost=-1)

    def reserve(self, *, subject: str, address: str | None) -> None:
        """Count one attempt, or raise RateLimited (with the seconds to wait) and count none."""
        taken: list[tuple[RateLimitItem, str]] = []
        for limit, key in self._limits(subject, address):
            taken.append((limit, key))
            if not self._limiter.hit(limit, self._namespace, key):
                # A refused attempt costs nothing: the units it took (this one included, which
                # `hit` counts even when it refuses) go back.
                reset = self._limiter.get_window_stats(limit, self._namespace, key).reset_time
                self._give_back(taken)
                raise RateLimited(math.ceil(reset - time.time()), self._message)

    def succeeded(self, *, subject: str, address: str | None) -> None:
        """The credential was right: this (subject, address) starts afresh and the ceiling and
        the address get their unit back (the failures others made there still count)."""
        pair, *broader = self._limits(subject, address)
        self._limiter.clear(pair[0], self._namespace, pair[1])
        self._give_back(broader)

    def unchecked(self, *, subject: str, address: str | None) -> None:
        """The attempt was reserved but never checked (no hashing slot was free): undo it."""
        self._give_back(self._limits(subject, address))


class Throttles:
    """The authentication throttles of one process, on one storage."""

    def __init__(
        self,
        *,
        storage_uri: str,
        login_per_email_address: str,
        login_per_email: str,
        login_per_address: str,
        client_per_id_address: str,
        client_per_id: str,
        client_per_address: str,
    ) -> None:
        storage = storage_from_string(storage_uri)
        if not isinstance(storage, Storage):
            raise ValueError(
                "RATE_LIMIT_STORAGE must name a synchronous storage (memory://, redis://)."
            )
        self.login = AttemptThrottle(
            storage=storage,
            namespace="login",
            per_subject_address=login_per_email_address,
            per_subject=login_per_email,
            per_address=login_per_address,
            message="Too many failed logins; wait before trying again.",
        )
        self.client_auth = AttemptThrottle(
            storage=storage,
            namespace="client_auth",
            per_subject_address=client_per_id_address,
            per_subject=client_per_id,
            per_address=client_per_address,
            message="Too many failed client authentications; wait before trying again.",
        )
