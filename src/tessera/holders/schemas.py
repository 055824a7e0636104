"""What the API shows of an account holder."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict


class HolderRead(BaseModel):
    """An account holder (personal fields are null once the user is erased)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    user_id: str | None
    first_name: str | None
    last_name: str | None
    dob: date | None
    phone: str | None
    created_at: datetime
