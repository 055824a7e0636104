"""The OpenAPI document: what FastAPI generates, plus what clients need to use it.

FastAPI documents only the success answer and 422. The schema is post-processed once:

- ``info.description`` says how the API works as a whole (auth, errors, money, idempotency);
- every operation gets an example request and answer, and an example for each parameter
  (``tessera.openapi_docs.examples``);
- every operation declares each error status it can answer, all in one ``ErrorEnvelope``
  schema, with its codes listed and one example envelope per code
  (``tessera.openapi_docs.errors``).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

from tessera.openapi_docs.errors import ErrorDoc, errors_for
from tessera.openapi_docs.examples import (
    EXAMPLES,
    PARAMETERS,
    PARAMETERS_BY_OPERATION,
    OperationExample,
)

DESCRIPTION = """\
Tessera is a card and banking platform that partner firms run for their customers: accounts
and money movements, issued and registered cards (a PCI-minded vault), courier delivery
tracking, certificates from the firm's own CA, and signed webhooks.

**Authentication.** Send `Authorization: Bearer <access token>`. Customers and firm staff get
tokens from `POST /v1/auth/login` (15 minutes; rotate them with `POST /v1/auth/refresh`); a
firm's systems use OAuth 2.0 client credentials at `POST /v1/oauth/token` and act within their
scopes. Every caller sees only its own firm; a customer only their own holder, accounts and
cards. Another firm's object is always `404`.

**Errors.** Every 4xx and 5xx is
`{"error": {"code", "message", "details"}, "request_id"}`. Branch on `code`, which is stable;
each operation lists the codes it can answer. Quote `request_id` when asking for help.

**Money** is integer minor units with an ISO 4217 `currency` (`amount: 1050` is 10.50 USD).
**Idempotency:** creating POSTs accept `Idempotency-Key`; the same key and body within 24 h
replay the first answer (`Idempotent-Replayed: true`), the same key with another body is `409
idempotency_key_reused`. **Lists** take `limit` (1..200, default 50) and `offset`, and answer
`{items, total, limit, offset}`.

The repository's `docs/API.md` is the contract and `docs/integrators.md` the guide for a firm's
developers (webhook verification in Python and Node included).
"""

_STATUS_TEXT = {
    400: "The request could not be read.",
    401: "Not authenticated.",
    403: "Not allowed.",
    404: "Not found, or another firm's (never revealed to exist).",
    409: "Conflicts with the current state.",
    413: "Too large.",
    415: "Unsupported media type.",
    422: "Not valid.",
    429: "Too many attempts (`Retry-After` says how long to wait).",
    500: "Unexpected error; quote the `request_id`.",
    503: "Unavailable for now; retry later.",
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


def _error_response(status: int, docs: list[ErrorDoc]) -> dict[str, Any]:
    codes = " ".join(f"`{doc.code}`: {doc.meaning}" for doc in docs)
    return {
        "description": f"{_STATUS_TEXT.get(status, 'Error.')} {codes}",
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/ErrorEnvelope"},
                "examples": {
                    doc.code: {
                        "summary": doc.meaning,
                        "value": {
                            "error": {"code": doc.code, "message": doc.meaning, "details": {}},
                            "request_id": "6f1c0a3e9b2d4c5f8e7a1b3c5d7e9f01",
                        },
                    }
                    for doc in docs
                },
            }
        },
    }


def _add_examples(
    method: str, path: str, operation: dict[str, Any], example: OperationExample
) -> None:
    for parameter in operation.get("parameters", []):
        name = parameter["name"]
        key = (method, path, name)
        if key in PARAMETERS_BY_OPERATION:
            parameter["example"] = PARAMETERS_BY_OPERATION[key]
        elif name in PARAMETERS:
            parameter["example"] = PARAMETERS[name]
    for media in operation.get("requestBody", {}).get("content", {}).values():
        if example.request is not None:
            media["example"] = example.request
    for status, response in operation.get("responses", {}).items():
        if not status.startswith("2"):
            continue
        for media_type, media in response.get("content", {}).items():
            if media_type in example.responses:
                media["example"] = example.responses[media_type]
            elif media_type == "application/json" and example.response is not None:
                media["example"] = example.response


def document_operation(method: str, path: str, operation: dict[str, Any]) -> None:
    """Put the examples and the declared errors on one operation of the schema."""
    # A route without entries yet still gets a document (tests/test_openapi.py fails until it
    # has them): the docs must never break because a table lags behind the routes.
    _add_examples(method, path, operation, EXAMPLES.get((method, path), OperationExample()))
    idempotent = any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", []))
    responses = operation.setdefault("responses", {})
    declared = errors_for(method, path, has_body="requestBody" in operation, idempotent=idempotent)
    for status, docs in declared.items():
        responses[str(status)] = _error_response(status, docs)


def install_openapi(app: FastAPI) -> None:
    """Replace ``app.openapi`` with one that documents examples and every error answer."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=DESCRIPTION,
            routes=app.routes,
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["ErrorEnvelope"] = ErrorEnvelope.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        for definition_name, definition in components["ErrorEnvelope"].pop("$defs", {}).items():
            components[definition_name] = definition
        for path, item in schema.get("paths", {}).items():
            for method, operation in item.items():
                document_operation(method, path, operation)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def document() -> dict[str, Any]:
    """The OpenAPI document of the app, built without a server or a database connection."""
    import tempfile

    from pydantic import SecretStr

    from tessera.app import create_app
    from tessera.config import AppEnv, Settings

    with tempfile.TemporaryDirectory() as scratch:
        # Placeholder secrets: nothing is signed or encrypted, and no connection is opened.
        settings = Settings(
            app_env=AppEnv.TEST,
            database_url=f"sqlite:///{scratch}/openapi.db",
            jwt_secret=SecretStr("openapi-document-only-" + "x" * 32),
            TESSERA_MASTER_KEY=SecretStr("b3BlbmFwaS1kb2N1bWVudC1vbmx5LTMyLWJ5dGVzISE="),
            run_worker_in_process=False,
        )
        return create_app(settings).openapi()


def main() -> None:
    """Print the OpenAPI document (``python -m tessera.openapi``), for the web app's types."""
    import json
    import sys

    json.dump(document(), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
