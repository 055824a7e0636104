"""CSV reports that are safe to open in a spreadsheet."""

from __future__ import annotations

from tessera.kit.csv_report import render_csv, safe_cell, wants_csv


class TestCsvReport:
    def test_formulas_are_defused(self) -> None:
        assert safe_cell("=1+1") == "'=1+1"
        assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
        assert safe_cell("-5") == "'-5"
        assert safe_cell(-5) == "-5"
        assert safe_cell(None) == ""
        assert safe_cell(True) == "true"

    def test_rendering_quotes_and_uses_crlf(self) -> None:
        text = render_csv(["a", "b"], [["x,y", 'say "hi"']])
        assert text == 'a,b\r\n"x,y","say ""hi"""\r\n'

    def test_accept_negotiation(self) -> None:
        assert wants_csv("text/csv")
        assert wants_csv("application/json;q=0.5, text/csv;q=0.9")
        assert not wants_csv("application/json")
        assert not wants_csv(None)
