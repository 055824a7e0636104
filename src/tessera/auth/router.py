"""HTTP routes for signup, login, token refresh, logout, the caller, and deleting a user."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from tessera.auth import service
from tessera.auth.schemas import (
    LoginRequest,
    MeResponse,
    RefreshRequest,
    SignupRequest,
    SignupResponse,
    TokenPair,
    UserRead,
)
from tessera.deps import CurrentPrincipal, RuntimeDep, SessionDep
from tessera.holders.schemas import HolderRead
from tessera.models import User
from tessera.observability import client_ip

router = APIRouter(tags=["auth"])


def _user_read(user: User) -> UserRead:
    return UserRead(
        id=user.id, email=user.email, role=user.role, firm=user.firm_id, created_at=user.created_at
    )


def _token_pair(tokens: service.IssuedTokens) -> TokenPair:
    return TokenPair(
        access_token=tokens.access_token,
        expires_in=tokens.expires_in,
        refresh_token=tokens.refresh_token,
    )


@router.post("/v1/auth/signup", status_code=status.HTTP_201_CREATED, response_model=SignupResponse)
def signup(body: SignupRequest, session: SessionDep, runtime: RuntimeDep) -> SignupResponse:
    """Create a customer and their account holder profile (log in next to get tokens)."""
    user, holder = service.signup(
        session,
        runtime,
        email=body.email,
        password=body.password,
        first_name=body.first_name,
        last_name=body.last_name,
        dob=body.dob,
        phone=body.phone,
        firm_slug=body.firm,
    )
    return SignupResponse(user=_user_read(user), account_holder=HolderRead.model_validate(holder))


@router.post("/v1/auth/login", response_model=TokenPair)
async def login(body: LoginRequest, session: SessionDep, runtime: RuntimeDep) -> TokenPair:
    """Exchange email and password for an access token and a refresh token."""
    # async: the password check waits for the hashing pool without holding a worker thread.
    tokens = await service.login(
        session,
        runtime,
        email=body.email,
        password=body.password,
        address=client_ip(),
    )
    return _token_pair(tokens)


@router.post("/v1/auth/refresh", response_model=TokenPair)
def refresh(body: RefreshRequest, session: SessionDep, runtime: RuntimeDep) -> TokenPair:
    """Rotate a refresh token for a new pair; a reused token revokes its whole family."""
    return _token_pair(service.refresh(session, runtime, refresh_token=body.refresh_token))


@router.post("/v1/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(
    body: RefreshRequest, session: SessionDep, runtime: RuntimeDep, principal: CurrentPrincipal
) -> Response:
    """Revoke the refresh-token family of this login."""
    service.logout(session, runtime, principal=principal, refresh_token=body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/v1/auth/me", response_model=MeResponse)
def me(session: SessionDep, principal: CurrentPrincipal) -> MeResponse:
    """The caller: user, role, firm and account holder profile."""
    user, holder = service.me(session, principal=principal)
    return MeResponse(
        user=_user_read(user),
        role=user.role,
        firm=user.firm_id,
        account_holder=HolderRead.model_validate(holder) if holder else None,
    )


@router.delete("/v1/users/{user_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["users"])
def delete_user(
    user_id: str, session: SessionDep, runtime: RuntimeDep, principal: CurrentPrincipal
) -> Response:
    """Remove a user's login and erase their personal data; ledger rows stay."""
    service.delete_user(session, runtime, principal=principal, user_id=user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
