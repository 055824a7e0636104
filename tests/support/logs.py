"""The JSON log lines of the session, and a view of those written during one test."""

from __future__ import annotations

import io
import json
from typing import Any


class LogSink(io.TextIOBase):
    """Collects every JSON log line written during the session."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def write(self, text: str) -> int:
        self.lines.extend(line for line in text.splitlines() if line.strip())
        return len(text)


LOG_SINK = LogSink()


class LogView:
    """The JSON log lines written since the view was made."""

    def __init__(self) -> None:
        self._start = len(LOG_SINK.lines)

    @property
    def lines(self) -> list[str]:
        return LOG_SINK.lines[self._start :]

    def records(self) -> list[dict[str, Any]]:
        """Every line as a dict (every line must be JSON)."""
        return [json.loads(line) for line in self.lines]
