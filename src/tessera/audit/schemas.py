"""What the API shows of the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEventRead(BaseModel):
    """Who did what, when, from which request."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    seq: int
    firm_id: str
    actor_type: str
    actor_id: str | None
    action: str
    target_type: str | None
    target_id: str | None
    request_id: str | None
    ip_address: str | None
    data: dict[str, Any]
    created_at: datetime
    hash: str
