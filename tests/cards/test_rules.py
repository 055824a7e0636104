"""The pure card rules: numbers, brands, expiry dates, security codes, names, leak detection."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tessera.cards.rules import (
    MAX_EXPIRY_YEARS_AHEAD,
    is_month_end,
    month_end,
    parse_expiry,
    validate_cvv,
    validate_holder_name,
)
from tessera.errors import RuleViolation, ValidationFailed
from tessera.kit.card_numbers import (
    Brand,
    ValidatedCard,
    detect_brand,
    find_card_number_matches,
    find_card_numbers,
    generate_card_number,
    looks_like_card_number,
    luhn_check_digit,
    luhn_valid,
    mask_card_number,
    normalize_card_number,
    validate_card_number,
)

# Published test numbers, one or more per brand (each checked against reference_luhn below).
KNOWN_CARDS: list[tuple[str, Brand]] = [
    ("4111111111111111", Brand.VISA),
    ("4012888888881881", Brand.VISA),
    ("4222222222222", Brand.VISA),
    ("5555555555554444", Brand.MASTERCARD),
    ("5105105105105100", Brand.MASTERCARD),
    ("2221000000000009", Brand.MASTERCARD),
    ("2223003122003222", Brand.MASTERCARD),
    ("378282246310005", Brand.AMEX),
    ("371449635398431", Brand.AMEX),
    ("6011111111111117", Brand.DISCOVER),
    ("6011000990139424", Brand.DISCOVER),
    ("6445644564456445", Brand.DISCOVER),
    ("3530111333300000", Brand.JCB),
    ("3566002020360505", Brand.JCB),
    ("36227206271667", Brand.DINERS),
    ("30569309025904", Brand.DINERS),
    ("38520000023237", Brand.DINERS),
    ("6200000000000005", Brand.UNIONPAY),
    ("6759649826438453", Brand.MAESTRO),
    ("6304000000000000", Brand.MAESTRO),
    ("5018000000000009", Brand.MAESTRO),
]

# One IIN prefix per brand, for building numbers of any length.
BRAND_PREFIXES: dict[Brand, str] = {
    Brand.VISA: "4",
    Brand.MASTERCARD: "2720",
    Brand.AMEX: "34",
    Brand.DISCOVER: "65",
    Brand.JCB: "3589",
    Brand.DINERS: "300",
    Brand.UNIONPAY: "621",
    Brand.MAESTRO: "6763",
}

TODAY = date(2025, 6, 15)

digit_strings = st.text(alphabet="0123456789", min_size=1, max_size=30)


def reference_luhn(number: str) -> bool:
    """Textbook Luhn, written independently of the code under test."""
    checksum = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        checksum += digit
    return checksum % 10 == 0


def complete(prefix: str, length: int, filler: str = "0") -> str:
    """``prefix`` padded with ``filler`` to ``length - 1`` digits, plus its Luhn check digit."""
    body = (prefix + filler * length)[: length - 1]
    for check in "0123456789":
        if reference_luhn(body + check):
            return body + check
    raise AssertionError("unreachable: one check digit always fits")


def break_luhn(number: str) -> str:
    """The same number with its last digit changed, so that it fails Luhn."""
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def assert_no_digits(message: str) -> None:
    assert re.search(r"[0-9]", message) is None, "error messages must not carry digits"


def rule_violation_from(call: Callable[[], object]) -> RuleViolation | None:
    """The RuleViolation a call raises, or None when it succeeds."""
    try:
        call()
    except RuleViolation as error:
        return error
    return None


def expected_brand(number: str) -> Brand | None:
    """The brand by the rules as written in the API brief, Discover's co-brand before UnionPay."""
    two, three, four, six = (int(number[:k]) for k in (2, 3, 4, 6))
    rules = [
        (number.startswith("4"), Brand.VISA),
        (51 <= two <= 55 or 2221 <= four <= 2720, Brand.MASTERCARD),
        (two in (34, 37), Brand.AMEX),
        (
            four == 6011 or 644 <= three <= 649 or two == 65 or 622126 <= six <= 622925,
            Brand.DISCOVER,
        ),
        (3528 <= four <= 3589, Brand.JCB),
        (300 <= three <= 305 or two in (36, 38, 39), Brand.DINERS),
        (two == 62, Brand.UNIONPAY),
        (two in (50, 56, 57, 58, 67) or four in (6304, 6759, 6761, 6762, 6763), Brand.MAESTRO),
    ]
    return next((brand for matched, brand in rules if matched), None)


