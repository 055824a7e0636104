"""Request and response bodies of the auth routes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from tessera.holders.schemas import HolderRead


def _lower(value: str) -> str:
    return value.lower()


Email = Annotated[EmailStr, AfterValidator(_lower)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class SignupRequest(BaseModel):
    """A new customer and their holder profile."""

    model_config = ConfigDict(extra="forbid")

    email: Email
    password: str = Field(min_length=8, max_length=128)
    first_name: Name
    last_name: Name
    dob: date = Field(description="Date of birth; must be in the past.")
    phone: str | None = Field(default=None, max_length=32)
    firm: str | None = Field(default=None, max_length=63, description="Firm slug.")


class UserRead(BaseModel):
    """A user as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    role: str
    firm: str
    created_at: datetime


class SignupResponse(BaseModel):
    """The created user and holder (log in to get tokens)."""

    user: UserRead
    account_holder: HolderRead


class LoginRequest(BaseModel):
    """Credentials."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class TokenPair(BaseModel):
    """An access token and the refresh token that renews it."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int
    refresh_token: str


class RefreshRequest(BaseModel):
    """A refresh token to rotate or revoke."""

    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=512)


class MeResponse(BaseModel):
    """The caller: user, role, firm and holder profile."""

    user: UserRead
    role: str
    firm: str
    account_holder: HolderRead | None
