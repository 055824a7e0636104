"""CSV reports for download: one header row, then rows, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

# A cell starting with one of these is a formula to Excel and LibreOffice (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """The text of a cell, with formula-looking text defused by a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def render_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """The whole report as text with CRLF line endings (RFC 4180)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return buffer.getvalue()


def wants_csv(accept: str | None) -> bool:
    """Whether an Accept header asks for CSV rather than JSON."""
    if not accept:
        return False
    return any(part.split(";")[0].strip().lower() == "text/csv" for part in accept.split(","))
