"""Fixtures of the delivery tests (the helpers are in tests/support/deliveries.py)."""

from __future__ import annotations

import pytest

from tessera.models import Role
from tests.support.api import Api, Caller


@pytest.fixture
def staff(api: Api) -> Caller:
    """A firm admin of the default firm."""
    return api.staff(Role.FIRM_ADMIN)
