"""The kinds and states of an issued card, shared by the services and the API."""

from __future__ import annotations

from enum import StrEnum


class CardType(StrEnum):
    VIRTUAL = "virtual"
    PHYSICAL = "physical"


class CardStatus(StrEnum):
    ACTIVE = "active"
    BLOCKED = "blocked"
    CLOSED = "closed"
