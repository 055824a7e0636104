"""Opaque, prefixed, time-ordered identifiers such as ``acc_01JD3M6Q2W8F5Z8Y4R7K9T1B0C``.

The prefix tells a reader what kind of object an id names; the body is a ULID (48-bit
millisecond timestamp plus 80 random bits, Crockford base32), so ids created later sort later and
new rows land at the end of the primary-key index. Written here rather than taken from a library
because it is twelve lines and the prefixing is ours anyway.
"""

from __future__ import annotations

import os
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Two characters (10 bits) per lookup: ids are made per row of large imports, so this is hot.
_PAIRS = [first + second for first in _ALPHABET for second in _ALPHABET]
_PAIR_SHIFTS = tuple(range(115, -1, -10))


def _ulid() -> str:
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    pairs = _PAIRS
    return (
        _ALPHABET[value >> 125]
        + "".join([pairs[(value >> shift) & 1023] for shift in _PAIR_SHIFTS])
        + _ALPHABET[value & 31]
    )


def new_id(prefix: str) -> str:
    """A new id for an object of the kind named by ``prefix`` (``usr``, ``acc``, ``txn``...)."""
    return f"{prefix}_{_ulid()}"