@st.composite
def branded_numbers(draw: st.DrawFn) -> str:
    """A Luhn-valid number with a known brand and a length that brand issues."""
    brand = draw(st.sampled_from(list(Brand)))
    length = draw(st.sampled_from(brand.lengths))
    prefix = BRAND_PREFIXES[brand]
    middle = draw(st.text("0123456789", min_size=length - len(prefix) - 1, max_size=20))
    number = complete(prefix + middle, length)
    assume(len(set(number)) > 1)
    return number


def findable_numbers() -> st.SearchStrategy[str]:
    """Branded numbers of the thirteen to nineteen digits the finder looks for."""
    return branded_numbers().filter(lambda number: len(number) >= 13)


def grouped(number: str, separator: str) -> str:
    return separator.join(number[i : i + 4] for i in range(0, len(number), 4))


class TestKnownNumbers:
    @pytest.mark.parametrize(("number", "brand"), KNOWN_CARDS)
    def test_the_fixture_numbers_are_real_test_numbers(self, number: str, brand: Brand) -> None:
        assert reference_luhn(number)
        assert expected_brand(number) is brand
        assert len(number) in brand.lengths


class TestBrand:
    def test_values_are_the_api_strings(self) -> None:
        assert [b.value for b in Brand] == [
            "visa",
            "mastercard",
            "amex",
            "discover",
            "jcb",
            "diners",
            "unionpay",
            "maestro",
        ]
        assert Brand("amex") is Brand.AMEX

    def test_cvv_is_four_digits_for_amex_and_three_for_everyone_else(self) -> None:
        assert {b: b.cvv_length for b in Brand} == {b: (4 if b is Brand.AMEX else 3) for b in Brand}

    def test_display_names(self) -> None:
        assert Brand.AMEX.display_name == "American Express"
        assert Brand.VISA.display_name == "Visa"
        assert Brand.DINERS.display_name == "Diners Club"
        assert len({b.display_name for b in Brand}) == len(Brand)

    @pytest.mark.parametrize(
        ("brand", "lengths"),
        [
            (Brand.VISA, (13, 16, 19)),
            (Brand.MASTERCARD, (16,)),
            (Brand.AMEX, (15,)),
            (Brand.DISCOVER, (16, 17, 18, 19)),
            (Brand.JCB, (16, 17, 18, 19)),
            (Brand.DINERS, (14, 15, 16, 17, 18, 19)),
            (Brand.UNIONPAY, (16, 17, 18, 19)),
            (Brand.MAESTRO, tuple(range(12, 20))),
        ],
    )
    def test_lengths(self, brand: Brand, lengths: tuple[int, ...]) -> None:
        assert brand.lengths == lengths


class TestNormalizeCardNumber:
    @pytest.mark.parametrize(
        "raw",
        [
            "4111111111111111",
            "4111 1111 1111 1111",
            "4111-1111-1111-1111",
            " 4111 1111-1111  1111 \n",
            "4-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1",
        ],
    )
    def test_strips_spaces_and_dashes(self, raw: str) -> None:
        assert normalize_card_number(raw) == "4111111111111111"

    @pytest.mark.parametrize("length", [12, 19])
    def test_accepts_the_length_bounds(self, length: int) -> None:
        assert normalize_card_number("9" * length) == "9" * length

    @pytest.mark.parametrize(
        "raw",
        [
            "",
            "   ",
            "41111111111",  # 11 digits
            "41111111111111111111",  # 20 digits
            "4111.1111.1111.1111",
            "4111\t1111\t1111\t1111",
            "4111111111111111a",
            "+4111111111111111",
            "\uff14111111111111111",  # fullwidth four
            "\u0664111111111111111",  # Arabic-Indic four
        ],
    )
    def test_refuses_other_characters_and_lengths(self, raw: str) -> None:
        with pytest.raises(RuleViolation) as caught:
            normalize_card_number(raw)
        assert caught.value.code == "invalid_card_number"
        assert caught.value.status == 422
        assert_no_digits(caught.value.message)

    @given(
        digits=st.text("0123456789", min_size=12, max_size=19),
        separators=st.lists(st.sampled_from(["", " ", "-", "  ", "- "]), min_size=19),
    )
    def test_separators_are_ignored(self, digits: str, separators: list[str]) -> None:
        typed = "".join(d + s for d, s in zip(digits, separators, strict=False))
        assert normalize_card_number(typed) == digits


