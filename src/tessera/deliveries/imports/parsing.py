"""Courier CSV files read row by row into delivery events; no database, no HTTP.

The file is streamed: ``read_delivery_file`` reads only the header, and ``DeliveryFile.rows()``
yields one ``ParsedRow`` or ``RowError`` per data line, so memory stays flat for any file size.

Decisions a reader of an import report will want explained:

- **Kind.** A kind given by the caller wins. Otherwise the file name says it (``... - Pickup.csv``,
  ``Delivery exceptions``, ``Delivered``, ``Returned``), or a header whose timestamp column names
  the event (``Delivered At``, ``Pickup Timestamp``). The partner's own headers do not: all four
  sample files have the same columns (only the pickup file lacks the optional ``Comment``), so a
  file named ``export.csv`` with those columns is refused with ``UndeterminedKind`` rather than
  guessed, and so is a file whose name and header point to different kinds.
- **Line numbers.** ``row`` is the physical line where the record starts, the header being line 1,
  taken from the csv reader's ``line_num`` so a quoted comment spanning lines does not shift the
  numbers of the rows after it.
- **Encoding.** UTF-8, with or without a BOM. A header that is not UTF-8 fails the whole file
  (``UnreadableFile``): the file is in another encoding (UTF-16, Windows-1252) and nothing in it can
  be trusted. A later line with bytes that are not UTF-8 is rejected on its own and the import goes
  on: lines of plain ASCII read the same in the usual single-byte encodings, so they are right.
- **Blank lines**, including lines of only commas that spreadsheets leave behind, are skipped and
  are not errors. Extra empty cells after the last column are ignored for the same reason.
- **Timestamps** are day-first, always: only the explicit formats below are read, never guessed.
  One without a zone is in the partner's zone; in zones with daylight saving, a wall time that
  occurs twice is read as the first.
- **The stream** stays the caller's: it is left open when ``rows()`` ends or the header is refused.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, BinaryIO
from zoneinfo import ZoneInfo

import phonenumbers

from tessera.deliveries.imports.timestamps import TimestampReader
from tessera.deliveries.rules import DeliveryEvent, is_card_id
from tessera.kit.phone import InvalidPhone, normalize_phone

if TYPE_CHECKING:
    from _csv import Reader as CsvReader

__all__ = [
    "DEFAULT_TIME_ZONE",
    "EXPECTED_COLUMNS",
    "DeliveryFile",
    "DeliveryFileError",
    "DeliveryKind",
    "EmptyFile",
    "ParsedRow",
    "RowError",
    "UndeterminedKind",
    "UnreadableFile",
    "UnrecognisedHeader",
    "detect_kind",
    "natural_key",
    "read_delivery_file",
    "read_timestamp",
]

DEFAULT_TIME_ZONE = ZoneInfo("Asia/Dubai")


class DeliveryKind(StrEnum):
    """Which courier report a file is; every row of a file records the same event."""

    PICKUP = "pickup"
    DELIVERY_EXCEPTION = "delivery_exception"
    DELIVERED = "delivered"
    RETURNED = "returned"

    @property
    def event(self) -> DeliveryEvent:
        """The event each row of a file of this kind records."""
        return _EVENT_OF_KIND[self]


_EVENT_OF_KIND: dict[DeliveryKind, DeliveryEvent] = {
    DeliveryKind.PICKUP: DeliveryEvent.PICKED_UP,
    DeliveryKind.DELIVERY_EXCEPTION: DeliveryEvent.DELIVERY_EXCEPTION,
    DeliveryKind.DELIVERED: DeliveryEvent.DELIVERED,
    DeliveryKind.RETURNED: DeliveryEvent.RETURNED,
}


class DeliveryFileError(ValueError):
    """A courier file that cannot be imported at all (as opposed to one bad row)."""


class UnreadableFile(DeliveryFileError):
    """The file is empty, not UTF-8 text, or not CSV."""


class EmptyFile(UnreadableFile):
    """The file has no header: it is empty or holds only blank lines."""


class UndeterminedKind(DeliveryFileError):
    """Neither the caller, the file name nor the header says which kind of file this is."""


class UnrecognisedHeader(DeliveryFileError):
    """The header lacks a column the import needs, or names one twice."""

    def __init__(
        self, message: str, *, expected: list[str], found: list[str], missing: list[str]
    ) -> None:
        super().__init__(message)
        self.expected = expected
        self.found = found
        self.missing = missing


@dataclass(frozen=True, slots=True)
class ParsedRow:
    """One readable line of a courier file, as the event it records.

    ``natural_key`` identifies the event across imports so importing a file twice, or files in
    any order, stores it once. It hashes the event, card id and UTC instant and deliberately
    leaves out ``record_id``: partners number rows per file (the samples reuse ``A073`` and
    ``A982`` for different events of different files) and renumber on re-export. It leaves out the
    phone and comment too, so a re-sent file with a corrected phone or comment is the same event.

    ``phone`` is E.164, or, when the file's phone is not a valid number, the phone as written
    (trimmed): the event still counts, and ``warning`` says what was wrong with the phone.
    """

    row: int
    record_id: str
    card_id: str
    phone: str
    event: str
    occurred_at: datetime
    comment: str | None
    natural_key: str
    # ``occurred_at.isoformat()``, made once for the key and reused to store the instant.
    occurred_at_iso: str
    warning: str | None = None


@dataclass(frozen=True, slots=True)
class RowError:
    """A line that could not be read, with its line number (header = 1) and the reason."""

    row: int
    message: str


class _Role(StrEnum):
    RECORD_ID = "ID"
    CARD_ID = "Card ID"
    PHONE = "User Mobile, User contact, User Phone or Phone"
    TIMESTAMP = "Timestamp"
    COMMENT = "Comment"


# Keys are header cells after _header_key: case-folded, single-spaced, "_" read as a space.
_COLUMN_NAMES: dict[str, _Role] = {
    "id": _Role.RECORD_ID,
    "record id": _Role.RECORD_ID,
    "card id": _Role.CARD_ID,
    "user mobile": _Role.PHONE,
    "user contact": _Role.PHONE,
    "user phone": _Role.PHONE,
    "phone": _Role.PHONE,
    "mobile": _Role.PHONE,
    "phone number": _Role.PHONE,
    "timestamp": _Role.TIMESTAMP,
    "comment": _Role.COMMENT,
    "comments": _Role.COMMENT,
}

# A timestamp column named after its event is the one header that tells a file's kind.
_KIND_TIMESTAMP_COLUMNS: dict[str, DeliveryKind] = {
    f"{word} {suffix}": kind
    for kind, words in {
        DeliveryKind.PICKUP: ("pickup", "picked up"),
        DeliveryKind.DELIVERY_EXCEPTION: ("exception", "delivery exception"),
        DeliveryKind.DELIVERED: ("delivered",),
        DeliveryKind.RETURNED: ("returned",),
    }.items()
    for word in words
    for suffix in ("timestamp", "time", "at")
}

_ROLE_NOUN = {
    _Role.RECORD_ID: "ID",
    _Role.CARD_ID: "Card ID",
    _Role.PHONE: "phone",
    _Role.TIMESTAMP: "Timestamp",
    _Role.COMMENT: "Comment",
}

_REQUIRED_ROLES = (_Role.CARD_ID, _Role.PHONE, _Role.TIMESTAMP)
EXPECTED_COLUMNS = [str(role) for role in _REQUIRED_ROLES]

_KIND_IN_FILENAME: tuple[tuple[DeliveryKind, re.Pattern[str]], ...] = (
    (DeliveryKind.PICKUP, re.compile(r"\bpick(?:ed)? ?ups?\b")),
    (DeliveryKind.DELIVERY_EXCEPTION, re.compile(r"\bexceptions?\b")),
    (DeliveryKind.DELIVERED, re.compile(r"\bdelivered\b")),
    (DeliveryKind.RETURNED, re.compile(r"\breturn(?:s|ed)?\b")),
)

# A phone that is not a valid number is kept as written, up to this length (the column's).
MAX_RAW_PHONE = 64
_KEPT_AS_WRITTEN = " The event was imported with the phone as written."
# Bytes that are not UTF-8 arrive as lone surrogates (errors="surrogateescape").
_NOT_UTF8 = re.compile("[\udc80-\udcff]")
_FILENAME_SEPARATORS = re.compile(r"[\W_]+")


def detect_kind(header: Sequence[str], filename: str) -> DeliveryKind | None:
    """The kind a file's name or header names: None if neither, ``UndeterminedKind`` if several."""
    name = re.split(r"[\\/]", filename)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    words = _FILENAME_SEPARATORS.sub(" ", stem.casefold())
    found = {kind for kind, pattern in _KIND_IN_FILENAME if pattern.search(words)}
    found |= {
        kind
        for cell in header
        if (kind := _KIND_TIMESTAMP_COLUMNS.get(_header_key(cell))) is not None
    }
    if len(found) > 1:
        names = ", ".join(sorted(found))
        raise UndeterminedKind(
            f"The file name and header point to more than one kind ({names}); give the kind."
        )
    return next(iter(found), None)


