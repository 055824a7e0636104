"""The log redactor's cost per line: it runs on every string of every log line.

Usage: .venv/bin/python -m bench.redaction [--seconds 1.0]

Times ``redact_processor`` on an access line (the line every request writes) and
``redact_text`` on strings of the kinds log lines carry, best of five runs, and prints
nanoseconds per call.
"""

from __future__ import annotations

import argparse
import timeit
from collections.abc import Callable

from rich.console import Console
from rich.table import Table

from tessera.observability import redact_processor, redact_text

ACCESS_LINE = {
    "status_code": 200,
    "duration_ms": 1.27,
    "route": "/v1/accounts/{account_id}/transactions",
    "event": "request",
    "level": "info",
    "timestamp": "2026-12-04T01:29:49.123456Z",
    "request_id": "9f1c2b7e4d3a4f0e8b6c5d4e3f2a1b0c",
    "user_id": "usr_01JDX7M3Q4R5S6T7V8W9X0Y1Z2",
    "method": "GET",
}

TEXTS = {
    "no digits": "the webhook endpoint answered and the outbox moved on",
    "ids and a timestamp": "transfer txn_01JDX7M3Q4 from acc_01M843 at 2026-11-23T08:46:33Z",
    "a long order number": "order 1234567890123 total 125000 minor units, 3 lines",
    "a card number": "declined 4111 1111 1111 1111 exp 12/27 for holder hld_01M8",
    "an exception": (
        "IntegrityError: (sqlite3.IntegrityError) UNIQUE constraint failed: vault_cards.firm_id,"
        " vault_cards.fingerprint [SQL: INSERT INTO vault_cards VALUES (?, ?, ?)]"
        " [parameters: ('vcd_01JDX7M3Q4', 'frm_default', 'a3f9...')]"
    ),
}


def per_call_ns(call: Callable[[], object], seconds: float) -> float:
    """Nanoseconds per call, best of five runs of about ``seconds`` / 5 each."""
    timer = timeit.Timer(call)
    number, _ = timer.autorange()
    runs = max(1, int(number * seconds / 5 / 0.2))
    return min(timer.repeat(repeat=5, number=runs)) / runs * 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0)
    args = parser.parse_args()
    table = Table(title="Log redaction, ns per call (lower is better)")
    table.add_column("input")
    table.add_column("ns", justify="right")
    table.add_row(
        "access line (redact_processor)",
        f"{per_call_ns(lambda: redact_processor(None, 'info', ACCESS_LINE), args.seconds):,.0f}",
    )
    for name, text in TEXTS.items():
        ns = per_call_ns(lambda text=text: redact_text(text), args.seconds)  # type: ignore[misc]
        table.add_row(name, f"{ns:,.0f}")
    Console().print(table)


if __name__ == "__main__":
    main()
