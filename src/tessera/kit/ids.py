"""Opaque, prefixed, time-ordered identifiers such as ``acc_01JD3M6Q2W8F5Z8Y4R7K9T1B0C``.

The prefix tells a reader what kind of object an id names; the body is a ULID (48-bit
millisecond timestamp plus 80 random bits, Crockford base32), so ids created later sort later and
new rows land at the end of the primary-key index. Written here rather than taken from a library
because it is twelve lines and the prefixing is ours anyway.
"""

from __future__ import annotations

import secrets
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _ulid() -> str:
    value = (time.time_ns() // 1_000_000) << 80 | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_id(prefix: str) -> str:
    """A new id for an object of the kind named by ``prefix`` (``usr``, ``acc``, ``txn``...)."""
    return f"{prefix}_{_ulid()}"