def read_delivery_file(
    stream: BinaryIO,
    *,
    filename: str,
    kind: DeliveryKind | None,
    region: str = "AE",
    tz: ZoneInfo = DEFAULT_TIME_ZONE,
) -> DeliveryFile:
    """Read the header of a courier CSV and return the file, ready to stream its rows."""
    if region.upper() not in phonenumbers.SUPPORTED_REGIONS:
        # A configuration mistake; failing here beats failing on the first row.
        raise ValueError(f"Unknown phone region {region!r}.")
    # surrogateescape keeps a bad byte from raising mid-file: it becomes a lone surrogate that
    # the row check below turns into a RowError for that line alone.
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    reader = csv.reader(text)
    try:
        header, header_line = _read_header(reader)
        layout = _layout_of(header)
        resolved = kind if kind is not None else detect_kind(header, filename)
        if resolved is None:
            raise UndeterminedKind(
                "Cannot tell whether this is a pickup, delivery exception, delivered or returned "
                "file: its name says none of these and its columns are the same for all four; "
                "give the kind."
            )
    except BaseException:
        _release(text)
        raise
    return DeliveryFile(
        kind=resolved,
        columns=[_clean_header_cell(cell) for cell in header],
        reader=reader,
        text=text,
        layout=layout,
        header_line=header_line,
        region=region,
        tz=tz,
    )


