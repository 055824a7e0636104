"""Pure rules for payment card numbers: brands, Luhn, validation, masking, generation, and
finding card numbers in free text.

Nothing here does I/O. The registration service, the issued-cards service, the vault, the firms'
BIN checks, the log redaction processor and the leak-scanning tests all share these rules, so
they agree on what a card number is.

Error messages never contain the input that caused them, nor any digit at all: a message that
echoed part of a card number would be a leak (see ``tessera.errors``).
"""

from __future__ import annotations

import functools
import random
import re
import secrets
from dataclasses import dataclass, field
from enum import StrEnum

from tessera.errors import RuleViolation

MIN_CARD_LENGTH = 12
MAX_CARD_LENGTH = 19

# ``[0-9]`` rather than ``\d``: ``\d`` also matches Arabic-Indic, fullwidth and other digits,
# which ``int()`` would happily accept and no card network issues.
_DIGITS = re.compile(r"[0-9]+")
_NON_DIGIT = re.compile(r"[^0-9]")
_CARD_SEPARATORS = re.compile(r"[ -]")
_BIN_PREFIX = re.compile(r"[0-9]{6,8}")
_LAST4 = re.compile(r"[0-9]{4}")


class Brand(StrEnum):
    """A card scheme, named by the lowercase value the API uses."""

    VISA = "visa"
    MASTERCARD = "mastercard"
    AMEX = "amex"
    DISCOVER = "discover"
    JCB = "jcb"
    DINERS = "diners"
    UNIONPAY = "unionpay"
    MAESTRO = "maestro"

    @property
    def display_name(self) -> str:
        """The scheme's name as people write it, e.g. "American Express"."""
        return _DISPLAY_NAMES[self]

    @property
    def lengths(self) -> tuple[int, ...]:
        """The card number lengths the scheme issues, ascending."""
        return _BRAND_LENGTHS[self]

    @property
    def cvv_length(self) -> int:
        """How many digits the scheme's security code has."""
        return 4 if self is Brand.AMEX else 3


_DISPLAY_NAMES: dict[Brand, str] = {
    Brand.VISA: "Visa",
    Brand.MASTERCARD: "Mastercard",
    Brand.AMEX: "American Express",
    Brand.DISCOVER: "Discover",
    Brand.JCB: "JCB",
    Brand.DINERS: "Diners Club",
    Brand.UNIONPAY: "UnionPay",
    Brand.MAESTRO: "Maestro",
}

_BRAND_LENGTHS: dict[Brand, tuple[int, ...]] = {
    Brand.VISA: (13, 16, 19),
    Brand.MASTERCARD: (16,),
    Brand.AMEX: (15,),
    Brand.DISCOVER: tuple(range(16, 20)),
    Brand.JCB: tuple(range(16, 20)),
    Brand.DINERS: tuple(range(14, 20)),
    Brand.UNIONPAY: tuple(range(16, 20)),
    Brand.MAESTRO: tuple(range(12, 20)),
}

# IIN ranges as (low, high, brand); low and high have the same number of digits and a number
# belongs to the range when its first that-many digits fall between them (string comparison of
# equal-length digit strings is numeric comparison).
#
# Overlaps are resolved by specificity: the range with the LONGEST prefix wins. The only overlap
# between different brands is Discover's co-branded 622126-622925 inside UnionPay's 62, so those
# numbers are Discover and the rest of 62 is UnionPay. Maestro's 6759 and 6761-6763 sit inside
# Maestro's own 67 and are kept because they are the IINs people look for. Ranges of the same
# length never overlap (the tests check this), so the order within one length does not matter.
_IIN_RANGES: tuple[tuple[str, str, Brand], ...] = tuple(
    sorted(
        (
            ("4", "4", Brand.VISA),
            ("51", "55", Brand.MASTERCARD),
            ("2221", "2720", Brand.MASTERCARD),
            ("34", "34", Brand.AMEX),
            ("37", "37", Brand.AMEX),
            ("6011", "6011", Brand.DISCOVER),
            ("644", "649", Brand.DISCOVER),
            ("65", "65", Brand.DISCOVER),
            ("622126", "622925", Brand.DISCOVER),
            ("3528", "3589", Brand.JCB),
            ("300", "305", Brand.DINERS),
            ("36", "36", Brand.DINERS),
            ("38", "39", Brand.DINERS),
            ("62", "62", Brand.UNIONPAY),
            ("50", "50", Brand.MAESTRO),
            ("56", "58", Brand.MAESTRO),
            ("6304", "6304", Brand.MAESTRO),
            ("6759", "6759", Brand.MAESTRO),
            ("6761", "6763", Brand.MAESTRO),
            ("67", "67", Brand.MAESTRO),
        ),
        key=lambda iin_range: -len(iin_range[0]),
    )
)


