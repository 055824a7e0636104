"""Request and response bodies of the staff routes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from tessera.auth.schemas import Email
from tessera.models.user import Role
from tessera.staff.domain import StaffRole


class StaffGrant(BaseModel):
    """Give a user of the firm a staff role, or create a staff user."""

    model_config = ConfigDict(extra="forbid")

    email: Email
    role: StaffRole
    password: str | None = Field(
        default=None,
        min_length=8,
        max_length=128,
        description="Only when no user has this email yet: the new staff user's password.",
    )


class StaffRead(BaseModel):
    """A user and their role in the firm."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    role: Role
    firm: str = Field(validation_alias="firm_id")
    created_at: datetime