def read_timestamp(raw: str, *, tz: ZoneInfo = DEFAULT_TIME_ZONE) -> datetime:
    """Read a day-first or ISO 8601 courier timestamp as UTC; one without a zone is in ``tz``."""
    return TimestampReader(tz).read(raw.strip())


def natural_key(*, event: str, card_id: str, occurred_at: datetime) -> str:
    """The idempotency key of a delivery event: SHA-256 hex of event, card id and UTC instant."""
    return _natural_key(str(event), card_id, occurred_at.astimezone(UTC).isoformat())


class DeliveryFile:
    """A courier file whose header has been read; ``rows()`` streams the rest, once."""

    __slots__ = (
        "_consumed",
        "_header_line",
        "_layout",
        "_reader",
        "_region",
        "_text",
        "_tz",
        "columns",
        "kind",
    )

    def __init__(
        self,
        *,
        kind: DeliveryKind,
        columns: list[str],
        reader: CsvReader,
        text: io.TextIOWrapper,
        layout: _Layout,
        header_line: int,
        region: str,
        tz: ZoneInfo,
    ) -> None:
        self.kind = kind
        self.columns = columns
        self._reader = reader
        self._text = text
        self._layout = layout
        self._header_line = header_line
        self._region = region
        self._tz = tz
        self._consumed = False

    def rows(self) -> Iterator[ParsedRow | RowError]:
        """Yield each data line in file order, parsed or with the reason it was rejected."""
        if self._consumed:
            raise RuntimeError("The rows of a delivery file can be read once; open it again.")
        self._consumed = True
        return self._parse_rows()

    def _parse_rows(self) -> Iterator[ParsedRow | RowError]:
        reader = self._reader
        width = self._layout.width
        parse = _RowReader(self._layout, self.kind, self._region, self._tz).parse
        not_utf8 = _NOT_UTF8.search
        line_num = self._header_line
        try:
            while True:
                # A record starts on the line after the previous one ended; line_num counts the
                # lines a quoted field spans, so the numbers after it stay right.
                row = line_num + 1
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    line_num = reader.line_num
                    yield RowError(row, f"The line is not valid CSV ({exc}).")
                    continue
                line_num = reader.line_num

                joined = "".join(cells)
                if not joined or joined.isspace():
                    continue
                if not joined.isascii() and not_utf8(joined):
                    yield RowError(row, "The line is not UTF-8 text; export the file as CSV UTF-8.")
                elif len(cells) != width and (len(cells) < width or "".join(cells[width:]).strip()):
                    yield RowError(
                        row, f"The line has {len(cells)} cells where the header has {width}."
                    )
                else:
                    yield parse(row, cells)
        finally:
            _release(self._text)


