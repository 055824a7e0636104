"""Request and response bodies of the firm routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from tessera.kit.text import FreeText

Slug = Annotated[
    str,
    StringConstraints(
        min_length=2, max_length=63, pattern=r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
    ),
]
Bin = Annotated[str, StringConstraints(pattern=r"^[0-9]{6,8}$")]
FirmName = Annotated[
    FreeText, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
]


class FirmCreate(BaseModel):
    """A new partner firm."""

    model_config = ConfigDict(extra="forbid")

    name: FirmName
    slug: Slug = Field(description="Lowercase letters, digits and dashes; used at signup.")
    auto_approve_registrations: bool = Field(
        default=False, description="Card registrations are approved as soon as they are made."
    )
    issuing_bin: Bin | None = Field(
        default=None,
        description="First BIN (6 to 8 digits) of the range issued cards are numbered in.",
        examples=["40001200"],
    )
    issuing_bin_end: Bin | None = Field(
        default=None,
        description="Last BIN of the range, as long as issuing_bin (default: issuing_bin).",
        examples=["40001299"],
    )
    allow_ip_sans: bool = Field(
        default=False,
        description="Certificates may carry IP address SANs (nobody owns an address).",
    )


class FirmUpdate(BaseModel):
    """Changes to a firm's settings; absent fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: FirmName | None = None
    auto_approve_registrations: bool | None = None
    issuing_bin: Bin | None = None
    issuing_bin_end: Bin | None = None
    allow_ip_sans: bool | None = Field(
        default=None, description="Platform admins only: certificates may carry IP SANs."
    )


class FirmRead(BaseModel):
    """A firm and its settings."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    slug: str
    status: str
    auto_approve_registrations: bool
    issuing_bin: str
    issuing_bin_end: str
    allow_ip_sans: bool
    created_at: datetime
