"""The OpenAPI document: every operation declares the errors it can answer, in the envelope.

FastAPI documents only the success answer and 422. Clients (and property-based API tests)
need the rest, so the schema is post-processed once: each operation gets the error statuses
that apply to it, all pointing at one ``ErrorEnvelope`` schema.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

PUBLIC_OPERATIONS = {
    ("post", "/v1/auth/signup"),
    ("post", "/v1/auth/login"),
    ("post", "/v1/auth/refresh"),
    ("post", "/v1/oauth/token"),
    ("get", "/v1/health"),
}

_DESCRIPTIONS = {
    "400": "Malformed request body (`malformed_request`).",
    "401": "Missing, invalid or expired credentials.",
    "403": "Authenticated, but not allowed (`forbidden`).",
    "404": "Not found, or another tenant's object (`not_found`).",
    "409": "Conflicts with the current state.",
    "413": "Request body too large (`payload_too_large`).",
    "415": "Body is not of a media type this endpoint accepts.",
    "422": "The request is not valid (`validation_error` or a rule code).",
    "429": "Too many attempts (`rate_limited`, with `Retry-After`).",
    "500": "Unexpected error; quote the `request_id`.",
    "503": "Busy for a moment (`unavailable`, with `Retry-After`).",
}


class ErrorBody(BaseModel):
    """What went wrong."""

    code: str = Field(examples=["insufficient_funds"])
    message: str
    details: dict[str, Any]


class ErrorEnvelope(BaseModel):
    """Every 4xx and 5xx answer."""

    error: ErrorBody
    request_id: str | None


def _statuses(method: str, path: str, operation: dict[str, Any]) -> list[str]:
    statuses = ["500"]
    public = (method, path) in PUBLIC_OPERATIONS
    if not public:
        # Any authenticated call may name an object (in the path, the query or the body) that
        # does not exist or belongs to another firm.
        statuses += ["401", "403", "404"]
    elif path in {"/v1/auth/login", "/v1/auth/refresh", "/v1/oauth/token"}:
        statuses.append("401")
    if "{" in path:
        statuses.append("404")
    if method in {"post", "patch", "put", "delete"}:
        statuses += ["409", "422"]
    if "requestBody" in operation:
        statuses += ["400", "413", "415", "422"]
    if operation.get("parameters"):
        statuses.append("422")
    if (method, path) == ("post", "/v1/auth/login"):
        # 503 when the password-hashing queue is full (tessera.crypto.passwords).
        statuses += ["429", "503"]
    return sorted(set(statuses))


def install_openapi(app: FastAPI) -> None:
    """Replace ``app.openapi`` with one that documents every error answer."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["ErrorEnvelope"] = ErrorEnvelope.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        for definition_name, definition in components["ErrorEnvelope"].pop("$defs", {}).items():
            components[definition_name] = definition
        ref = {"$ref": "#/components/schemas/ErrorEnvelope"}
        for path, item in schema.get("paths", {}).items():
            for method, operation in item.items():
                responses = operation.setdefault("responses", {})
                for status in _statuses(method, path, operation):
                    responses[status] = {
                        "description": _DESCRIPTIONS[status],
                        "content": {"application/json": {"schema": ref}},
                    }
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
