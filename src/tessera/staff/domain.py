"""The staff roles a firm grants, shared by the services and the API."""

from __future__ import annotations

from enum import StrEnum


class StaffRole(StrEnum):
    FIRM_ADMIN = "firm_admin"
    FIRM_OPERATOR = "firm_operator"
