"""What the API shows of the audit log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ActorType(StrEnum):
    """Who acted: a user, a machine client, the command line or the service itself."""

    USER = "user"
    CLIENT = "client"
    CLI = "cli"
    SYSTEM = "system"


class AuditEventRead(BaseModel):
    """Who did what, when, from which request."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    seq: int
    firm_id: str
    actor_type: ActorType
    actor_id: str | None
    actor_email: str | None = Field(
        default=None, description="The acting user's email (users only; as it is now)."
    )
    action: str
    target_type: str | None
    target_id: str | None
    request_id: str | None
    ip_address: str | None
    data: dict[str, Any]
    created_at: datetime
    hash: str
