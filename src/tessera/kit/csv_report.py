"""CSV reports for download: one header row, then rows, safe to open in a spreadsheet.

Every CSV the service writes goes through ``render_csv`` (statements, registration exports), so
the defence against CSV injection (OWASP, "CSV Injection") is in one place:

- a text cell that, once its leading whitespace is set aside, starts with a character a
  spreadsheet reads as the start of a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return,
  or their full-width and small forms such as U+FF1D) gets a leading apostrophe, which makes it
  text. Leading whitespace counts every Unicode space (``str.isspace``: no-break space, ideographic
  space...) and the invisible format characters (zero-width space, BOM...), since spreadsheets
  skip some of them before looking for a formula;
- every cell is quoted, so a cell's own commas, quotes and line breaks cannot end it early.

Integers (amounts in minor units) are written as numbers: ``-1250`` is a number to a
spreadsheet, not a formula, and a column of amounts must stay summable.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence

# What a spreadsheet reads as the start of a formula (OWASP), plus line breaks. Any character
# whose compatibility form (NFKC) is one of them counts too: full-width (U+FF0B, U+FF0D,
# U+FF1D, U+FF20), small (U+FE62, U+FE63, U+FE66, U+FE6B), superscript and subscript
# signs; and so does the minus sign U+2212.
FORMULA_START = frozenset("=+-@\t\r\n\u2212")


def _formula_char(char: str) -> bool:
    if char in FORMULA_START:
        return True
    return not char.isascii() and unicodedata.normalize("NFKC", char)[:1] in FORMULA_START


def _skipped(char: str) -> bool:
    # Whitespace and invisible format characters (Cf: zero-width space, joiners, BOM).
    return char.isspace() or unicodedata.category(char) == "Cf"


def formula_like(text: str) -> bool:
    """Whether a spreadsheet might read ``text`` as a formula: its first character that is not
    whitespace or invisible is a formula character, or the whitespace holds a tab or line break."""
    for char in text:
        if _formula_char(char):
            return True
        if not _skipped(char):
            return False
    return False


def safe_cell(value: object) -> str:
    """The text of a cell, with formula-looking text defused by a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if formula_like(text):
        return "'" + text
    return text


def render_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """The whole report as text with CRLF line endings (RFC 4180), every cell quoted."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow([safe_cell(v) for v in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return buffer.getvalue()


def wants_csv(accept: str | None) -> bool:
    """Whether an Accept header asks for CSV rather than JSON."""
    if not accept:
        return False
    return any(part.split(";")[0].strip().lower() == "text/csv" for part in accept.split(","))
