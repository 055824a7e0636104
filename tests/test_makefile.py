"""The Makefile: `make help` lists the targets with what they really do."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).parents[1]


def make_help(**env: str) -> str:
    result = subprocess.run(
        ["make", "--no-print-directory", "help"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


class TestHelp:
    def test_prints_the_real_url(self) -> None:
        assert "http://127.0.0.1:8000" in make_help(HOST="127.0.0.1", PORT="8000")
        shown = make_help(HOST="0.0.0.0", PORT="9123")  # noqa: S104 - only printed
        assert "start the service on http://0.0.0.0:9123" in shown
        assert "$(HOST)" not in shown
        assert "$(PORT)" not in shown

    def test_lists_the_demo_and_the_tour(self) -> None:
        targets = [line.split()[0] for line in make_help().splitlines() if line.strip()]
        cleaned = [t.replace("\x1b[36m", "") for t in targets]
        assert {"run", "test", "demo", "tour"} <= set(cleaned)
