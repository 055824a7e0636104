"""Values that equal what a pattern describes, for asserting whole payloads with ``==``.

An event's payload is compared as a whole dict; the parts a test cannot know in advance (a new
id, a timestamp) are written as ``an_id("txn")`` or ``TIMESTAMP``, which equal any string of
that form and nothing else, so a missing, extra or changed field still fails the comparison.
"""

from __future__ import annotations

import re
from typing import Final


class Matches:
    """Equal to any string that matches ``pattern`` in full."""

    def __init__(self, pattern: str) -> None:
        self.pattern = re.compile(pattern)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and self.pattern.fullmatch(other) is not None

    def __hash__(self) -> int:
        return hash(self.pattern.pattern)

    def __repr__(self) -> str:
        return f"Matches({self.pattern.pattern!r})"


# A ULID (tessera.kit.ids): 26 characters of Crockford base32.
_ULID: Final = "[0-9A-HJKMNP-TV-Z]{26}"
# Timestamps as the API and the events encode them (pydantic's JSON mode, UTC).
TIMESTAMP: Final = Matches(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z")


def an_id(prefix: str) -> Matches:
    """Any id of the kind ``prefix`` names (``an_id("txn")`` for a ledger transaction)."""
    return Matches(rf"{re.escape(prefix)}_{_ULID}")


def account_created_event(*, firm: str, account: str, holder_id: object) -> dict[str, object]:
    """The whole ``account.created`` event of a new checking account in USD, as the outbox,
    ``GET /v1/events`` and a webhook delivery carry it."""
    return {
        "id": an_id("evt"),
        "type": "account.created",
        "created_at": TIMESTAMP,
        "firm": firm,
        "data": {
            "id": account,
            "holder_id": holder_id,
            "type": "checking",
            "currency": "USD",
            "balance": 0,
            "status": "active",
            "created_at": TIMESTAMP,
        },
    }
