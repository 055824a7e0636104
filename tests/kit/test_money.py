"""ISO 4217 currencies with their real exponents, and amounts as text."""

from __future__ import annotations

import pytest

from tessera.errors import ValidationFailed
from tessera.kit.money import currency_exponent, format_amount, validate_currency


class TestCurrencies:
    @pytest.mark.parametrize(
        ("code", "exponent"),
        [("USD", 2), ("EUR", 2), ("JPY", 0), ("KWD", 3), ("BHD", 3), ("CLP", 0)],
    )
    def test_real_exponents(self, code: str, exponent: int) -> None:
        assert currency_exponent(code) == exponent

    @pytest.mark.parametrize("code", ["XAU", "XXX", "ZZZ", "US", "usd1", ""])
    def test_non_money_codes_are_refused(self, code: str) -> None:
        with pytest.raises(ValidationFailed):
            validate_currency(code)

    def test_lower_case_is_normalised(self) -> None:
        assert validate_currency(" eur ") == "EUR"


class TestFormatAmount:
    @pytest.mark.parametrize(
        ("amount", "currency", "text"),
        [
            (1050, "USD", "10.50"),
            (5, "USD", "0.05"),
            (1005, "KWD", "1.005"),
            (1005, "JPY", "1005"),
            (-250, "EUR", "-2.50"),
            (0, "USD", "0.00"),
        ],
    )
    def test_minor_units_as_decimal_text(self, amount: int, currency: str, text: str) -> None:
        assert format_amount(amount, currency) == text
