"""Pure rules of webhooks: which events an endpoint wants, which URLs and addresses are allowed,
and when a failed delivery is tried again."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx

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


# IPv6 prefixes that carry an IPv4 address in their last 32 bits: NAT64 (RFC 6052, RFC 8215)
# and the deprecated IPv4-compatible form (::a.b.c.d, RFC 4291 2.5.5.1).
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


class InvalidIpLiteral(ValidationFailed):
    """A URL host that is not a host name but not a plain IP address either (``0177.0.0.1``)."""

    default_code = "invalid_ip_literal"


def address_allowed(address: IPAddress) -> bool:
    """Whether a webhook may connect to ``address``: only globally routable unicast addresses.

    This refuses private (10/8, 172.16/12, 192.168/16, fc00::/7), loopback, link-local (which
    includes the cloud metadata service at 169.254.169.254), shared (100.64/10), multicast,
    reserved and unspecified addresses, and any IPv6 form of such an IPv4 address: IPv4-mapped
    (::ffff:0:0/96), IPv4-compatible (::/96), NAT64 (64:ff9b::/96, 64:ff9b:1::/48), 6to4
    (2002::/16) and Teredo (2001::/32, whose client address is refused too).
    """
    if isinstance(address, ipaddress.IPv6Address):
        wrapped = _wrapped_ipv4(address)
        if wrapped is not None:
            return address_allowed(wrapped)
    return address.is_global and not address.is_multicast


def _wrapped_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in network for network in _NAT64) or address in _IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


# A host whose last label is a number is an IPv4 address to a URL parser (WHATWG URL, 4.3 "ends
# in a number"), and to the C resolver, which reads 0x7f.1, 2130706433 and 0177.0.0.1 (octal)
# as 127.0.0.1. Only the plain dotted-quad form is accepted, so what is checked is what is used.
_NUMERIC_LABEL = re.compile(r"(?:0[xX][0-9a-fA-F]*|[0-9]+)", re.ASCII)


def _numeric_host(host: str) -> bool:
    labels = host.rstrip(".").split(".")
    return bool(labels) and _NUMERIC_LABEL.fullmatch(labels[-1]) is not None


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
    if literal is None and _numeric_host(host):
        raise InvalidIpLiteral.single(
            "url",
            "The host is not a valid IP address: write an IPv4 address as four decimal numbers "
            "from 0 to 255 without leading zeros (203.0.113.7), or use a host name.",
        )
    try:
        httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise ValidationFailed.single("url", "Not a valid URL.") from exc
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
