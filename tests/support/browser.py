"""What a browser tab printed: its console lines and its uncaught errors."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class BrowserLog:
    """What the page printed to its console and any uncaught error."""

    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