def _invalid_card_number(message: str) -> RuleViolation:
    return RuleViolation(message, code="invalid_card_number")


# --- Card numbers ----------------------------------------------------------------------------


def normalize_card_number(raw: str) -> str:
    """Strip spaces and dashes from a typed card number and check it is 12 to 19 digits."""
    digits = _CARD_SEPARATORS.sub("", raw.strip())
    if _NON_DIGIT.search(digits):
        raise _invalid_card_number("The card number may contain only digits, spaces and dashes.")
    if not MIN_CARD_LENGTH <= len(digits) <= MAX_CARD_LENGTH:
        raise _invalid_card_number("The card number has too few or too many digits.")
    return digits


# Luhn doubles every second digit from the right; doubling d gives this digit sum.
_LUHN_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def luhn_valid(number: str) -> bool:
    """Whether a string of ASCII digits passes the Luhn (mod 10) check; False for anything else."""
    if not _DIGITS.fullmatch(number):
        return False
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = ord(char) - 48
        total += _LUHN_DOUBLED[digit] if position % 2 else digit
    return total % 10 == 0


def luhn_check_digit(partial: str) -> str:
    """The digit that, appended to ``partial``, makes it pass the Luhn check."""
    if partial and not _DIGITS.fullmatch(partial):
        raise ValueError("partial must contain only ASCII digits")
    total = 0
    # The check digit will take position 0 from the right, so partial's last digit is doubled.
    for position, char in enumerate(reversed(partial)):
        digit = ord(char) - 48
        total += digit if position % 2 else _LUHN_DOUBLED[digit]
    return str(-total % 10)


def detect_brand(number: str) -> Brand | None:
    """The brand whose IIN range a digit string falls in, by prefix only, or None."""
    if not _DIGITS.fullmatch(number):
        return None
    return _brand_of_prefix(number[:_LONGEST_IIN])


_LONGEST_IIN = max(len(low) for low, _, _ in _IIN_RANGES)


# Remembered per prefix (at most six digits, as public as a BIN): the log redactor asks for
# every card-like number in every line.
@functools.lru_cache(maxsize=4096)
def _brand_of_prefix(number: str) -> Brand | None:
    for low, high, brand in _IIN_RANGES:
        prefix = number[: len(low)]
        if len(prefix) == len(low) and low <= prefix <= high:
            return brand
    return None


@dataclass(frozen=True, slots=True)
class ValidatedCard:
    """A card number that passed every rule, with the parts that may be shown."""

    # Kept out of repr so a logged or asserted ValidatedCard never prints the full number.
    number: str = field(repr=False)
    brand: Brand
    bin: str
    last4: str

    @property
    def masked(self) -> str:
        """The number with all but the BIN and the last four digits hidden."""
        return mask_card_number(self.bin, self.last4, len(self.number))


def validate_card_number(raw: str) -> ValidatedCard:
    """Normalise a typed card number and check its brand, its length for the brand and Luhn."""
    number = normalize_card_number(raw)
    brand = detect_brand(number)
    if brand is None:
        raise _invalid_card_number("The card number does not belong to a card brand we accept.")
    if len(number) not in brand.lengths:
        raise _invalid_card_number(
            f"The card number has the wrong number of digits for {brand.display_name}."
        )
    if not luhn_valid(number):
        raise _invalid_card_number("The card number is not valid; check it for typing mistakes.")
    return ValidatedCard(number=number, brand=brand, bin=number[:6], last4=number[-4:])


def mask_card_number(bin: str, last4: str, length: int) -> str:
    """Show a card number as its BIN, one ``*`` per hidden digit and its last four digits."""
    if not _BIN_PREFIX.fullmatch(bin):
        raise ValueError("bin must be six to eight digits")
    if not _LAST4.fullmatch(last4):
        raise ValueError("last4 must be four digits")
    if not MIN_CARD_LENGTH <= length <= MAX_CARD_LENGTH:
        raise ValueError("length must be a card number length")
    # PCI DSS allows at most the first six digits of a number shorter than sixteen digits, even
    # where the BIN has eight; this also keeps at least two digits hidden on the shortest cards.
    shown = bin if length >= 16 else bin[:6]
    return f"{shown}{'*' * (length - len(shown) - 4)}{last4}"


