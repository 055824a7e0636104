"""The money movements a caller can ask for, shared by the services and the API."""

from __future__ import annotations

from enum import StrEnum


class MovementType(StrEnum):
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
