"""Property-based API testing: schemathesis generates requests from our OpenAPI document.

Whatever it sends, as whoever sends it, the service must answer with a status the document
declares, a body that matches it, and never a 5xx. Each operation is called by three principals
(a customer, a firm admin, a machine client holding every scope), with schema-valid and
schema-breaking requests, and with the caller's own firm in a ``{firm_id}`` path so that the
firm-scoped operations get past their 404. Generation is derandomized: a run is reproducible and
its length is bounded (``EXAMPLES_PER_OPERATION`` per principal and operation).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tessera.config import Settings
from tessera.principal import ALL_SCOPES
from tests.support.api import Api, Caller
from tests.support.firms import create_tenant
from tests.support.settings import make_settings

EXAMPLES_PER_OPERATION = 20
# The whole run (three principals, every operation) must fit in `make test`: CPU seconds.
TIME_BUDGET_SECONDS = 90.0

# Domain rules (a phone that parses, a currency that exists) are not in the JSON schema, so a
# schema-valid request may rightly be refused; what must always hold is below.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # Tokens that outlive a slow run on a busy machine: the principals log in once, up front.
    return make_settings(database_url, tmp_path, access_token_ttl_seconds=86_400)


@dataclass
class Principal:
    """One kind of caller, and a second one of its kind for logout (which ends its session).

    Both log in before the generated failed logins use up this address's limit.
    """

    name: str
    make: Callable[[], Caller]
    caller: Caller = field(init=False)
    leaving: Caller = field(init=False)

    def __post_init__(self) -> None:
        self.caller = self.make()
        self.leaving = self.make()

    def for_operation(self, operation: Any) -> Caller:
        return self.leaving if operation.path == "/v1/auth/logout" else self.caller


@dataclass
class Tally:
    cases: int = 0
    failures: list[str] = field(default_factory=list)
    operations: set[str] = field(default_factory=set)


def _world(api: Api) -> tuple[list[Principal], dict[str, str]]:
    """The three principals of one firm, and ids of that firm's objects to put in paths."""
    tenant = create_tenant(api)
    scopes = sorted(scope.value for scope in ALL_SCOPES)
    owner = tenant.customer()
    account = owner.open_account()
    owner.deposit(account, 10_000)
    known = {"firm_id": tenant.id, "account_id": account, "holder_id": str(owner.holder_id)}

    def customer() -> Caller:
        caller = tenant.customer()
        caller.deposit(caller.open_account(), 10_000)
        return caller

    principals = [
        Principal("customer", customer),
        Principal("firm_admin", lambda: tenant.admin.api.staff(firm_id=tenant.id)),
        Principal("client", lambda: tenant.client(*scopes)),
    ]
    principals[0].caller = owner
    return principals, known


def _run_operation(
    operation: Any, principal: Principal, caller: Caller, known: dict[str, str], tally: Tally
) -> None:
    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    fixed = {p.name: known[p.name] for p in operation.path_parameters if p.name in known}
    if fixed:
        # The firm's own objects: past the 404, into the operation's own rules.
        strategies += [
            operation.as_strategy(GenerationMode.POSITIVE, path_parameters=fixed),
            operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=fixed),
        ]

    @given(case=st.one_of(strategies))
    @hypothesis.settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: Any) -> None:
        tally.cases += 1
        case.call_and_validate(headers=caller.headers, checks=CHECKS)

    try:
        check()
    # Every failure is collected, then reported at once (schemathesis raises a FailureGroup,
    # a BaseExceptionGroup).
    except (Exception, FailureGroup) as exc:
        tally.failures.append(f"{principal.name} {operation.label}: {exc}")
    tally.operations.add(operation.label)


@pytest.mark.slow
@pytest.mark.one_backend  # the generated requests exercise the HTTP layer
class TestApiContract:
    def test_no_server_errors_and_documented_answers(self, app: FastAPI, api: Api) -> None:
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        operations = [result.ok() for result in schema.get_all_operations()]
        tally = Tally()
        # CPU time, not wall time: the machines are shared, and the app runs in this process.
        started = time.process_time()
        principals, known = _world(api)
        for principal in principals:
            for operation in operations:
                caller = principal.for_operation(operation)
                _run_operation(operation, principal, caller, known, tally)
        elapsed = time.process_time() - started

        print(
            f"\nschemathesis: {tally.cases} cases, {len(tally.failures)} failures, {elapsed:.0f} s"
        )
        assert tally.failures == [], "\n\n".join(tally.failures)
        assert len(tally.operations) == len(operations) >= 70
        assert tally.cases >= len(operations) * 3 * EXAMPLES_PER_OPERATION // 2
        assert elapsed < TIME_BUDGET_SECONDS
