"""Property-based API testing: schemathesis generates requests from our OpenAPI document.

Whatever it sends, the service must answer with a status the document declares, a body that
matches it, and never a 5xx.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.api import Api

EXAMPLES_PER_OPERATION = 40

# Domain rules (a phone that parses, a currency that exists) are not in the JSON schema, so a
# schema-valid request may rightly be refused; what must always hold is below.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.mark.slow
@pytest.mark.one_backend  # the generated requests exercise the HTTP layer
class TestApiContract:
    def test_no_server_errors_and_documented_answers(self, app: FastAPI, api: Api) -> None:
        customer = api.customer()
        account = customer.open_account()
        customer.deposit(account, 10_000)
        # Logout ends the caller's session at once: it gets a login of its own, made before the
        # generated failed logins use up this address's limit, so the others keep theirs.
        leaving = api.customer()
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        checked = []
        for result in schema.get_all_operations():
            operation = result.ok()
            caller = leaving if operation.path == "/v1/auth/logout" else customer

            @given(case=operation.as_strategy())
            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def check(case: Any) -> None:
                # Run right below, in this iteration: `caller` is this operation's.
                case.call_and_validate(headers=caller.headers, checks=CHECKS)  # noqa: B023

            check()
            checked.append(operation.label)
        assert len(checked) >= 15
