"""The text types of every schema: control characters and card numbers in free text."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from tessera.kit.text import FreeText, FreeTextBlock, PlainText, TextBlock


class _Form(BaseModel):
    plain: PlainText = ""
    block: TextBlock = ""
    free: FreeText = ""
    free_block: FreeTextBlock = ""


def _rule(**fields: Any) -> str | None:
    try:
        _Form(**fields)
    except ValidationError as exc:
        return str(exc.errors()[0]["type"])
    return None


class TestControlCharacters:
    @pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\x7f", "\ud800", "\t", "\n", "\r"])
    def test_one_line_fields_refuse_every_control_character(self, char: str) -> None:
        assert _rule(plain=f"a{char}b") == "control_character"
        assert _rule(free=f"a{char}b") == "control_character"

    @pytest.mark.parametrize("char", ["\t", "\n", "\r"])
    def test_multi_line_fields_keep_tabs_and_line_breaks(self, char: str) -> None:
        assert _rule(block=f"a{char}b", free_block=f"a{char}b") is None

    @pytest.mark.parametrize("char", ["\x00", "\x0b", "\x0c", "\x7f", "\udfff"])
    def test_multi_line_fields_refuse_the_others(self, char: str) -> None:
        assert _rule(block=f"a{char}b") == "control_character"
        assert _rule(free_block=f"a{char}b") == "control_character"

    def test_unicode_text_is_kept(self) -> None:
        assert _rule(free="Zoë Ñúñez 李小龍 \u200d", plain="naïve") is None


class TestCardNumbers:
    @pytest.mark.parametrize(
        "text",
        [
            "4111111111111111",
            "4111 1111 1111 1111",
            "4111-1111-1111-1111",
            "card: 5555 5555 5555 4444, thanks",
            "378282246310005",
        ],
    )
    def test_free_text_refuses_a_card_number(self, text: str) -> None:
        assert _rule(free=text) == "card_number_in_text"
        assert _rule(free_block=f"line one\n{text}") == "card_number_in_text"
        assert _rule(plain=text, block=text) is None  # ids and PEM are not free text

    @pytest.mark.parametrize(
        "text",
        [
            "4111 1111 1111 1112",  # fails Luhn
            "123456789012",  # twelve digits
            "+971 58 594 9014",
            "2026-12-04T10:30:00Z",
            "acc_01M8Z9S3X2337V2XXF6ME5XP3K",
        ],
    )
    def test_other_digits_are_kept(self, text: str) -> None:
        assert _rule(free=text) is None
