"""Tests for reading phone numbers into E.164."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tessera.kit.phone import InvalidPhone, normalize_phone

_AE_MOBILE_PREFIXES = ("50", "52", "53", "54", "55", "56", "58")


def _library_reading(text: str, region: str | None) -> str | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    e164: str = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164


class TestNormalizePhone:
    @pytest.mark.parametrize(
        "raw",
        [
            "585949014",
            "0585949014",
            "971585949014",
            "+971 58 594 9014",
            "00971585949014",
            "+971585949014",
            " 058-594-9014 ",
            "(058) 594 9014",
            "(+971) 58 594 9014",
            "+971 (0)58 594 9014",
            '"0585949014"',
            "'0585949014",
        ],
    )
    def test_common_ways_of_writing_one_number_give_one_e164(self, raw: str) -> None:
        assert normalize_phone(raw) == "+971585949014"

    @pytest.mark.parametrize("raw", ['"0534534534"', "534534534", "971534534534"])
    def test_the_partner_sample_forms_are_read(self, raw: str) -> None:
        assert normalize_phone(raw) == "+971534534534"

    def test_landline_numbers_are_read(self) -> None:
        assert normalize_phone("04 234 5678") == "+97142345678"

    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("447911123456", "+447911123456"),
            ("0044 7911 123456", "+447911123456"),
            ("+44 (0)7911 123456", "+447911123456"),
            ("+1 650 253 0000", "+16502530000"),
        ],
    )
    def test_foreign_numbers_with_a_country_code_are_read(self, raw: str, expected: str) -> None:
        assert normalize_phone(raw) == expected

    def test_a_number_is_read_in_the_given_region(self) -> None:
        assert normalize_phone("07911 123456", region="GB") == "+447911123456"
        assert normalize_phone("07911 123456", region="gb") == "+447911123456"

    @pytest.mark.parametrize("raw", ["9.71535E+11", "9,71535E+11", "9.71535e11", "5.85949E+8"])
    def test_spreadsheet_scientific_notation_is_rejected_not_guessed(self, raw: str) -> None:
        with pytest.raises(InvalidPhone, match="scientific notation") as caught:
            normalize_phone(raw)
        assert "71535" not in str(caught.value)

    @pytest.mark.parametrize(
        ("raw", "reason"),
        [
            ("", "empty"),
            ('  ""  ', "empty"),
            ("abc", "only hold digits"),
            ("0585949014 ext 12", "only hold digits"),
            ("971585949014.0", "only hold digits"),
            ("+", "only hold digits"),
            ("()", "no digits"),
            ("1" * 18, "more digits"),
            ("058594901", "not a valid number"),
            ("0595949014", "not a valid number"),
        ],
    )
    def test_values_that_are_not_valid_numbers_are_rejected(self, raw: str, reason: str) -> None:
        with pytest.raises(InvalidPhone, match=reason):
            normalize_phone(raw)

    @pytest.mark.parametrize("raw", ["50068124", "50038836", "5072914177", "5307631706"])
    def test_a_mobile_with_a_digit_lost_or_added_is_not_read_as_a_foreign_number(
        self, raw: str
    ) -> None:
        # Read with a "+", each of these would be a valid number in another country.
        with pytest.raises(InvalidPhone):
            normalize_phone(raw)

    def test_an_unknown_region_is_a_programming_error_not_a_bad_phone(self) -> None:
        with pytest.raises(ValueError, match="Unknown phone region") as caught:
            normalize_phone("0585949014", region="XX")
        assert not isinstance(caught.value, InvalidPhone)

    @given(
        prefix=st.sampled_from(["", "0", "971", "00971", "+971 ", "+44 ", "+1 ", "+91 ", "44"]),
        body=st.text(alphabet="0123456789", min_size=6, max_size=11),
    )
    def test_normalising_an_e164_result_again_gives_the_same_value(
        self, prefix: str, body: str
    ) -> None:
        try:
            first = normalize_phone(prefix + body)
        except InvalidPhone:
            return
        assert first.startswith("+")
        assert normalize_phone(first) == first

    @given(
        prefix=st.sampled_from(["", "0", "971", "00971", "+971"]),
        mobile=st.sampled_from(_AE_MOBILE_PREFIXES) | st.text("0123456789", min_size=1, max_size=3),
        rest=st.text(alphabet="0123456789", min_size=5, max_size=9),
    )
    def test_agrees_with_phonenumbers_on_every_reading_of_the_region(
        self, prefix: str, mobile: str, rest: str
    ) -> None:
        # The fast path for the region's mobiles must never read a number differently from the
        # library it shortcuts.
        raw = prefix + mobile + rest
        if prefix.startswith("+"):
            expected = _library_reading(raw, None)
        else:
            expected = _library_reading(raw, "AE")
            if expected is None and raw.startswith("00"):
                expected = _library_reading("+" + raw[2:], None)
            elif expected is None and not raw.startswith("0") and len(raw) >= 11:
                expected = _library_reading("+" + raw, None)
        try:
            actual: str | None = normalize_phone(raw)
        except InvalidPhone:
            actual = None
        assert actual == expected