_SYSTEM_RANDOM = secrets.SystemRandom()


def generate_card_number(
    bin_prefix: str,
    *,
    length: int = 16,
    rng: random.Random | secrets.SystemRandom | None = None,
) -> str:
    """A Luhn-valid card number of ``length`` digits starting with a six-to-eight-digit BIN."""
    if not _BIN_PREFIX.fullmatch(bin_prefix):
        raise ValueError("bin_prefix must be six to eight ASCII digits")
    if not MIN_CARD_LENGTH <= length <= MAX_CARD_LENGTH:
        raise ValueError("length must be between twelve and nineteen")
    source = rng if rng is not None else _SYSTEM_RANDOM
    account_digits = length - len(bin_prefix) - 1
    body = bin_prefix + "".join(str(source.randrange(10)) for _ in range(account_digits))
    return body + luhn_check_digit(body)


# --- Finding card numbers in free text -------------------------------------------------------
#
# Used by the log redaction processor and the leak-scanning tests. A candidate is a run of digit
# groups: groups joined by single dashes form one token ("4111-1111-1111-1111"), tokens joined by
# single spaces form a run ("4111 1111 1111 1111 12/27"). Inside a run, every stretch of whole
# tokens holding 13 to 19 digits that passes Luhn is a card number, except the obvious non-cards
# below. Overlapping stretches are settled by preferring one with a known brand and a length that
# brand issues, then the longest, then the leftmost.
#
# Not flagged, on purpose:
# - a run glued to a letter, digit or underscore, directly or through a dash ("tok_4111...",
#   "a716-446655440000"): that is an identifier. This is what keeps UUIDs and hex ids out.
# - a dash-joined token that is longer than nineteen digits as a whole (an all-digit UUID), and
#   ISO dates and times ("2024-01-15T10:30:00Z"), whose groups never add up to thirteen digits;
# - a number made of one repeated digit ("0000 0000 0000 0000"), a placeholder;
# - an unseparated compact timestamp (YYYYMMDDhhmmss with optional fraction) and an unseparated
#   13, 16 or 19 digit number starting with 1 (Unix time in ms, us or ns until 2033): no brand
#   issues either shape.
#
# The tradeoff: anything else of 13-19 digits that passes Luhn is flagged, about one in ten of
# arbitrary digit strings (order ids, phone lists, long amounts). For redaction that means
# masking a little too much, which is the safe side; a scan for leaks should compare the found
# numbers with the numbers it planted rather than expect none at all.
#
# The log redactor also asks for numbers glued to letters (``within_words``): a token like
# "tok_4111111111111111" or "4111111111111111abc" is masked too, since masking an identifier
# that happens to pass Luhn costs nothing there. Dash-joined groups still count as one token, so
# a UUID's last group is judged whole.

_CARD_TOKEN = r"[0-9]+(?:-[0-9]+)*"
_CARD_RUN = re.compile(rf"(?<!\w)(?<!\w-){_CARD_TOKEN}(?: {_CARD_TOKEN})*(?!-?\w)")
_CARD_RUN_IN_WORDS = re.compile(
    rf"(?<![0-9])(?<![0-9]-){_CARD_TOKEN}(?: {_CARD_TOKEN})*(?!-?[0-9])"
)
_MIN_FOUND_LENGTH = 13
_COMPACT_TIMESTAMP = re.compile(
    r"(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
    r"(?:[01][0-9]|2[0-3])[0-5][0-9][0-5][0-9][0-9]*"
)
_UNIX_TIME_LENGTHS = frozenset({13, 16, 19})


@dataclass(frozen=True, slots=True)
class CardNumberMatch:
    """Where a card number was found in a text: ``text[start:end]``, and its digits."""

    start: int
    end: int
    number: str = field(repr=False)


def _is_obvious_non_card(digits: str, *, unseparated: bool) -> bool:
    if len(set(digits)) == 1:
        return True
    if not unseparated:
        return False
    if digits[0] == "1" and len(digits) in _UNIX_TIME_LENGTHS:
        return True
    return _COMPACT_TIMESTAMP.fullmatch(digits) is not None


