"""Test card numbers and a helper to register them through the API."""

from __future__ import annotations

import re
from typing import Any

from tessera.kit.card_numbers import find_card_numbers
from tests.support.api import Caller

# Published test numbers (Luhn-valid), one per brand, with a CVV of the brand's length. The CVVs
# are distinctive so that a leak scan can look for them.
VISA = "4111111111111111"
VISA_2 = "4012888888881881"
MASTERCARD = "5555555555554444"
MASTERCARD_2 = "2223003122003222"
AMEX = "378282246310005"
DISCOVER = "6011111111111117"
JCB = "3530111333300000"
DINERS = "36227206271667"
UNIONPAY = "6200000000000005"
MAESTRO = "6759649826438453"

CVV = "737"
AMEX_CVV = "7373"
FUTURE_EXPIRY = "12/30"
FUTURE_MONTH_END = "2030-12-31"


def registration_body(number: str = VISA, **fields: Any) -> dict[str, Any]:
    """A valid registration body for ``number``."""
    body: dict[str, Any] = {
        "card_number": number,
        "expiry_date": FUTURE_EXPIRY,
        "cvv": AMEX_CVV if number.startswith(("34", "37")) else CVV,
        "cardholder_name": "Ada Lovelace",
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


def register(caller: Caller, number: str = VISA, **fields: Any) -> dict[str, Any]:
    """Register ``number`` as ``caller``; asserts 201 and returns the registration."""
    response = caller.post("/v1/card-registrations", json=registration_body(number, **fields))
    assert response.status_code == 201, response.text
    return dict(response.json())


def card_data_in(
    text: str, *, numbers: tuple[str, ...] = (), cvvs: tuple[str, ...] = ()
) -> list[str]:
    """The planted card numbers and CVVs that appear in ``text``.

    A number counts wherever its digits appear, written plain or split by spaces or dashes (the
    leak detector of the card rules finds those). A CVV counts only as a token of its own, not
    glued to other digits or letters: three digits inside a timestamp or an id are not a CVV.
    """
    found = [n for n in numbers if n in text]
    found.extend(n for n in find_card_numbers(text) if n in numbers and n not in found)
    found.extend(cvv for cvv in cvvs if re.search(rf"(?<![0-9A-Za-z]){cvv}(?![0-9A-Za-z])", text))
    return found