class _RowReader:
    """Turns the cells of one line into a ``ParsedRow`` or the ``RowError`` saying why not."""

    __slots__ = (
        "_card",
        "_comment",
        "_event",
        "_phone",
        "_read_time",
        "_record",
        "_region",
        "_time",
    )

    def __init__(self, layout: _Layout, kind: DeliveryKind, region: str, tz: ZoneInfo) -> None:
        self._record = layout.record_id
        self._card = layout.card_id
        self._phone = layout.phone
        self._time = layout.timestamp
        self._comment = layout.comment
        self._event = str(kind.event)
        self._region = region
        self._read_time = TimestampReader(tz).read

    def parse(self, row: int, cells: list[str]) -> ParsedRow | RowError:
        """Read the cells of line ``row``; every problem of the line is named in its error."""
        card_id = cells[self._card].strip().upper()
        card_problem = None
        if not card_id:
            card_problem = "The card id is empty."
        elif not is_card_id(card_id):
            card_problem = "The card id must be 1 to 64 printable characters without spaces."
        phone_problem = None
        raw_phone = cells[self._phone]
        try:
            phone = normalize_phone(raw_phone, region=self._region)
        except InvalidPhone as exc:
            # One bad contact number must not lose a card's event: keep the phone as written.
            phone = raw_phone.strip()[:MAX_RAW_PHONE]
            phone_problem = str(exc)
        occurred_at = None
        time_problem = None
        try:
            occurred_at = self._read_time(cells[self._time].strip())
        except ValueError as exc:
            time_problem = str(exc)
        if card_problem is not None or occurred_at is None:
            problems = (card_problem, phone_problem, time_problem)
            return RowError(row, " ".join(p for p in problems if p is not None))
        warning = None if phone_problem is None else phone_problem + _KEPT_AS_WRITTEN

        record_id = "" if self._record is None else cells[self._record].strip()
        comment = None if self._comment is None else cells[self._comment].strip() or None
        event = self._event
        iso = occurred_at.isoformat()
        return ParsedRow(
            row=row,
            record_id=record_id,
            card_id=card_id,
            phone=phone,
            event=event,
            occurred_at=occurred_at,
            comment=comment,
            natural_key=_natural_key(event, card_id, iso),
            occurred_at_iso=iso,
            warning=warning,
        )


@dataclass(frozen=True, slots=True)
class _Layout:
    width: int
    record_id: int | None
    card_id: int
    phone: int
    timestamp: int
    comment: int | None


def _natural_key(event: str, card_id: str, occurred_at_utc_iso: str) -> str:
    # "|" cannot occur in an event name or an ISO instant, so the parts stay apart even when
    # the card id between them holds one.
    return hashlib.sha256(f"{event}|{card_id}|{occurred_at_utc_iso}".encode()).hexdigest()


def _clean_header_cell(cell: str) -> str:
    return " ".join(cell.replace("\ufeff", "").split())


def _header_key(cell: str) -> str:
    return _clean_header_cell(cell.replace("_", " ")).casefold()


def _read_header(reader: CsvReader) -> tuple[list[str], int]:
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            raise EmptyFile("The file is empty.") from None
        except csv.Error as exc:
            raise UnreadableFile(f"The header line is not valid CSV ({exc}).") from None
        joined = "".join(cells)
        if not joined.strip():
            continue
        if _NOT_UTF8.search(joined):
            raise UnreadableFile("The file is not UTF-8 text; export it as CSV UTF-8.")
        if "\x00" in joined:
            raise UnreadableFile("The file is binary, not CSV text; export it as CSV UTF-8.")
        return cells, reader.line_num


def _layout_of(header: Sequence[str]) -> _Layout:
    keys = [_header_key(cell) for cell in header]
    # Spreadsheets often end the header with empty cells; they are not columns.
    while keys and not keys[-1]:
        keys.pop()
    found = [_clean_header_cell(cell) for cell in header]
    positions: dict[_Role, int] = {}
    for index, key in enumerate(keys):
        role = _COLUMN_NAMES.get(key)
        if role is None and key in _KIND_TIMESTAMP_COLUMNS:
            role = _Role.TIMESTAMP
        if role is None:
            continue  # other columns are allowed and ignored
        if role in positions:
            raise UnrecognisedHeader(
                f"The header has more than one {_ROLE_NOUN[role]} column; keep one.",
                expected=list(EXPECTED_COLUMNS),
                found=found,
                missing=[],
            )
        positions[role] = index
    missing = [str(role) for role in _REQUIRED_ROLES if role not in positions]
    if missing:
        raise UnrecognisedHeader(
            f"The header lacks the columns: {'; '.join(missing)}. Expected the columns: "
            f"{'; '.join(EXPECTED_COLUMNS)} (ID and Comment are optional).",
            expected=list(EXPECTED_COLUMNS),
            found=found,
            missing=missing,
        )
    return _Layout(
        width=len(keys),
        record_id=positions.get(_Role.RECORD_ID),
        card_id=positions[_Role.CARD_ID],
        phone=positions[_Role.PHONE],
        timestamp=positions[_Role.TIMESTAMP],
        comment=positions.get(_Role.COMMENT),
    )


def _release(text: io.TextIOWrapper) -> None:
    # Detach so that the wrapper, when collected, does not close the caller's stream.
    with contextlib.suppress(ValueError):
        text.detach()
