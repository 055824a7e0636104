"""CSV reports that are safe to open in a spreadsheet (OWASP's CSV injection guidance)."""

from __future__ import annotations

import csv
import io
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tessera.kit.csv_report import render_csv, safe_cell, wants_csv

# Written here from the guidance, not imported: what a spreadsheet takes for a formula's start.
FORMULA = set("=+-@\t\r")


def starts_a_formula(char: str) -> bool:
    return char in FORMULA or unicodedata.normalize("NFKC", char)[:1] in FORMULA


def without_leading_blanks(text: str) -> str:
    """``text`` without its leading whitespace and invisible (format) characters."""
    index = 0
    while index < len(text) and (
        text[index].isspace() or unicodedata.category(text[index]) in {"Cf", "Zs"}
    ):
        index += 1
    return text[index:]


def parsed(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


# Text that leans towards the dangerous cases: blanks, then formula characters, then anything.
BLANKS = st.sampled_from([" ", "\t", "\r", "\n", "\xa0", "\u3000", "\u2003", "\u200b", "\ufeff"])
SIGNS = st.sampled_from(
    list("=+-@\uff1d\uff0b\uff0d\uff20\ufe66\ufe62\ufe63\ufe6b\u207a\u208c\u2212")
)
risky_text = st.builds(
    lambda blanks, sign, rest: "".join(blanks) + sign + rest,
    st.lists(BLANKS, max_size=4),
    SIGNS,
    st.text(max_size=20),
)
cells = st.one_of(st.none(), st.integers(), st.booleans(), st.text(), risky_text)


class TestSafeCell:
    def test_formulas_are_defused(self) -> None:
        assert safe_cell("=1+1") == "'=1+1"
        assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
        assert safe_cell("-5") == "'-5"
        assert safe_cell(-5) == "-5"
        assert safe_cell(None) == ""
        assert safe_cell(True) == "true"

    @pytest.mark.parametrize(
        "text",
        [
            " =1+1",
            "\n=1+1",
            "\t=1+1",
            "\r=1+1",
            "\xa0=1+1",  # no-break space
            "\u3000+1",  # ideographic space
            "\u200b@SUM(A1)",  # zero-width space
            "\uff1d1+1",  # full-width forms
            "\uff0b1",
            "\uff0d1",
            "\uff20SUM(A1)",
            "\t",
            "\rplain",
        ],
    )
    def test_formulas_behind_whitespace_or_in_full_width_are_defused(self, text: str) -> None:
        assert safe_cell(text) == "'" + text

    @pytest.mark.parametrize("text", ["Ada Lovelace", "a=b", "1-2", " plain", "\uff78\uff9e"])
    def test_ordinary_text_is_left_alone(self, text: str) -> None:
        assert safe_cell(text) == text


class TestRenderCsv:
    def test_every_cell_is_quoted_and_lines_end_in_crlf(self) -> None:
        text = render_csv(["a", "b"], [["x,y", 'say "hi"'], [None, 7]])
        assert text == '"a","b"\r\n"x,y","say ""hi"""\r\n"","7"\r\n'

    def test_the_header_is_defused_too(self) -> None:
        assert render_csv(["=cmd"], []) == '"\'=cmd"\r\n'

    @given(st.lists(st.lists(cells, min_size=1, max_size=5), max_size=5))
    def test_no_cell_starts_a_formula(self, rows: list[list[object]]) -> None:
        text = render_csv(["h"] * 5, rows)
        for written, row in zip(parsed(text)[1:], rows, strict=True):
            for cell, value in zip(written, row, strict=True):
                if isinstance(value, int) and not isinstance(value, bool):
                    assert cell == str(value)  # a number, summable in the spreadsheet
                    continue
                visible = without_leading_blanks(cell)
                assert not visible or not starts_a_formula(visible[0]), (value, cell)
                # Nothing is lost: the cell is the value, or the value behind an apostrophe.
                if value is None:
                    expected = ""
                elif isinstance(value, bool):
                    expected = "true" if value else "false"
                else:
                    expected = str(value)
                assert cell in {expected, "'" + expected}

    @given(st.text())
    def test_a_cell_reads_back_as_written(self, value: str) -> None:
        (_, (cell,)) = parsed(render_csv(["h"], [[value]]))
        assert cell in {value, "'" + value}


class TestWantsCsv:
    def test_accept_negotiation(self) -> None:
        assert wants_csv("text/csv")
        assert wants_csv("application/json;q=0.5, text/csv;q=0.9")
        assert not wants_csv("application/json")
        assert not wants_csv(None)
