"""HTTP routes for signup, login, token refresh, logout, the caller, and deleting a user."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Request, Response, status

from tessera.auth import browser, cookies, service
from tessera.auth.schemas import (
    BrowserAccess,
    BrowserRenewal,
    BrowserSessions,
    LoginRequest,
    MeResponse,
    RefreshRequest,
    SignupRequest,
    SignupResponse,
    TokenPair,
    UserRead,
)
from tessera.crypto.passwords import HashingBusy
from tessera.deps import CurrentPrincipal, RuntimeDep, SessionDep, TransactionalRoute
from tessera.errors import RateLimited
from tessera.holders.schemas import HolderRead
from tessera.models import User
from tessera.observability import Metrics, client_ip

router = APIRouter(tags=["auth"], route_class=TransactionalRoute)

T = TypeVar("T")


async def get_token_maker(runtime: RuntimeDep) -> service.TokenMaker:
    """What the auth service makes a login session's tokens with."""
    return service.TokenMaker(runtime.access_tokens, runtime.settings.refresh_token_ttl_seconds)


TokenMakerDep = Annotated[service.TokenMaker, Depends(get_token_maker)]


async def _counted_login(metrics: Metrics, attempt: Awaitable[T]) -> T:
    """A login attempt, counted by outcome in ``tessera_logins_total``."""
    try:
        result = await attempt
    except HashingBusy:
        metrics.logins.labels("busy").inc()
        raise
    except RateLimited:
        metrics.logins.labels("throttled").inc()
        raise
    except service.LoginFailed:
        metrics.logins.labels("failure").inc()
        raise
    metrics.logins.labels("success").inc()
    return result


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
        runtime.db.read_scope,
        session,
        runtime.passwords,
        now=runtime.now(),
        email=body.email,
        password=body.password,
        first_name=body.first_name,
        last_name=body.last_name,
        dob=body.dob,
        phone=body.phone,
        firm_slug=body.firm,
    )
    return SignupResponse(user=_user_read(user), account_holder=HolderRead.model_validate(holder))


@router.post("/v1/auth/login", response_model=TokenPair, response_model_exclude_none=True)
async def login(
    body: LoginRequest,
    request: Request,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
    tokens: TokenMakerDep,
) -> TokenPair:
    """Exchange email and password for an access token and a refresh token.

    With `X-Tessera-Session: cookie` (the web app) the refresh token is set as an HttpOnly
    cookie for `/v1/auth/refresh` instead of being in the answer."""
    # async: the password check waits for the hashing pool without holding a worker thread.
    if not cookies.wants_cookie(request):
        issued = await _counted_login(
            runtime.metrics,
            service.login(
                runtime.db.read_scope,
                session,
                runtime.passwords,
                runtime.throttles.login,
                tokens,
                clock=runtime.now,
                email=body.email,
                password=body.password,
                address=client_ip(),
            ),
        )
        return _token_pair(issued)
    cookies.check_same_site(request, runtime.settings)
    signed_in = await _counted_login(
        runtime.metrics,
        browser.sign_in(
            runtime.db.read_scope,
            session,
            runtime.passwords,
            runtime.throttles.login,
            tokens,
            clock=runtime.now,
            email=body.email,
            password=body.password,
            address=client_ip(),
        ),
    )
    cookies.set_refresh_cookie(
        response,
        runtime.settings,
        user_id=signed_in.user_id,
        refresh_token=signed_in.tokens.refresh_token,
    )
    response.headers["Cache-Control"] = "no-store"
    return TokenPair(
        access_token=signed_in.tokens.access_token, expires_in=signed_in.tokens.expires_in
    )


@router.post("/v1/auth/refresh", response_model=TokenPair)
def refresh(
    body: RefreshRequest, session: SessionDep, runtime: RuntimeDep, tokens: TokenMakerDep
) -> TokenPair:
    """Rotate a refresh token for a new pair; a reused token revokes its whole family."""
    return _token_pair(
        service.refresh(session, tokens, refresh_token=body.refresh_token, now=runtime.now())
    )


@router.post("/v1/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(
    body: RefreshRequest, session: SessionDep, runtime: RuntimeDep, principal: CurrentPrincipal
) -> Response:
    """Revoke the refresh-token family of this login."""
    service.logout(
        session, principal=principal, refresh_token=body.refresh_token, now=runtime.now()
    )
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
    service.delete_user(
        session, runtime.keyring, principal=principal, user_id=user_id, now=runtime.now()
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/v1/auth/refresh/sessions",
    response_model=BrowserSessions,
    tags=["auth"],
    responses={403: {"description": "`csrf_rejected`: not the web app on its own site."}},
)
def renew_browser_sessions(
    request: Request,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
    tokens: TokenMakerDep,
    body: BrowserRenewal | None = None,
) -> BrowserSessions:
    """The web app's refresh: rotate the refresh cookies of its signed-in users (or one user's)
    and answer a new access token for each. Needs `X-Tessera-Session: cookie` from the same
    origin; a user whose session is over is listed in `ended` and their cookie cleared."""
    cookies.check_same_site(request, runtime.settings)
    held = cookies.refresh_tokens(request)
    wanted = body.user_id if body else None
    if wanted is not None:
        held = {user: token for user, token in held.items() if user == wanted}
        if not held:
            return BrowserSessions(sessions=[], ended=[wanted])
    renewal = browser.renew(session, tokens, refresh_tokens=held, clock=runtime.now)
    for ended in renewal.ended:
        cookies.clear_refresh_cookie(response, runtime.settings, user_id=ended)
    for renewed in renewal.renewed:
        cookies.set_refresh_cookie(
            response,
            runtime.settings,
            user_id=renewed.user_id,
            refresh_token=renewed.tokens.refresh_token,
        )
    response.headers["Cache-Control"] = "no-store"
    return BrowserSessions(
        sessions=[
            BrowserAccess(
                user_id=renewed.user_id,
                access_token=renewed.tokens.access_token,
                expires_in=renewed.tokens.expires_in,
            )
            for renewed in renewal.renewed
        ],
        ended=renewal.ended,
    )


@router.delete(
    "/v1/auth/refresh/sessions/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["auth"],
    responses={403: {"description": "`csrf_rejected`: not the web app on its own site."}},
)
def end_browser_session(
    user_id: str, request: Request, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """The web app's logout: revoke the user's refresh-token family and clear their cookie
    (no access token needed: the cookie is the proof, and an expired session must still end)."""
    cookies.check_same_site(request, runtime.settings)
    refresh_token = cookies.refresh_tokens(request).get(user_id)
    if refresh_token is not None:
        browser.sign_out(session, refresh_token=refresh_token, now=runtime.now())
    answer = Response(status_code=status.HTTP_204_NO_CONTENT)
    cookies.clear_refresh_cookie(answer, runtime.settings, user_id=user_id)
    return answer