class TestLuhn:
    @pytest.mark.parametrize(("number", "brand"), KNOWN_CARDS)
    def test_known_numbers_pass(self, number: str, brand: Brand) -> None:
        assert luhn_valid(number)

    @pytest.mark.parametrize(("number", "brand"), KNOWN_CARDS)
    def test_a_changed_check_digit_fails(self, number: str, brand: Brand) -> None:
        assert not luhn_valid(break_luhn(number))

    @pytest.mark.parametrize("text", ["", "4111 1111 1111 1111", "4111-1111", "abc", "\uff10"])
    def test_non_digit_strings_fail(self, text: str) -> None:
        assert not luhn_valid(text)

    @pytest.mark.parametrize(
        ("partial", "check"),
        [("411111111111111", "1"), ("37828224631000", "5"), ("555555555555444", "4"), ("", "0")],
    )
    def test_check_digit(self, partial: str, check: str) -> None:
        assert luhn_check_digit(partial) == check

    @pytest.mark.parametrize("partial", ["4111 1111", "12a", "\uff11"])
    def test_check_digit_refuses_non_digits(self, partial: str) -> None:
        with pytest.raises(ValueError, match="digits"):
            luhn_check_digit(partial)

    @given(number=digit_strings)
    def test_agrees_with_the_textbook_algorithm(self, number: str) -> None:
        assert luhn_valid(number) is reference_luhn(number)

    @given(partial=digit_strings)
    def test_the_check_digit_completes_any_partial(self, partial: str) -> None:
        check = luhn_check_digit(partial)
        assert len(check) == 1
        assert reference_luhn(partial + check)
        assert luhn_valid(partial + check)

    @given(partial=digit_strings, data=st.data())
    def test_changing_any_single_digit_breaks_it(self, partial: str, data: st.DataObject) -> None:
        number = partial + luhn_check_digit(partial)
        index = data.draw(st.integers(0, len(number) - 1))
        replacement = data.draw(st.sampled_from([d for d in "0123456789" if d != number[index]]))
        assert not luhn_valid(number[:index] + replacement + number[index + 1 :])


class TestDetectBrand:
    @pytest.mark.parametrize(("number", "brand"), KNOWN_CARDS)
    def test_known_numbers(self, number: str, brand: Brand) -> None:
        assert detect_brand(number) is brand

    @pytest.mark.parametrize(
        ("prefix", "brand"),
        [
            ("4", Brand.VISA),
            ("3999", Brand.DINERS),
            ("2220", None),
            ("2221", Brand.MASTERCARD),
            ("2720", Brand.MASTERCARD),
            ("2721", None),
            ("50", Brand.MAESTRO),
            ("51", Brand.MASTERCARD),
            ("55", Brand.MASTERCARD),
            ("56", Brand.MAESTRO),
            ("58", Brand.MAESTRO),
            ("59", None),
            ("33", None),
            ("34", Brand.AMEX),
            ("35", None),
            ("37", Brand.AMEX),
            ("299", None),
            ("300", Brand.DINERS),
            ("305", Brand.DINERS),
            ("306", None),
            ("36", Brand.DINERS),
            ("38", Brand.DINERS),
            ("3527", None),
            ("3528", Brand.JCB),
            ("3589", Brand.JCB),
            ("3590", None),
            ("6010", None),
            ("6011", Brand.DISCOVER),
            ("6012", None),
            ("643", None),
            ("644", Brand.DISCOVER),
            ("649", Brand.DISCOVER),
            ("65", Brand.DISCOVER),
            ("66", None),
            ("62", Brand.UNIONPAY),
            ("622125", Brand.UNIONPAY),
            ("622126", Brand.DISCOVER),
            ("622925", Brand.DISCOVER),
            ("622926", Brand.UNIONPAY),
            ("6303", None),
            ("6304", Brand.MAESTRO),
            ("6305", None),
            ("6759", Brand.MAESTRO),
            ("6760", Brand.MAESTRO),
            ("6761", Brand.MAESTRO),
            ("6764", Brand.MAESTRO),
            ("68", None),
            ("1", None),
            ("9", None),
        ],
    )
    def test_range_boundaries(self, prefix: str, brand: Brand | None) -> None:
        assert detect_brand(complete(prefix, 16)) is brand

    def test_matches_the_written_rules_on_every_four_and_six_digit_prefix(self) -> None:
        prefixes = [f"{p:04d}{tail}" for p in range(10_000) for tail in ("00", "99")]
        prefixes += [f"{p:06d}" for p in range(620_000, 630_000)]
        mismatches = [
            p for p in prefixes if detect_brand(p + "0000000000") is not expected_brand(p)
        ]
        assert mismatches == []

    @pytest.mark.parametrize("text", ["", "4111 1111 1111 1111", "x4111111111111111"])
    def test_non_digit_strings_have_no_brand(self, text: str) -> None:
        assert detect_brand(text) is None

    def test_looks_only_at_the_prefix(self) -> None:
        assert detect_brand("34") is Brand.AMEX
        assert detect_brand("6") is None


