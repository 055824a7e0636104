"""FastAPI dependencies shared by every router: the session, the caller, pages, idempotency."""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, get_type_hints

from fastapi import Depends, Header, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy.orm import Session

from tessera import rawsql
from tessera.crypto.tokens import ExpiredToken, InvalidToken
from tessera.errors import TesseraError, TokenExpired, Unauthorized
from tessera.identity.service import resolve_principal
from tessera.kit import idempotency
from tessera.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, PageParams
from tessera.observability import bind_user
from tessera.principal import Principal, Scope
from tessera.runtime import Runtime

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# Dependencies that neither block nor touch the database are ``async def``: FastAPI runs a
# plain ``def`` dependency on a worker thread, and each such hop costs more than the work.


async def get_runtime(request: Request) -> Runtime:
    """The process's runtime, built by ``create_app``."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_session(request: Request, runtime: RuntimeDep) -> Iterator[Session]:
    """One session per request: committed before the answer is sent, rolled back on error.

    Requests that may write (anything but GET/HEAD/OPTIONS) get a writing session; see
    ``tessera.db``. An error marked ``commit=True`` (a refresh-token reuse that revoked the
    family, a failed login that was audited) still commits what the service recorded.
    """
    session = runtime.db.session(write=request.method not in SAFE_METHODS)
    try:
        yield session
        session.commit()
    except TesseraError as exc:
        if exc.commit:
            session.commit()
        else:
            session.rollback()
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


class TransactionalRoute(APIRoute):
    """A route whose plain ``def`` endpoint commits its session on the thread it ran on.

    FastAPI runs the endpoint and the end of ``get_session`` as two separate hops to the thread
    pool. Committing between them would leave SQLite's write lock held while the request waits
    for a second thread: under load that wait, not the work, becomes the lock's hold time. So the
    endpoint commits (or rolls back) as soon as it returns, on its own thread; ``get_session``
    then finds nothing left to do. Every router of the app uses this class.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        name = _session_parameter(endpoint)
        if name is not None and not inspect.iscoroutinefunction(endpoint):
            endpoint = _committing(endpoint, name)
        super().__init__(path, endpoint, **kwargs)


def _session_parameter(endpoint: Callable[..., Any]) -> str | None:
    hints = get_type_hints(endpoint, include_extras=True)
    for name, hint in hints.items():
        for meta in getattr(hint, "__metadata__", ()):
            if getattr(meta, "dependency", None) is get_session:
                return name
    return None


def _committing(endpoint: Callable[..., Any], name: str) -> Callable[..., Any]:
    @functools.wraps(endpoint)
    def run(*args: Any, **kwargs: Any) -> Any:
        session: Session = kwargs[name]
        try:
            result = endpoint(*args, **kwargs)
        except TesseraError as exc:
            if exc.commit:
                session.commit()
            else:
                session.rollback()
            raise
        except BaseException:
            session.rollback()
            raise
        session.commit()
        return result

    return run


async def get_read_session(runtime: RuntimeDep) -> AsyncIterator[Session]:
    """A read-only session for an ``async def`` route, used on the event loop.

    For short indexed reads a thread hop costs more than the query; routes that do slow or
    many reads stay plain ``def`` with ``SessionDep``.
    """
    with runtime.db.session(write=False) as session:
        yield session


ReadSessionDep = Annotated[Session, Depends(get_read_session, scope="function")]


async def get_read_cursor(runtime: RuntimeDep) -> AsyncIterator[rawsql.Cursor]:
    """A pooled connection's cursor for the one-statement reads of hot ``async def`` routes."""
    with rawsql.read_cursor(runtime.db.engine) as cursor:
        yield cursor


ReadCursorDep = Annotated[rawsql.Cursor, Depends(get_read_cursor, scope="function")]

_bearer = HTTPBearer(auto_error=False, description="An access token from /v1/auth/login.")


async def get_principal(
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The authenticated caller; 401 without a valid, unexpired access token.

    The user (or client) is read on a pooled connection of its own, on the event loop: one
    indexed statement (``tessera.rawsql``), with no thread hop, and without starting the
    request's own transaction, so a writing request does not hold SQLite's write lock while it
    authenticates.
    """
    if credentials is None or not credentials.credentials:
        raise Unauthorized("Send an access token: `Authorization: Bearer <token>`.")
    try:
        claims = runtime.access_tokens.verify(credentials.credentials, now=runtime.now())
    except ExpiredToken as exc:
        raise TokenExpired() from exc
    except InvalidToken as exc:
        raise Unauthorized("The access token is not valid.") from exc
    with rawsql.read_cursor(runtime.db.engine) as cursor:
        principal = resolve_principal(cursor, claims)
    bind_user(principal.id)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_scope(scope: Scope) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that returns the caller after checking it holds ``scope`` (else 403)."""

    async def dependency(principal: CurrentPrincipal) -> Principal:
        principal.require(scope)
        return principal

    dependency.__name__ = f"require_{scope.value.replace(':', '_')}"
    return dependency


CardsReader = Annotated[Principal, Depends(require_scope(Scope.CARDS_READ))]
CardsWriter = Annotated[Principal, Depends(require_scope(Scope.CARDS_WRITE))]
CardsRevealer = Annotated[Principal, Depends(require_scope(Scope.CARDS_REVEAL))]


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip.")] = 0,
) -> PageParams:
    """``?limit=`` (1..200, default 50) and ``?offset=`` (>= 0)."""
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(page_params)]