_DIGIT_VALUES = bytes.maketrans(b"0123456789", bytes(range(10)))
_DOUBLED_VALUES = bytes.maketrans(b"0123456789", bytes(_LUHN_DOUBLED))


def _passes_luhn(digits: str) -> bool:
    # ``luhn_valid`` without the character check, in C: the digits from the right, every second
    # one doubled. The log redactor runs this on every card-like stretch of every line.
    ascii_digits = digits.encode("ascii")
    plain = sum(ascii_digits[-1::-2].translate(_DIGIT_VALUES))
    doubled = sum(ascii_digits[-2::-2].translate(_DOUBLED_VALUES))
    return (plain + doubled) % 10 == 0


def _cards_in_run(run: str, offset: int) -> list[CardNumberMatch]:
    if " " not in run:
        # One token, the usual case: the whole token is a card number or nothing is.
        digits = run.replace("-", "")
        if not _MIN_FOUND_LENGTH <= len(digits) <= MAX_CARD_LENGTH or not _passes_luhn(digits):
            return []
        if _is_obvious_non_card(digits, unseparated=len(digits) == len(run)):
            return []
        return [CardNumberMatch(offset, offset + len(run), digits)]
    pieces = run.split(" ")
    starts: list[int] = []  # where each token starts in the text
    digit_offsets = [0]  # where each token starts in the run's digits, plus the total
    unseparated: list[bool] = []
    position = offset
    for piece in pieces:
        starts.append(position)
        position += len(piece) + 1
        token_digits = len(piece) - piece.count("-")
        digit_offsets.append(digit_offsets[-1] + token_digits)
        unseparated.append(token_digits == len(piece))
    digits = run.replace(" ", "").replace("-", "")

    # (plausible, length, -first, first, last): sorting descending puts the best first.
    candidates: list[tuple[bool, int, int, int, int]] = []
    for first in range(len(pieces)):
        low = digit_offsets[first]
        for last in range(first, len(pieces)):
            high = digit_offsets[last + 1]
            length = high - low
            if length > MAX_CARD_LENGTH:
                break
            if length < _MIN_FOUND_LENGTH:
                continue
            window = digits[low:high]
            if not _passes_luhn(window):
                continue
            if _is_obvious_non_card(window, unseparated=first == last and unseparated[first]):
                continue
            brand = _brand_of_prefix(window[:_LONGEST_IIN])
            plausible = brand is not None and length in brand.lengths
            candidates.append((plausible, length, -first, first, last))

    taken: set[int] = set()
    chosen: list[CardNumberMatch] = []
    for *_, first, last in sorted(candidates, reverse=True):
        span = range(first, last + 1)
        if taken.isdisjoint(span):
            taken.update(span)
            number = digits[digit_offsets[first] : digit_offsets[last + 1]]
            end = starts[last] + len(pieces[last])
            chosen.append(CardNumberMatch(starts[first], end, number))
    return sorted(chosen, key=lambda match: match.start)


# Thirteen digits, each pair at most one space or dash apart: every card number found below
# contains such a stretch, so a text without one (most log lines) is passed over in one search.
_MAY_HOLD_CARD = re.compile(r"[0-9](?:[ -]?[0-9]){12}").search


def find_card_number_matches(text: str, *, within_words: bool = False) -> list[CardNumberMatch]:
    """Every card number in a text, with its position, in order of appearance.

    ``within_words`` also finds numbers glued to letters or underscores (for the log redactor).
    """
    if _MAY_HOLD_CARD(text) is None:
        return []
    found: list[CardNumberMatch] = []
    runs = _CARD_RUN_IN_WORDS if within_words else _CARD_RUN
    for run in runs.finditer(text):
        if run.end() - run.start() >= _MIN_FOUND_LENGTH:
            found.extend(_cards_in_run(run.group(), run.start()))
    return found


def find_card_numbers(text: str) -> list[str]:
    """The digits of every card number in a text, in order of appearance."""
    return [match.number for match in find_card_number_matches(text)]


def looks_like_card_number(text: str) -> bool:
    """Whether a whole text, ignoring surrounding whitespace, is one card number."""
    stripped = text.strip()
    matches = find_card_number_matches(stripped)
    return len(matches) == 1 and matches[0].start == 0 and matches[0].end == len(stripped)