class TestValidateCardNumber:
    @pytest.mark.parametrize(("number", "brand"), KNOWN_CARDS)
    def test_known_numbers(self, number: str, brand: Brand) -> None:
        card = validate_card_number(number)
        assert card == ValidatedCard(number=number, brand=brand, bin=number[:6], last4=number[-4:])

    def test_accepts_a_typed_number(self) -> None:
        card = validate_card_number(" 3782-822463-10005 ")
        assert (card.number, card.brand, card.bin, card.last4) == (
            "378282246310005",
            Brand.AMEX,
            "378282",
            "0005",
        )

    @pytest.mark.parametrize(
        ("prefix", "length", "brand"),
        [
            ("4", 13, Brand.VISA),
            ("4", 19, Brand.VISA),
            ("65", 19, Brand.DISCOVER),
            ("3589", 19, Brand.JCB),
            ("36", 14, Brand.DINERS),
            ("39", 19, Brand.DINERS),
            ("621", 19, Brand.UNIONPAY),
            ("6759", 12, Brand.MAESTRO),
            ("50", 19, Brand.MAESTRO),
        ],
    )
    def test_every_issued_length(self, prefix: str, length: int, brand: Brand) -> None:
        assert validate_card_number(complete(prefix, length)).brand is brand

    @pytest.mark.parametrize(
        ("prefix", "length"),
        [
            ("4", 12),
            ("4", 14),
            ("4", 15),
            ("4", 17),
            ("4", 18),
            ("51", 15),
            ("2221", 17),
            ("34", 14),
            ("37", 16),
            ("6011", 15),
            ("3528", 15),
            ("36", 13),
            ("62", 15),
            ("6759", 11),
        ],
    )
    def test_refuses_a_length_the_brand_does_not_issue(self, prefix: str, length: int) -> None:
        with pytest.raises(RuleViolation) as caught:
            validate_card_number(complete(prefix, length))
        assert caught.value.code == "invalid_card_number"

    def test_names_the_brand_when_the_length_is_wrong(self) -> None:
        with pytest.raises(RuleViolation, match="American Express"):
            validate_card_number(complete("37", 16))

    @pytest.mark.parametrize(
        "number", ["1234567812345670", complete("9", 16), complete("2220", 16)]
    )
    def test_refuses_an_unknown_brand(self, number: str) -> None:
        assert reference_luhn(number)
        with pytest.raises(RuleViolation, match="brand") as caught:
            validate_card_number(number)
        assert caught.value.code == "invalid_card_number"

    @pytest.mark.parametrize(("number", "brand"), KNOWN_CARDS)
    def test_refuses_a_luhn_failure(self, number: str, brand: Brand) -> None:
        with pytest.raises(RuleViolation, match="typing") as caught:
            validate_card_number(break_luhn(number))
        assert caught.value.code == "invalid_card_number"

    def test_repr_hides_the_number(self) -> None:
        card = validate_card_number("4012888888881881")
        assert "4012888888881881" not in repr(card)
        assert "888888" not in repr(card)
        assert card.masked == "401288******1881"

    @given(
        raw=st.text(alphabet="0123456789 -x", max_size=24)
        | branded_numbers().map(break_luhn)
        | branded_numbers().map(lambda n: n + "0")
    )
    def test_error_messages_never_contain_digits(self, raw: str) -> None:
        error = rule_violation_from(lambda: validate_card_number(raw))
        if error is not None:
            assert error.code == "invalid_card_number"
            assert_no_digits(error.message)
            assert_no_digits(str(error))

    @given(number=branded_numbers())
    def test_any_branded_luhn_valid_number_passes(self, number: str) -> None:
        card = validate_card_number(grouped(number, " "))
        assert card.number == number
        assert card.brand is expected_brand(number)