class Idempotent:
    """Runs a creating POST at most once per ``Idempotency-Key`` (see ``kit.idempotency``)."""

    def __init__(
        self,
        request: Request,
        session: SessionDep,
        runtime: RuntimeDep,
        principal: CurrentPrincipal,
        idempotency_key: Annotated[
            str | None,
            Header(
                alias="Idempotency-Key",
                description="Makes the request safe to retry: the same key and body within "
                "24 h replay the first answer.",
            ),
        ] = None,
    ) -> None:
        self._request = request
        self._session = session
        self._runtime = runtime
        self._principal = principal
        self._key = idempotency.validate_key(idempotency_key) if idempotency_key else None

    def run(
        self,
        body: BaseModel | None,
        status_code: int,
        action: Callable[[], Any],
        *,
        sent_once: frozenset[str] = frozenset(),
        slow: bool = False,
    ) -> Response:
        """Call ``action`` (which returns a schema) once; replay its answer for repeats.

        Top-level fields named in ``sent_once`` (a generated private key) are left out of the
        stored answer: they are never written to the database, and a replay answers without them.

        ``slow``: the action does slow work before it writes (it signs a certificate) and holds
        no transaction meanwhile. The key is then looked up first, on a read of its own, so that
        a replay does none of that work, and reserved after the action, in the transaction it
        wrote in. When another request with the key committed first meanwhile, this one's
        writes are rolled back and the winner's answer replayed.
        """
        if self._key is None:
            return JSONResponse(jsonable_encoder(action()), status_code=status_code)
        request_hash = idempotency.request_fingerprint(
            self._request.method,
            self._request.url.path,
            body.model_dump(mode="json") if body is not None else None,
        )
        if slow:
            with self._runtime.db.session_scope(write=False) as reading:
                stored = idempotency.peek(
                    reading,
                    principal_id=self._principal.id,
                    key=self._key,
                    request_hash=request_hash,
                    now=self._runtime.now(),
                )
            if stored is not None:
                return _replay(stored)
            payload = jsonable_encoder(action())
            stored = self._reserve(self._key, request_hash)
            if stored is not None:
                self._session.rollback()
                return _replay(stored)
        else:
            stored = self._reserve(self._key, request_hash)
            if stored is not None:
                return _replay(stored)
            payload = jsonable_encoder(action())
        kept = {k: v for k, v in payload.items() if k not in sent_once} if sent_once else payload
        idempotency.complete(
            self._session,
            principal_id=self._principal.id,
            key=self._key,
            status_code=status_code,
            body=kept,
        )
        return JSONResponse(payload, status_code=status_code)

    def _reserve(self, key: str, request_hash: str) -> idempotency.StoredAnswer | None:
        return idempotency.reserve(
            self._session,
            firm_id=self._principal.firm_id,
            principal_id=self._principal.id,
            key=key,
            request_hash=request_hash,
            now=self._runtime.now(),
        )


def _replay(stored: idempotency.StoredAnswer) -> Response:
    return JSONResponse(
        stored.body, status_code=stored.status_code, headers={"Idempotent-Replayed": "true"}
    )


IdempotentDep = Annotated[Idempotent, Depends()]


@dataclass(frozen=True, slots=True)
class _Outcome:
    payload: Any
    replayed_status: int | None = None


class Submission:
    """Runs a creating POST on the writer (group commit), at most once per ``Idempotency-Key``.

    The key is reserved, the work done and the answer stored in one savepoint of the writer's
    batch, so the three commit or vanish together, and the answer is sent only after that
    commit. For ``async def`` routes: the request holds no thread and no connection while it
    waits for its batch.
    """

    def __init__(
        self, request: Request, runtime: Runtime, principal: Principal, key: str | None
    ) -> None:
        self._request = request
        self._runtime = runtime
        self._principal = principal
        self._key = key

    async def run(
        self,
        body: BaseModel | None,
        status_code: int,
        work: Callable[[Session], BaseModel],
    ) -> Response:
        """Run ``work`` (which returns a schema) on the writer once; replay it for repeats."""
        key = self._key
        principal = self._principal
        runtime = self._runtime
        request_hash = (
            idempotency.request_fingerprint(
                self._request.method,
                self._request.url.path,
                body.model_dump(mode="json") if body is not None else None,
            )
            if key is not None
            else ""
        )

        def unit(session: Session) -> _Outcome:
            now = runtime.now()
            if key is not None:
                stored = idempotency.lookup(
                    session,
                    principal_id=principal.id,
                    key=key,
                    request_hash=request_hash,
                    now=now,
                )
                if stored is not None:
                    return _Outcome(stored.body, replayed_status=stored.status_code)
            payload = work(session).model_dump(mode="json")
            if key is not None:
                idempotency.store(
                    session,
                    firm_id=principal.firm_id,
                    principal_id=principal.id,
                    key=key,
                    request_hash=request_hash,
                    status_code=status_code,
                    body=payload,
                    now=now,
                )
            return _Outcome(payload)

        try:
            outcome = await runtime.writer.run(unit)
        except idempotency.KeyRaced:
            # Another process stored this key's answer first (PostgreSQL): replay it.
            outcome = await runtime.writer.run(unit)
        if outcome.replayed_status is not None:
            return JSONResponse(
                outcome.payload,
                status_code=outcome.replayed_status,
                headers={"Idempotent-Replayed": "true"},
            )
        return JSONResponse(outcome.payload, status_code=status_code)


async def get_submission(
    request: Request,
    runtime: RuntimeDep,
    principal: CurrentPrincipal,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Makes the request safe to retry: the same key and body within "
            "24 h replay the first answer.",
        ),
    ] = None,
) -> Submission:
    """The writer submission of an ``async def`` creating route (a coroutine: no thread hop)."""
    key = idempotency.validate_key(idempotency_key) if idempotency_key else None
    return Submission(request, runtime, principal, key)


SubmissionDep = Annotated[Submission, Depends(get_submission)]
