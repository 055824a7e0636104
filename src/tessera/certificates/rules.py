"""Pure rules of the certificates feature: limits, the status machine and expiry notices.

Expiry notices. A certificate carries thresholds (days before ``not_after``; 30, 7 and 1 by
default). ``certificate.expiring`` is sent once for each threshold that time carries the
certificate across, and never twice. Two choices make that well defined:

- A threshold that is already behind the certificate when it is set (a 5-day certificate and
  the 30-day threshold, or a PATCH that adds 60 days to a certificate expiring in 20) counts
  as handled and sends nothing: nobody needs telling that a certificate they just made expires
  soon.
- If several thresholds fell due while no worker ran, one notice goes out, for the smallest
  (the most urgent); the larger ones are handled by it.

So the whole state is one number, ``notified_days``: every threshold at or above it is behind
the certificate. Time only moves forward, so that never needs to be undone.

Names. A DNS name belongs to the firm that holds a live certificate for it or declared a domain
above it. A wildcard ``*.<parent>`` covers exactly one label over ``<parent>`` (RFC 6125), so
``*.acme.example`` and ``api.acme.example`` collide, while ``a.b.acme.example`` is not covered.
Every pair of names that can collide shares its last two labels (``name_lock_key``), which is
what serialises the claims that could collide and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from tessera.errors import InvalidStatusTransition
from tessera.events.types import EventType
from tessera.models.certificate import CertificateStatus

DEFAULT_VALIDITY_DAYS: Final = 365
# The CA/Browser Forum's old ceiling for TLS certificates, which the API adopted.
MAX_VALIDITY_DAYS: Final = 825
DEFAULT_NOTIFY_DAYS: Final = (30, 7, 1)
MAX_NOTIFY_THRESHOLDS: Final = 10
MAX_LABELS: Final = 20
MAX_LABEL_KEY_LENGTH: Final = 63
MAX_LABEL_VALUE_LENGTH: Final = 255
LABEL_KEY_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_.:/-]*$"

STATUS_EVENTS: Final = {
    CertificateStatus.ACTIVE: EventType.CERTIFICATE_ACTIVATED,
    CertificateStatus.INACTIVE: EventType.CERTIFICATE_DEACTIVATED,
    CertificateStatus.REVOKED: EventType.CERTIFICATE_REVOKED,
}


def normalise_thresholds(days: Iterable[int]) -> list[int]:
    """Thresholds without duplicates, largest first (the order they fall due in)."""
    return sorted(set(days), reverse=True)


def status_changes(current: CertificateStatus, requested: CertificateStatus) -> bool:
    """Whether moving to ``requested`` changes anything; 409 for a move out of ``revoked``.

    ``active`` and ``inactive`` switch freely; ``revoked`` is reachable from both and final.
    Asking for the status a certificate already has is a no-op, not an error, so that a retried
    PATCH succeeds.
    """
    if current is requested:
        return False
    if current is CertificateStatus.REVOKED:
        raise InvalidStatusTransition(current=current.value, requested=requested.value)
    return True


@dataclass(frozen=True, slots=True)
class ExpirySchedule:
    """Where a certificate stands with its expiry notices."""

    notified_days: int | None
    next_notice_at: datetime | None


def _notice_moment(not_after: datetime, days: int) -> datetime:
    return not_after - timedelta(days=days)


def next_notice_at(
    not_after: datetime, thresholds: Sequence[int], notified_days: int | None
) -> datetime | None:
    """When the next threshold below ``notified_days`` falls due (None: no more notices)."""
    pending = [t for t in thresholds if notified_days is None or t < notified_days]
    if not pending:
        return None
    return _notice_moment(not_after, max(pending))


def schedule(
    *, not_after: datetime, thresholds: Sequence[int], notified_days: int | None, now: datetime
) -> ExpirySchedule:
    """The schedule after (re)setting thresholds at ``now``: passed thresholds count as handled."""
    passed = [t for t in thresholds if _notice_moment(not_after, t) <= now]
    handled = [d for d in (notified_days, min(passed, default=None)) if d is not None]
    notified = min(handled, default=None)
    if not_after <= now:
        return ExpirySchedule(notified, None)
    return ExpirySchedule(notified, next_notice_at(not_after, thresholds, notified))


def due_notice(
    *, not_after: datetime, thresholds: Sequence[int], notified_days: int | None, now: datetime
) -> int | None:
    """The threshold to announce at ``now``: the smallest one crossed and not yet announced."""
    if not_after <= now:
        return None
    crossed = [
        t
        for t in thresholds
        if (notified_days is None or t < notified_days) and _notice_moment(not_after, t) <= now
    ]
    return min(crossed, default=None)


def whole_days_left(not_after: datetime, now: datetime) -> int:
    """Full days until ``not_after`` (0 on the last day)."""
    return max(0, (not_after - now) // timedelta(days=1))


# --- DNS names --------------------------------------------------------------------------------

WILDCARD_PREFIX: Final = "*."


def is_wildcard(name: str) -> bool:
    """Whether ``name`` is a wildcard (``*.acme.example``)."""
    return name.startswith(WILDCARD_PREFIX)


def base_name(name: str) -> str:
    """The name without its wildcard label, if it has one."""
    return name[len(WILDCARD_PREFIX) :] if is_wildcard(name) else name


def dns_parent(name: str) -> str | None:
    """The name without its first label (``acme.example`` for ``api.acme.example``)."""
    _, dot, rest = name.partition(".")
    return rest if dot else None


def covering_names(name: str) -> list[str]:
    """The certified names that collide with ``name`` exactly: itself, and for a plain name
    the wildcard one level up (the names a wildcard covers are found by their parent)."""
    parent = dns_parent(name)
    if is_wildcard(name) or parent is None or "." not in parent:
        return [name]
    return [name, WILDCARD_PREFIX + parent]


def enclosing_domains(name: str) -> list[str]:
    """The domains (two labels or more) a name lies in, itself included for a plain name."""
    labels = base_name(name).split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]


def name_lock_key(name: str) -> str:
    """What two colliding names or domains always share: the last two labels."""
    return ".".join(base_name(name).split(".")[-2:])