class TestParseExpiry:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("12/27", date(2027, 12, 31)),
            ("12/2027", date(2027, 12, 31)),
            ("2027-12-01", date(2027, 12, 31)),
            ("2027-12-31", date(2027, 12, 31)),
            ("  12/27\n", date(2027, 12, 31)),
            ("12 / 27", date(2027, 12, 31)),
            ("1/27", date(2027, 1, 31)),
            ("01/27", date(2027, 1, 31)),
            ("04/2030", date(2030, 4, 30)),
            ("02/28", date(2028, 2, 29)),
            ("2028-02-29", date(2028, 2, 29)),
            ("2028-02-01", date(2028, 2, 29)),
            ("02/27", date(2027, 2, 28)),
            ("02/2044", date(2044, 2, 29)),
        ],
    )
    def test_formats(self, raw: str, expected: date) -> None:
        assert parse_expiry(raw, today=TODAY) == expected

    @pytest.mark.parametrize("today", [date(2025, 6, 1), TODAY, date(2025, 6, 30)])
    @pytest.mark.parametrize("raw", ["06/25", "06/2025", "2025-06-01"])
    def test_the_current_month_is_still_valid(self, raw: str, today: date) -> None:
        assert parse_expiry(raw, today=today) == date(2025, 6, 30)

    @pytest.mark.parametrize(
        ("raw", "today"),
        [
            ("05/25", TODAY),
            ("2025-05-31", TODAY),
            ("12/24", TODAY),
            ("06/25", date(2025, 7, 1)),
            ("02/24", date(2024, 3, 1)),
        ],
    )
    def test_a_month_that_has_ended_is_expired(self, raw: str, today: date) -> None:
        with pytest.raises(RuleViolation) as caught:
            parse_expiry(raw, today=today)
        assert caught.value.code == "card_expired"
        assert caught.value.status == 422
        assert_no_digits(caught.value.message)

    @pytest.mark.parametrize(
        "raw",
        [
            "",
            "   ",
            "abc",
            "13/27",
            "00/27",
            "12/2",
            "12/027",
            "12/20270",
            "123/27",
            "12-27",
            "12//27",
            "12/27x",
            "12/27/2027",
            "12 /\t27",
            "2027/12",
            "2027-12",
            "2027-13-01",
            "2027-00-10",
            "2027-02-30",
            "2023-02-29",
            "27-12-01",
            "2027-12-01T00:00:00",
            "12/0000",
            "\uff11\uff12/27",
        ],
    )
    def test_malformed_values(self, raw: str) -> None:
        with pytest.raises(ValidationFailed) as caught:
            parse_expiry(raw, today=TODAY)
        assert caught.value.code == "validation_error"
        [entry] = caught.value.details["fields"]
        assert entry["field"] == "expiry_date"
        assert "MM/YY" in entry["message"]

    @pytest.mark.parametrize("raw", ["12/9999", "9999-12-31", "01/2047"])
    def test_a_year_more_than_twenty_ahead_is_refused_before_any_date_overflows(
        self, raw: str
    ) -> None:
        with pytest.raises(ValidationFailed) as caught:
            parse_expiry(raw, today=date(2026, 12, 4))
        assert caught.value.details["fields"] == [
            {
                "field": "expiry_date",
                "message": "The expiry date is too far in the future.",
                "rule": "too_far_ahead",
            }
        ]
        assert parse_expiry("12/2046", today=date(2026, 12, 4)) == date(2046, 12, 31)
        # 2100 is not a leap year (a century not divisible by 400).
        assert parse_expiry("02/2100", today=date(2099, 1, 1)) == date(2100, 2, 28)

    @given(
        year=st.integers(2000, 2999),
        month=st.integers(1, 12),
        day=st.integers(1, 31),
        style=st.sampled_from(["{m:02d}/{y2:02d}", "{m}/{y}", "{y}-{m:02d}-{d:02d}"]),
    )
    def test_always_returns_the_end_of_the_given_month(
        self, year: int, month: int, day: int, style: str
    ) -> None:
        if style.startswith("{m:02d}/{y2"):
            year = 2000 + year % 100
        day = min(day, month_end(year, month).day)
        raw = style.format(m=month, y=year, y2=year % 100, d=day)
        parsed = parse_expiry(raw, today=date(year, 1, 1))
        assert (parsed.year, parsed.month) == (year, month)
        assert is_month_end(parsed)

    @given(
        year=st.integers(2000, 2099),
        month=st.integers(1, 12),
        today=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    )
    def test_expired_exactly_when_the_month_is_before_todays(
        self, year: int, month: int, today: date
    ) -> None:
        raw = f"{month:02d}/{year}"
        if year > today.year + MAX_EXPIRY_YEARS_AHEAD:
            with pytest.raises(ValidationFailed, match="too far"):
                parse_expiry(raw, today=today)
        elif (year, month) < (today.year, today.month):
            with pytest.raises(RuleViolation, match="expired"):
                parse_expiry(raw, today=today)
        else:
            assert parse_expiry(raw, today=today) >= today


