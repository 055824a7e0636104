"""Fixtures of the certificates tests (the helpers are in tests/support/certificates.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A directory for openssl's files."""
    path = tmp_path / "openssl"
    path.mkdir()
    return path
