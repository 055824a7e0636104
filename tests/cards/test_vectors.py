"""The card rules against the shared test vectors (tests/vectors/cards.json).

The web app's validator runs the same file (web/src/cards/validation.vectors.test.ts), so the
service and the browser cannot come to disagree on what a valid card is without one suite failing.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tessera.cards import rules
from tessera.errors import RuleViolation, ValidationFailed
from tessera.kit import card_numbers

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "vectors" / "cards.json").read_text(encoding="utf-8")
)


def _reason(raw: str) -> str | None:
    """The first rule a typed number breaks, in the words the vectors use; None when valid."""
    digits = raw.replace(" ", "").replace("-", "").strip()
    try:
        card_numbers.validate_card_number(raw)
    except RuleViolation as error:
        assert_code = error.code
    else:
        return None
    brand = card_numbers.detect_brand(digits) if digits.isascii() and digits.isdigit() else None
    checks = [
        ("characters", not digits.isascii() or not digits.isdigit()),
        ("length", not card_numbers.MIN_CARD_LENGTH <= len(digits) <= card_numbers.MAX_CARD_LENGTH),
        ("brand", brand is None),
        ("length", brand is not None and len(digits) not in brand.lengths),
        ("luhn", not card_numbers.luhn_valid(digits)),
    ]
    reason = next((name for name, broken in checks if broken), "none")
    return reason if assert_code == "invalid_card_number" else f"unexpected {assert_code}"


class TestCardNumberVectors:
    @pytest.mark.parametrize("case", VECTORS["card_numbers"], ids=lambda c: repr(c["input"]))
    def test_verdict_brand_and_reason(self, case: dict[str, Any]) -> None:
        reason = _reason(case["input"])
        assert (reason is None) is case["valid"]
        assert reason == case.get("reason")
        digits = case["input"].replace(" ", "").replace("-", "")
        brand = card_numbers.detect_brand(digits)
        assert (brand.value if brand else None) == case["brand"]
        if case["valid"]:
            assert card_numbers.validate_card_number(case["input"]).brand.value == case["brand"]


class TestExpiryVectors:
    @pytest.mark.parametrize("case", VECTORS["expiry"]["cases"], ids=lambda c: repr(c["input"]))
    def test_parse(self, case: dict[str, Any]) -> None:
        today = date.fromisoformat(VECTORS["expiry"]["today"])
        if case["valid"]:
            expiry = rules.parse_expiry(case["input"], today=today)
            assert (expiry.year, expiry.month) == (case["year"], case["month"])
            assert rules.is_month_end(expiry)
        elif case["reason"] == "expired":
            with pytest.raises(RuleViolation) as caught:
                rules.parse_expiry(case["input"], today=today)
            assert caught.value.code == "card_expired"
        else:
            with pytest.raises(ValidationFailed):
                rules.parse_expiry(case["input"], today=today)


class TestCvvVectors:
    @pytest.mark.parametrize("case", VECTORS["cvv"], ids=lambda c: f"{c['brand']}:{c['cvv']!r}")
    def test_verdict(self, case: dict[str, Any]) -> None:
        brand = card_numbers.Brand(case["brand"])
        if case["valid"]:
            rules.validate_cvv(case["cvv"], brand)
        else:
            with pytest.raises(RuleViolation) as caught:
                rules.validate_cvv(case["cvv"], brand)
            assert caught.value.code == "invalid_cvv"


class TestHolderNameVectors:
    @pytest.mark.parametrize("case", VECTORS["holder_names"], ids=lambda c: repr(c["name"][:12]))
    def test_verdict(self, case: dict[str, Any]) -> None:
        if case["valid"]:
            assert rules.validate_holder_name(case["name"]) == case["cleaned"]
        else:
            with pytest.raises(ValidationFailed):
                rules.validate_holder_name(case["name"])