class TestValidateCvv:
    @pytest.mark.parametrize("brand", list(Brand))
    def test_accepts_the_brands_length(self, brand: Brand) -> None:
        validate_cvv("0123"[: brand.cvv_length], brand)

    @pytest.mark.parametrize("brand", list(Brand))
    def test_may_be_absent(self, brand: Brand) -> None:
        validate_cvv(None, brand)

    @pytest.mark.parametrize(
        ("cvv", "brand"),
        [
            ("123", Brand.AMEX),
            ("12345", Brand.AMEX),
            ("1234", Brand.VISA),
            ("1234", Brand.MASTERCARD),
            ("12", Brand.DISCOVER),
            ("", Brand.VISA),
            ("12a", Brand.VISA),
            (" 123", Brand.VISA),
            ("123 ", Brand.VISA),
            ("1 23", Brand.JCB),
            ("\uff11\uff12\uff13", Brand.VISA),
            ("12.3", Brand.AMEX),
        ],
    )
    def test_refuses_anything_else(self, cvv: str, brand: Brand) -> None:
        with pytest.raises(RuleViolation) as caught:
            validate_cvv(cvv, brand)
        assert caught.value.code == "invalid_cvv"
        assert_no_digits(caught.value.message)

    def test_the_message_says_what_is_expected(self) -> None:
        with pytest.raises(RuleViolation, match=r"^American Express cards .* exactly four digits"):
            validate_cvv("123", Brand.AMEX)
        with pytest.raises(RuleViolation, match=r"^Visa cards .* exactly three digits"):
            validate_cvv("1234", Brand.VISA)

    @given(cvv=st.text(alphabet="0123456789", min_size=1, max_size=6), brand=st.sampled_from(Brand))
    def test_never_echoes_the_code(self, cvv: str, brand: Brand) -> None:
        error = rule_violation_from(lambda: validate_cvv(cvv, brand))
        assert (error is None) is (len(cvv) == brand.cvv_length)
        if error is not None:
            assert error.code == "invalid_cvv"
            assert_no_digits(error.message)


class TestValidateHolderName:
    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("Ann", "Ann"),
            ("  Ann   Lee  ", "Ann Lee"),
            ("Ann\tMarie\nLee", "Ann Marie Lee"),
            ("A  B", "A B"),
            ("Zo\u00eb", "Zo\u00eb"),
            ("\u0645\u062d\u0645\u062f", "\u0645\u062d\u0645\u062f"),
            ("x" * 100, "x" * 100),
            ("  " + "x" * 100 + "  ", "x" * 100),
        ],
    )
    def test_accepts_and_tidies(self, name: str, expected: str) -> None:
        assert validate_holder_name(name) == expected

    @pytest.mark.parametrize(
        "name",
        ["", "   ", "Al", "  Al  ", "A \n", "x" * 101, "Ann\x00Lee", "Ann\x7f", "Ann\ud800"],
    )
    def test_refuses(self, name: str) -> None:
        with pytest.raises(ValidationFailed) as caught:
            validate_holder_name(name)
        [entry] = caught.value.details["fields"]
        assert entry["field"] == "cardholder_name"
        assert name.strip() == "" or name.strip() not in entry["message"]


