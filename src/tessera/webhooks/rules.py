"""Pure rules of webhooks: which events an endpoint wants, which URLs and addresses are allowed,
and when a failed delivery is tried again."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from tessera.errors import ValidationFailed
from tessera.events.types import EventType

ALL_EVENTS = "*"
MAX_URL_LENGTH = 2048
KNOWN_EVENTS = frozenset(t.value for t in EventType)
# Each retry waits this much more or less than the plain doubling, so that deliveries that
# failed together (a receiver that was down) do not all come back in the same second.
JITTER = 0.2

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def event_filter(events: Sequence[str]) -> list[str]:
    """The endpoint's event filter, de-duplicated; 422 for unknown types or a mixed ``*``."""
    if not events:
        raise ValidationFailed.single("events", 'List at least one event type, or ["*"].')
    chosen = list(dict.fromkeys(e.strip() for e in events))
    if ALL_EVENTS in chosen:
        if len(chosen) > 1:
            raise ValidationFailed.single("events", '"*" stands alone: it means every type.')
        return chosen
    unknown = [e for e in chosen if e not in KNOWN_EVENTS]
    if unknown:
        raise ValidationFailed.single(
            "events", "Unknown event type; see the list of event types in the API documentation."
        )
    return chosen


def wants(events: Sequence[str], event_type: str) -> bool:
    """Whether an endpoint with this filter receives events of ``event_type``."""
    return ALL_EVENTS in events or event_type in events


def address_allowed(address: IPAddress) -> bool:
    """Whether a webhook may connect to ``address``: only globally routable unicast addresses.

    This refuses private (10/8, 172.16/12, 192.168/16, fc00::/7), loopback, link-local (which
    includes the cloud metadata service at 169.254.169.254), shared (100.64/10), multicast,
    reserved and unspecified addresses, and IPv4 addresses wrapped in IPv6.
    """
    if isinstance(address, ipaddress.IPv6Address):
        wrapped = address.ipv4_mapped or address.sixtofour or _teredo_client(address)
        if wrapped is not None:
            return address_allowed(wrapped)
    return address.is_global and not address.is_multicast


def _teredo_client(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    teredo = address.teredo
    return teredo[1] if teredo else None


def parse_address(host: str) -> IPAddress | None:
    """The IP address a host name spells literally (``10.0.0.1``, ``[::1]``), else None."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def endpoint_url(url: str, *, allow_private: bool) -> str:
    """A webhook URL as it will be stored: http(s), a host, no credentials, no fragment.

    Host names are checked again after DNS resolution at every delivery; an address written in
    the URL itself can be refused here already.
    """
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise ValidationFailed.single("url", f"Must be at most {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValidationFailed.single("url", "Not a valid URL.") from exc
    if parts.scheme not in ("http", "https"):
        raise ValidationFailed.single("url", "Must start with https:// or http://.")
    host = parts.hostname
    if not host:
        raise ValidationFailed.single("url", "Must name a host.")
    if parts.username is not None or parts.password is not None:
        raise ValidationFailed.single("url", "Must not contain a user name or password.")
    if parts.fragment:
        raise ValidationFailed.single("url", "Must not contain a fragment (#...).")
    if port == 0:
        raise ValidationFailed.single("url", "Port 0 is not a valid destination.")
    literal = parse_address(host)
    if literal is not None and not allow_private and not address_allowed(literal):
        raise ValidationFailed.single(
            "url", "Webhooks cannot be sent to private, loopback or link-local addresses."
        )
    return url


def retry_delay(attempt: int, *, base: float, maximum: float, randomness: float) -> timedelta:
    """The wait after failed attempt number ``attempt`` (1-based): ``base`` doubling up to
    ``maximum``, times a factor within +-20 % (``randomness`` is uniform in [0, 1))."""
    plain = min(maximum, base * 2 ** min(attempt - 1, 62))
    factor = 1 - JITTER + 2 * JITTER * randomness
    return timedelta(seconds=plain * factor)


def next_attempt_at(
    *,
    now: datetime,
    created_at: datetime,
    attempt: int,
    base: float,
    maximum: float,
    window: float,
    randomness: float,
) -> datetime | None:
    """When to try again after failed attempt ``attempt``; None once the retry window is over."""
    due = now + retry_delay(attempt, base=base, maximum=maximum, randomness=randomness)
    if due > created_at + timedelta(seconds=window):
        return None
    return due
