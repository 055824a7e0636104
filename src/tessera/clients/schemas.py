"""Request and response bodies of the client and token routes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from tessera.kit.text import FreeText
from tessera.principal import Scope


class ClientStatus(StrEnum):
    """A client's secret and tokens work while it is active; disabling it is final."""

    ACTIVE = "active"
    DISABLED = "disabled"


def _distinct(scopes: list[Scope]) -> list[Scope]:
    return sorted(set(scopes), key=lambda s: s.value)


class ClientCreate(BaseModel):
    """A new machine client of the firm."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[
        FreeText, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
    ]
    scopes: Annotated[list[Scope], Field(min_length=1), AfterValidator(_distinct)]


class ClientCreated(BaseModel):
    """A created client; ``client_secret`` is shown this once and never again."""

    client_id: str
    client_secret: str
    name: str
    scopes: list[Scope]
    created_at: datetime


class ClientRead(BaseModel):
    """A machine client (never its secret)."""

    client_id: str
    name: str
    scopes: list[Scope]
    status: ClientStatus
    created_at: datetime
    disabled_at: datetime | None


class TokenResponse(BaseModel):
    """An access token for a machine client (RFC 6749 section 5.1)."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int
    scope: str