class TestMaskCardNumber:
    @pytest.mark.parametrize(
        ("bin_", "last4", "length", "expected"),
        [
            ("411111", "1111", 16, "411111******1111"),
            ("378282", "0005", 15, "378282*****0005"),
            ("675964", "8453", 12, "675964**8453"),
            ("411111", "1111", 19, "411111*********1111"),
            ("41111122", "1111", 16, "41111122****1111"),
            ("41111122", "1111", 15, "411111*****1111"),
        ],
    )
    def test_shows_only_the_bin_and_last_four(
        self, bin_: str, last4: str, length: int, expected: str
    ) -> None:
        assert mask_card_number(bin_, last4, length) == expected

    @pytest.mark.parametrize(
        ("bin_", "last4", "length"),
        [
            ("41111", "1111", 16),
            ("411111111", "1111", 16),
            ("41111a", "1111", 16),
            ("411111", "111", 16),
            ("411111", "11111", 16),
            ("411111", "abcd", 16),
            ("411111", "1111", 11),
            ("411111", "1111", 20),
        ],
    )
    def test_refuses_impossible_parts(self, bin_: str, last4: str, length: int) -> None:
        with pytest.raises(ValueError, match="must be"):
            mask_card_number(bin_, last4, length)

    @given(number=branded_numbers())
    def test_keeps_the_length_and_hides_the_middle(self, number: str) -> None:
        masked = mask_card_number(number[:6], number[-4:], len(number))
        assert len(masked) == len(number)
        assert masked[:6] == number[:6]
        assert masked[-4:] == number[-4:]
        assert set(masked[6:-4]) == {"*"}


class TestIsMonthEnd:
    @pytest.mark.parametrize(
        ("day", "expected"),
        [
            (date(2024, 2, 29), True),
            (date(2024, 2, 28), False),
            (date(2023, 2, 28), True),
            (date(2100, 2, 28), True),
            (date(2000, 2, 29), True),
            (date(2025, 4, 30), True),
            (date(2025, 4, 29), False),
            (date(2025, 12, 31), True),
            (date(2025, 1, 1), False),
        ],
    )
    def test_last_day_of_month(self, day: date, expected: bool) -> None:
        assert is_month_end(day) is expected

    @given(day=st.dates())
    def test_month_end_is_a_month_end_in_the_same_month(self, day: date) -> None:
        end = month_end(day.year, day.month)
        assert is_month_end(end)
        assert (end.year, end.month) == (day.year, day.month)
        assert end >= day
        assert is_month_end(day) is (end == day)


class TestGenerateCardNumber:
    @given(
        bin_prefix=st.text("0123456789", min_size=6, max_size=8),
        length=st.integers(12, 19),
        seed=st.integers(0, 2**32),
    )
    def test_luhn_valid_with_the_prefix_and_length(
        self, bin_prefix: str, length: int, seed: int
    ) -> None:
        number = generate_card_number(bin_prefix, length=length, rng=random.Random(seed))
        assert len(number) == length
        assert number.startswith(bin_prefix)
        assert number.isascii()
        assert number.isdigit()
        assert reference_luhn(number)

    def test_defaults_to_sixteen_digits_from_the_system_random(self) -> None:
        numbers = {generate_card_number("411111") for _ in range(5)}
        assert len(numbers) == 5
        for number in numbers:
            assert validate_card_number(number).brand is Brand.VISA

    def test_a_seeded_rng_is_reproducible(self) -> None:
        first = generate_card_number("222100", length=16, rng=random.Random(7))
        again = generate_card_number("222100", length=16, rng=random.Random(7))
        assert first == again
        assert validate_card_number(first).brand is Brand.MASTERCARD

    @pytest.mark.parametrize(
        ("bin_prefix", "length"),
        [
            ("41111", 16),
            ("411111111", 16),
            ("", 16),
            ("41111a", 16),
            ("411111", 11),
            ("411111", 20),
            ("411111", 0),
        ],
    )
    def test_refuses_impossible_inputs(self, bin_prefix: str, length: int) -> None:
        with pytest.raises(ValueError, match="must be"):
            generate_card_number(bin_prefix, length=length)


