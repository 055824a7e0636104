"""Request and response bodies of the auth routes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from tessera.holders.schemas import HolderRead
from tessera.kit.text import FreeText, PlainText
from tessera.models.user import Role


def _lower(value: str) -> str:
    return value.lower()


Email = Annotated[EmailStr, AfterValidator(_lower)]
Name = Annotated[FreeText, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class SignupRequest(BaseModel):
    """A new customer and their holder profile."""

    model_config = ConfigDict(extra="forbid")

    email: Email
    password: str = Field(min_length=8, max_length=128)
    first_name: Name
    last_name: Name
    dob: date = Field(description="Date of birth; must be in the past.")
    phone: PlainText | None = Field(default=None, max_length=32)
    firm: PlainText | None = Field(default=None, max_length=63, description="Firm slug.")


class UserRead(BaseModel):
    """A user as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    role: Role
    firm: str
    created_at: datetime


class SignupResponse(BaseModel):
    """The created user and holder (log in to get tokens)."""

    user: UserRead
    account_holder: HolderRead


class LoginRequest(BaseModel):
    """Credentials."""

    model_config = ConfigDict(extra="forbid")

    email: PlainText = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class TokenPair(BaseModel):
    """An access token and the refresh token that renews it."""

    access_token: str
    token_type: str = "bearer"
    expires_in: int
    refresh_token: str | None = Field(
        default=None,
        description="Absent when the web app asked for it in a cookie (`X-Tessera-Session: "
        "cookie`); always present otherwise.",
    )


class BrowserAccess(BaseModel):
    """A signed-in user of the web app and a fresh access token (the refresh token is in the
    user's cookie)."""

    user_id: str
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class BrowserRenewal(BaseModel):
    """Whose session to renew: one user's, or (by default) every user's this browser holds."""

    model_config = ConfigDict(extra="forbid")

    user_id: PlainText | None = Field(default=None, max_length=40)


class BrowserSessions(BaseModel):
    """The web app's sessions after a renewal."""

    sessions: list[BrowserAccess] = Field(description="Users still signed in, with new tokens.")
    ended: list[str] = Field(
        description="Users whose session is over (expired, signed out elsewhere, or revoked "
        "after a reused token); their cookies are cleared."
    )


class RefreshRequest(BaseModel):
    """A refresh token to rotate or revoke."""

    model_config = ConfigDict(extra="forbid")

    refresh_token: PlainText = Field(min_length=1, max_length=512)


class MeResponse(BaseModel):
    """The caller: user, role, firm and holder profile."""

    user: UserRead
    role: Role
    firm: str
    account_holder: HolderRead | None
