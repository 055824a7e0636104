"""The OpenAPI document: a description, examples that are valid, and every error declared.

A later schemathesis run requires zero undeclared status codes, so every operation must declare
each error it can answer; these tests make adding an error without declaring it fail.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import TypeAdapter, ValidationError

import tessera
from tessera import errors
from tessera.accounts.schemas import AccountRead
from tessera.openapi import document_operation
from tessera.openapi_docs import errors as declared
from tessera.openapi_docs import objects as o
from tessera.openapi_docs.examples import EXAMPLES

# The OpenAPI document is the same whichever database serves it.
pytestmark = pytest.mark.one_backend

GENERIC = {"401", "403", "422", "429", "500", "503"}
ENVELOPE = {"$ref": "#/components/schemas/ErrorEnvelope"}


@pytest.fixture
def spec(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


class TestDescription:
    def test_info_says_how_the_api_works(self, spec: dict[str, Any]) -> None:
        text = spec["info"]["description"]
        for needed in ("Authorization: Bearer", "request_id", "minor units", "Idempotency-Key"):
            assert needed in text


class TestExamples:
    def test_every_operation_has_an_example_and_no_example_is_stale(
        self, spec: dict[str, Any]
    ) -> None:
        documented = {(method, path) for method, path, _ in operations(spec)}
        assert set(EXAMPLES) == documented

    def test_every_body_answer_and_parameter_has_an_example(self, spec: dict[str, Any]) -> None:
        missing = []
        for method, path, operation in operations(spec):
            for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
                if "example" not in media:
                    missing.append(f"{method} {path} request {media_type}")
            for status, response in operation["responses"].items():
                if not status.startswith("2"):
                    continue
                for media_type, media in response.get("content", {}).items():
                    if "example" not in media:
                        missing.append(f"{method} {path} {status} {media_type}")
            for parameter in operation.get("parameters", []):
                if "example" not in parameter:
                    missing.append(f"{method} {path} parameter {parameter['name']}")
        assert missing == []

    def test_json_examples_are_valid_for_the_operations_models(self, app: FastAPI) -> None:
        invalid: list[str] = []
        checked = 0
        for context in iter_route_contexts(app.routes):
            route = context.route
            if not isinstance(route, APIRoute) or not route.include_in_schema:
                continue
            for method in context.methods or ():
                example = EXAMPLES[(method.lower(), context.path)]
                body = route.body_field
                if body is not None and example.request is not None and not _is_form(context.path):
                    invalid += _invalid(
                        context.path, "request", body.field_info.annotation, example.request
                    )
                    checked += 1
                if route.response_model is not None and example.response is not None:
                    invalid += _invalid(
                        context.path, "answer", route.response_model, example.response
                    )
                    checked += 1
        assert invalid == []
        assert checked >= 80  # requests and answers: the check really ran

    def test_a_broken_example_is_caught(self) -> None:
        broken = {k: v for k, v in o.ACCOUNT.items() if k != "balance"}
        assert _invalid("/v1/accounts/{account_id}", "answer", AccountRead, broken)
        assert _invalid("/v1/accounts/{account_id}", "answer", AccountRead, o.ACCOUNT) == []


def _is_form(path: str) -> bool:
    return path in {"/v1/deliveries/imports", "/v1/oauth/token"}


def _invalid(path: str, what: str, model: Any, example: Any) -> list[str]:
    try:
        TypeAdapter(model).validate_python(example, by_alias=True, by_name=True)
    except ValidationError as exc:
        return [f"{path} {what}: {exc.errors()[0]}"]
    return []


class TestDeclaredErrors:
    def test_every_operation_is_in_the_table(self, spec: dict[str, Any]) -> None:
        documented = {(method, path) for method, path, _ in operations(spec)}
        assert set(declared.OPERATION_ERRORS) == documented

    def test_every_operation_declares_the_generic_answers_in_the_envelope(
        self, spec: dict[str, Any]
    ) -> None:
        for method, path, operation in operations(spec):
            responses = operation["responses"]
            assert set(responses) >= GENERIC, (method, path)
            for status, response in responses.items():
                if status[0] in "45":
                    media = response["content"]["application/json"]
                    assert media["schema"] == ENVELOPE, (method, path, status)
                    assert media["examples"], (method, path, status)

    def test_operations_list_their_own_codes(self, spec: dict[str, Any]) -> None:
        def codes(method: str, path: str, status: str) -> set[str]:
            response = spec["paths"][path][method]["responses"][status]
            return set(response["content"]["application/json"]["examples"])

        assert {"insufficient_funds", "account_inactive", "idempotency_key_reused"} <= codes(
            "post", "/v1/transfers", "409"
        )
        assert {"same_account", "currency_mismatch", "validation_error"} <= codes(
            "post", "/v1/transfers", "422"
        )
        assert "email_taken" in codes("post", "/v1/auth/signup", "409")
        assert "invalid_credentials" in codes("post", "/v1/auth/login", "401")
        assert {"invalid_card_number", "card_expired", "invalid_cvv"} <= codes(
            "post", "/v1/card-registrations", "422"
        )
        assert "pki_not_initialised" in codes("get", "/v1/pki/ca.pem", "503")
        # Public operations need no token: no token_expired, no generic 404.
        assert "token_expired" not in codes("get", "/v1/health", "401")
        assert "404" not in spec["paths"]["/v1/health"]["get"]["responses"]
        assert "404" in spec["paths"]["/v1/accounts/{account_id}"]["get"]["responses"]

    def test_a_route_missing_from_the_tables_still_gets_a_document(self) -> None:
        operation: dict[str, Any] = {"responses": {"200": {"description": "ok"}}}
        document_operation("get", "/v1/not-in-the-tables", operation)
        assert set(operation["responses"]) >= GENERIC

    def test_an_unknown_code_in_the_table_is_refused(self) -> None:
        with pytest.raises(KeyError, match="no_such_code"):
            declared._by_status(["forbidden", "no_such_code"])


def raised_codes() -> dict[str, int]:
    """Every error code the source can raise, with its status: the ``default_code`` of each
    TesseraError class, and each ``code="..."`` given where a TesseraError is raised."""
    classes = _error_classes()
    found: dict[str, int] = {cls.default_code: cls.status for cls in classes.values()}
    for path in Path(tessera.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = (
                node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            )
            if name not in classes:
                continue
            for keyword in node.keywords:
                if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                    found[str(keyword.value.value)] = classes[name].status
    return found


def _error_classes() -> dict[str, type[errors.TesseraError]]:
    import tessera.routers  # noqa: F401 - loads every feature and its error classes

    seen: dict[str, type[errors.TesseraError]] = {}
    pending = [errors.TesseraError]
    while pending:
        cls = pending.pop()
        seen[cls.__name__] = cls
        pending.extend(cls.__subclasses__())
    return seen


class TestCatalog:
    def test_every_code_the_source_raises_is_in_the_catalogue_with_its_status(self) -> None:
        raised = raised_codes()
        assert {"insufficient_funds", "email_taken", "same_account", "weak_key"} <= set(raised)
        wrong = {
            code: (status, declared.CATALOG[code].status if code in declared.CATALOG else None)
            for code, status in raised.items()
            if code not in declared.CATALOG or declared.CATALOG[code].status != status
        }
        assert wrong == {}

    def test_every_code_in_the_catalogue_is_declared_somewhere(self) -> None:
        used = set(declared.EVERY_OPERATION) | set(declared.AUTHENTICATED)
        used |= set(declared.WITH_BODY) | set(declared.WITH_IDEMPOTENCY_KEY)
        for codes in declared.OPERATION_ERRORS.values():
            used |= set(codes)
        # `conflict` and `rule_violation` are the base classes' codes, never answered as such.
        assert set(declared.CATALOG) - used == {"conflict", "rule_violation"}