class TestFindCardNumbers:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("card 4111 1111 1111 1111 exp", ["4111111111111111"]),
            ("card=4111-1111-1111-1111&x=1", ["4111111111111111"]),
            ('{"pan": "378282246310005"}', ["378282246310005"]),
            ("amex 3782 822463 10005.", ["378282246310005"]),
            ("4111111111111111", ["4111111111111111"]),
            ("card 4111 1111 1111 1111 12/27", ["4111111111111111"]),
            ("qty 2 5555 5555 5555 4444", ["5555555555554444"]),
            (
                "a 4012888888881881, b 6011111111111117; c 36227206271667",
                ["4012888888881881", "6011111111111117", "36227206271667"],
            ),
            ("unknown brand but Luhn-valid 9123456789012348", ["9123456789012348"]),
            ("grouped, so not Unix time: 1234 5678 1234 5670", ["1234567812345670"]),
            ("/cards/4222222222222/reveal", ["4222222222222"]),
        ],
    )
    def test_finds_card_numbers(self, text: str, expected: list[str]) -> None:
        assert find_card_numbers(text) == expected

    @pytest.mark.parametrize(
        "text",
        [
            "4111111111111112",  # fails Luhn
            "411111111111",  # twelve digits: too short to flag
            "41111111111111111111",  # twenty digits in one group
            "2024-01-15T10:30:00.123456+00:00",
            "2024-01-15 10:30:00",
            "20240115103002",  # compact timestamp that happens to pass Luhn
            "at 1700000000004 ms",  # Unix milliseconds that happen to pass Luhn
            "1234567812345670",  # Unix microseconds (2009) that happen to pass Luhn
            "675964982648",  # a twelve-digit Maestro: below the thirteen digits we look for
            "0000 0000 0000 0000",
            "0000000000000",
            "550e8400-e29b-41d4-a716-446655440000",
            "12345678-1234-5678-1234-567812345678",  # an all-digit UUID
            "tok_4111111111111111",  # glued to an identifier: a documented miss
            "id-4111111111111111",
            "4111111111111111abc",
            "+1 555-123-4567",
        ],
    )
    def test_ignores_non_cards(self, text: str) -> None:
        assert find_card_numbers(text) == []

    def test_the_fixture_timestamps_would_otherwise_pass_luhn(self) -> None:
        assert reference_luhn("20240115103002")
        assert reference_luhn("1700000000004")
        assert reference_luhn("0000000000000")
        assert reference_luhn("1234567812345670")
        assert validate_card_number("675964982648").brand is Brand.MAESTRO

    def test_reports_where_each_number_is(self) -> None:
        text = "paid with 4111-1111-1111-1111 and 378282246310005 today"
        matches = find_card_number_matches(text)
        assert [text[m.start : m.end] for m in matches] == [
            "4111-1111-1111-1111",
            "378282246310005",
        ]
        assert [m.number for m in matches] == ["4111111111111111", "378282246310005"]
        assert "4111111111111111" not in repr(matches)

    @given(
        number=findable_numbers(),
        separator=st.sampled_from(["", " ", "-"]),
        before=st.sampled_from(["", "card ", "pan=", '{"pan": "', "(", "x: "]),
        after=st.sampled_from(["", " ok", '"}', ")", ", exp 12/27", "\n"]),
    )
    def test_finds_any_branded_number_in_text(
        self, number: str, separator: str, before: str, after: str
    ) -> None:
        text = before + grouped(number, separator) + after
        assert find_card_numbers(text) == [number]

    @given(value=st.uuids())
    def test_never_flags_a_uuid(self, value: object) -> None:
        assert find_card_numbers(str(value)) == []
        assert find_card_numbers(f"request {value} done") == []

    @given(
        moment=st.builds(
            datetime.combine,
            st.dates(min_value=date(1970, 1, 1), max_value=date(2099, 12, 31)),
            st.times(timezones=st.none() | st.just(UTC)),
        )
    )
    def test_never_flags_a_timestamp(self, moment: datetime) -> None:
        assert find_card_numbers(moment.isoformat()) == []
        assert find_card_numbers(str(moment)) == []
        assert find_card_numbers(moment.strftime("%Y%m%d%H%M%S")) == []

    def test_is_fast_on_large_and_hostile_input(self) -> None:
        line = "at 2024-01-15T10:30:00Z card 4111 1111 1111 1111 id 550e8400-e29b-41d4-a716\n"
        started = time.perf_counter()
        assert len(find_card_numbers(line * 5_000)) == 5_000
        assert find_card_numbers("1 " * 50_000) == []
        assert find_card_numbers("1-" * 50_000 + "a") == []
        assert find_card_numbers("9" * 200_000) == []
        # A generous bound: catastrophic backtracking would take minutes, not seconds.
        assert time.perf_counter() - started < 5


class TestLooksLikeCardNumber:
    @pytest.mark.parametrize(
        "text",
        ["4111111111111111", " 4111 1111 1111 1111 ", "3782-822463-10005", "9123456789012348"],
    )
    def test_a_whole_card_number(self, text: str) -> None:
        assert looks_like_card_number(text)

    @pytest.mark.parametrize(
        "text",
        [
            "",
            "card 4111111111111111",
            "4111111111111111 and 5555555555554444",
            "4111 1111 1111 1111 12",
            "4111111111111112",
            "2024-01-15T10:30:00Z",
            "550e8400-e29b-41d4-a716-446655440000",
        ],
    )
    def test_anything_else(self, text: str) -> None:
        assert not looks_like_card_number(text)
