"""The caller's address: ``X-Forwarded-For`` is believed only when a trusted proxy sent it.

Any client can write an ``X-Forwarded-For`` header, so reading it blindly lets a caller pick the
address that rate limits count and the audit log records. The header is read only when the
connection comes from a configured proxy (``TRUSTED_PROXIES``, empty by default), and then from
the right: each proxy appends the address it saw, so the first address that is not itself a
trusted proxy is the client. Entries further left were written by that client and are ignored.

Uvicorn can do this too (``--proxy-headers``), but it rewrites the connection for everything
downstream, trusts 127.0.0.1 unless told otherwise and passes on whatever text the header held;
here the answer is always a canonical IP address or the connection's own peer.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """IPs and CIDRs (``10.0.0.0/8``, ``::1``) as networks; raises ValueError on a bad one."""
    return tuple(ipaddress.ip_network(value.strip(), strict=False) for value in values)


def _ip(text: str) -> IPAddress | None:
    """An address as a proxy writes it (``1.2.3.4``, ``1.2.3.4:5678``, ``[::1]:5678``, ``::1``)."""
    text = text.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: IPAddress, trusted: Sequence[IPNetwork]) -> bool:
    return any(address.version == network.version and address in network for network in trusted)


def is_trusted_proxy(peer: str | None, trusted: Sequence[IPNetwork]) -> bool:
    """Whether the connection comes from a proxy whose forwarding headers are believed."""
    address = _ip(peer) if peer and trusted else None
    return address is not None and _trusted(address, trusted)


def client_address(
    peer: str | None, forwarded_for: Sequence[str], trusted: Sequence[IPNetwork]
) -> str | None:
    """The client's IP: the connection's peer, or what trusted proxies say in front of it.

    ``forwarded_for`` holds every ``X-Forwarded-For`` header of the request, in order.
    """
    if not peer:
        return None
    address = _ip(peer)
    if address is None or not _trusted(address, trusted):
        return str(address) if address is not None else peer
    hops = [hop for header in forwarded_for for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        claimed = _ip(hop)
        if claimed is None:
            # Not an address: only a client writes that, so stop at the last hop vouched for.
            break
        address = claimed
        if not _trusted(claimed, trusted):
            break
    return str(address)
