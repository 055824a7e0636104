"""HTTP routes for machine clients and the OAuth 2.0 token endpoint."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Header, Response, status
from fastapi.responses import JSONResponse

from tessera.clients import service
from tessera.clients.schemas import (
    ClientCreate,
    ClientCreated,
    ClientRead,
    ClientStatus,
    TokenResponse,
)
from tessera.deps import CurrentPrincipal, PageDep, RuntimeDep, SessionDep, TransactionalRoute
from tessera.kit.pagination import PageRead
from tessera.kit.text import PlainText
from tessera.models import ApiClient
from tessera.observability import client_ip
from tessera.principal import Scope

router = APIRouter(tags=["clients"], route_class=TransactionalRoute)


def _client_read(client: ApiClient) -> ClientRead:
    return ClientRead(
        client_id=client.id,
        name=client.name,
        scopes=[Scope(s) for s in client.scope_list],
        status=ClientStatus(client.status),
        created_at=client.created_at,
        disabled_at=client.disabled_at,
    )


@router.post(
    "/v1/firms/{firm_id}/clients",
    status_code=status.HTTP_201_CREATED,
    response_model=ClientCreated,
)
def create_client(
    firm_id: str,
    body: ClientCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
) -> Response:
    """Create a machine client with scopes; the secret is in this answer only."""
    created = service.create_client(
        session,
        principal=principal,
        firm_id=firm_id,
        name=body.name,
        scopes=body.scopes,
        now=runtime.now(),
    )
    payload = ClientCreated(
        client_id=created.client.id,
        client_secret=created.secret,
        name=created.client.name,
        scopes=[Scope(s) for s in created.client.scope_list],
        created_at=created.client.created_at,
    )
    return JSONResponse(
        payload.model_dump(mode="json"),
        status_code=status.HTTP_201_CREATED,
        headers={"Cache-Control": "no-store"},
    )


@router.get("/v1/firms/{firm_id}/clients", response_model=PageRead[ClientRead])
def list_clients(
    firm_id: str, session: SessionDep, principal: CurrentPrincipal, page: PageDep
) -> PageRead[ClientRead]:
    """List the firm's machine clients (never their secrets)."""
    result = service.list_clients(session, principal=principal, firm_id=firm_id, page=page)
    return PageRead[ClientRead].of(result, _client_read)


@router.delete("/v1/firms/{firm_id}/clients/{client_id}", status_code=status.HTTP_204_NO_CONTENT)
def disable_client(
    firm_id: str,
    client_id: str,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
) -> Response:
    """Disable a machine client: its secret and its tokens stop working at once."""
    service.disable_client(
        session, principal=principal, firm_id=firm_id, client_id=client_id, now=runtime.now()
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/v1/oauth/token",
    response_model=TokenResponse,
    responses={
        400: {"description": "invalid_request, unsupported_grant_type or invalid_scope"},
        401: {"description": "invalid_client"},
        429: {"description": "rate_limited: too many failed client authentications"},
    },
)
def issue_token(
    session: SessionDep,
    runtime: RuntimeDep,
    grant_type: Annotated[PlainText | None, Form(description="Must be client_credentials.")] = None,
    client_id: Annotated[PlainText | None, Form()] = None,
    client_secret: Annotated[PlainText | None, Form()] = None,
    scope: Annotated[
        PlainText | None, Form(description="Space-separated; narrows the scopes.")
    ] = None,
    authorization: Annotated[
        str | None, Header(description="HTTP Basic client authentication (instead of the body).")
    ] = None,
) -> Response:
    """Exchange a client's id and secret for an access token (OAuth 2.0 client credentials)."""
    issued = service.issue_token(
        session,
        throttle=runtime.throttles.client_auth,
        access_tokens=runtime.access_tokens,
        now=runtime.now(),
        grant_type=grant_type,
        client_id=client_id,
        client_secret=client_secret,
        scope=scope,
        authorization=authorization,
        address=client_ip(),
    )
    payload = TokenResponse(
        access_token=issued.access_token, expires_in=issued.expires_in, scope=issued.scope
    )
    return JSONResponse(
        payload.model_dump(mode="json"),
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )
