"""``create_app()``: the lifespan, middleware, error handlers, routers and the web app."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import Response
from fastapi.routing import iter_route_contexts
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy.exc import (
    DBAPIError,
    InterfaceError,
    InternalError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

import tessera
from tessera import startup
from tessera.config import Settings, get_settings
from tessera.db import is_read_only_error
from tessera.errors import (
    MalformedRequest,
    Overloaded,
    TesseraError,
    Unavailable,
    UnsupportedMediaType,
    ValidationFailed,
)
from tessera.http import (
    BodyLimitMiddleware,
    ControlCharacterGuard,
    ErrorEnvelopeMiddleware,
    SecurityHeadersMiddleware,
    error_response,
)
from tessera.kit.field_errors import worded
from tessera.kit.text import CARD_NUMBER_IN_TEXT, CARD_NUMBER_MESSAGE
from tessera.observability import (
    RequestContextMiddleware,
    configure_logging,
    get_logger,
)
from tessera.openapi import install_openapi
from tessera.overload import AdmissionControl
from tessera.routers import ROUTERS
from tessera.runtime import Runtime, build_runtime
from tessera.web import docs_page, web_response

log = get_logger(__name__)

_HTTP_CODES = {
    400: "malformed_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    503: "unavailable",
}


async def _on_tessera_error(request: Request, exc: TesseraError) -> Response:
    if isinstance(exc, Unavailable):
        # Expected under overload or a failover: one short line, no traceback to render.
        log.warning("request_unavailable", code=exc.code)
    elif exc.status >= 500:
        log.error("request_failed", code=exc.code, exc_info=exc)
    return error_response(request, exc)


async def _on_validation_error(request: Request, exc: RequestValidationError) -> Response:
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(request, MalformedRequest("The request body is not valid JSON."))
    if any(e.get("type") == "model_attributes_type" for e in errors) and _is_non_json_body(request):
        return error_response(request, UnsupportedMediaType("Send the body as application/json."))
    fields = worded(errors)
    if any(f["rule"] == CARD_NUMBER_IN_TEXT for f in fields):
        return error_response(
            request,
            ValidationFailed(fields, message=CARD_NUMBER_MESSAGE, code=CARD_NUMBER_IN_TEXT),
        )
    return error_response(request, ValidationFailed(fields))


def _is_non_json_body(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    return bool(content_type) and "json" not in content_type.lower()


_SQLITE_UNAVAILABLE = ("database is locked", "database table is locked", "disk i/o error")


def _database_unavailable(exc: SQLAlchemyError) -> bool:
    """Whether ``exc`` means "the database cannot answer now" rather than a bug of ours."""
    if isinstance(exc, SQLAlchemyTimeoutError):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated or is_read_only_error(exc):
        return True
    if isinstance(exc.orig, sqlite3.Error):
        # SQLite says OperationalError for "no such table" too: that one is a 500.
        return str(exc.orig).lower().startswith(_SQLITE_UNAVAILABLE)
    return isinstance(exc, OperationalError | InterfaceError)


async def _on_database_unavailable(request: Request, exc: SQLAlchemyError) -> Response:
    # The pool stayed empty past the deadline, or the database went away (a failover, a lost
    # connection): a 503 the client can retry, never a 500. A lost COMMIT is ambiguous, which is
    # what the Idempotency-Key of a retry resolves. Anything else is a bug: the 500 path.
    if not _database_unavailable(exc):
        raise exc
    log.warning("database_unavailable", error=type(exc).__name__)
    if isinstance(exc, SQLAlchemyTimeoutError):
        return error_response(request, Overloaded())
    return error_response(
        request, Unavailable("The database is not answering; retry shortly.", retry_after=1)
    )


async def _on_http_error(request: Request, exc: StarletteHTTPException) -> Response:
    if exc.status_code == 404:
        page = web_response(request)
        if page is not None:
            return page
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request))
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    messages = {
        404: "No route matches this path.",
        405: "This method is not allowed on this path.",
    }
    error = TesseraError(
        messages.get(exc.status_code, str(exc.detail)),
        code=code,
        headers=headers,
    )
    error.status = exc.status_code  # type: ignore[misc]
    return error_response(request, error)


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route accepts on this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    probe = {**request.scope, "method": "GET"}
    for context in iter_route_contexts(request.app.routes):
        route_methods = context.methods
        if route_methods and context.matches(probe)[0] is not Match.NONE:
            methods.update(route_methods)
    return sorted(methods)


def metrics_text(runtime: Runtime) -> bytes:
    """The Prometheus exposition: this process's, or every worker's in multi-process mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # untyped upstream
        return generate_latest(registry)
    return generate_latest(runtime.metrics.registry)


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    """Build the application. Tests pass their own settings or a prepared runtime."""
    if runtime is None:
        runtime = build_runtime(settings or get_settings())
    settings = runtime.settings

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        startup.check_ready(runtime)
        # Sync routes run on this pool: one thread per admitted request, plus room for the
        # routes that bypass admission (health), so an admitted request never waits for one.
        to_thread.current_default_thread_limiter().total_tokens = settings.max_concurrency + 8
        runtime.writer.start()
        worker = startup.start_embedded_worker(runtime) if settings.run_worker_in_process else None
        log.info("started", version=tessera.__version__, env=settings.app_env.value)
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            runtime.writer.stop()
            runtime.db.dispose()
            log.info("stopped")

    app = FastAPI(
        title="Tessera",
        version=tessera.__version__,
        summary="Card and banking platform for partner firms.",
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url=None,  # our own /docs below: Swagger UI from this service, not a CDN
        redoc_url=None,
    )
    app.state.runtime = runtime

    # Starlette types handlers as taking any Exception; each of these gets only its own class.
    app.add_exception_handler(TesseraError, _on_tessera_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _on_validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _on_http_error)  # type: ignore[arg-type]
    # InternalError: a write on a server that turned read-only (SQLSTATE 25006).
    for unavailable in (SQLAlchemyTimeoutError, OperationalError, InterfaceError, InternalError):
        app.add_exception_handler(unavailable, _on_database_unavailable)  # type: ignore[arg-type]

    for router in ROUTERS:
        app.include_router(router)
    install_openapi(app)

    @app.get("/docs", include_in_schema=False)
    async def docs() -> Response:
        return docs_page()

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(metrics_text(runtime), media_type=CONTENT_TYPE_LATEST)

    # Added innermost first: the body limit sits inside the error envelope, which sits inside
    # the request context (so even a 500 carries its request id and gets an access line). The
    # security headers go on every answer, a 503 of the admission control's included.
    app.add_middleware(ControlCharacterGuard)
    app.add_middleware(
        BodyLimitMiddleware,
        default_limit=settings.max_body_bytes,
        upload_limit=settings.max_upload_bytes,
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "Idempotency-Key",
                "X-Request-Id",
                "X-Tessera-Session",
            ],
            # Only the refresh routes read a cookie, and only from these trusted origins.
            allow_credentials=True,
            expose_headers=["X-Request-Id", "Idempotent-Replayed", "Retry-After"],
        )
    app.add_middleware(ErrorEnvelopeMiddleware)
    app.add_middleware(
        AdmissionControl,
        limit=settings.max_concurrency,
        deadline=settings.overload_deadline_seconds,
    )
    app.add_middleware(SecurityHeadersMiddleware, served_over_tls=settings.served_over_tls)
    app.add_middleware(
        RequestContextMiddleware,
        metrics=runtime.metrics,
        trusted_proxies=settings.trusted_proxy_networks,
    )
    return app


def create_app_from_env() -> FastAPI:
    """Factory for uvicorn/gunicorn: settings from the environment, logging configured."""
    settings = get_settings()
    configure_logging(settings.log_level)
    return create_app(settings)
