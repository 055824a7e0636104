"""Tests for reading courier CSV files into delivery events."""

from __future__ import annotations

import io
import re
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tessera.deliveries.imports.batches import sqlite_time_of_iso
from tessera.deliveries.imports.bulk_writer import sqlite_datetime
from tessera.deliveries.imports.parsing import (
    DeliveryFile,
    DeliveryKind,
    ParsedRow,
    RowError,
    UndeterminedKind,
    UnreadableFile,
    UnrecognisedHeader,
    detect_kind,
    natural_key,
    read_delivery_file,
    read_timestamp,
)
from tests.support.deliveries import SAMPLES

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

HEADER = "ID ,Card ID,User contact,Timestamp,Comment"


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


def open_csv(
    data: bytes | str,
    *,
    filename: str = "Sample Card Status Info - Pickup.csv",
    kind: DeliveryKind | None = None,
    region: str = "AE",
) -> DeliveryFile:
    raw = data.encode() if isinstance(data, str) else data
    return read_delivery_file(io.BytesIO(raw), filename=filename, kind=kind, region=region)


def parse(data: bytes | str, *, kind: DeliveryKind | None = None) -> list[ParsedRow | RowError]:
    return list(open_csv(data, kind=kind).rows())


def parse_sample(name: str) -> tuple[DeliveryFile, list[ParsedRow | RowError]]:
    path = SAMPLES / f"Sample Card Status Info - {name}.csv"
    with path.open("rb") as stream:
        delivery_file = read_delivery_file(stream, filename=path.name, kind=None)
        return delivery_file, list(delivery_file.rows())


def row_values(row: ParsedRow | RowError) -> tuple[object, ...]:
    assert isinstance(row, ParsedRow), row
    return (row.row, row.record_id, row.card_id, row.phone, row.event, row.occurred_at, row.comment)


class TestSampleFiles:
    def test_pickup(self) -> None:
        delivery_file, rows = parse_sample("Pickup")
        assert delivery_file.kind is DeliveryKind.PICKUP
        assert delivery_file.columns == ["ID", "Card ID", "User Mobile", "Timestamp"]
        assert [row_values(row) for row in rows] == [
            (2, "332", "ZYW8827", "+971585949014", "picked_up", utc(2023, 11, 12, 19, 59), None),
            (3, "465", "ZYW8890", "+971534534534", "picked_up", utc(2023, 11, 11, 23, 45), None),
            (4, "878", "ZYW7631", "+971545576586", "picked_up", utc(2023, 11, 13, 7, 2), None),
        ]

    def test_delivery_exceptions(self) -> None:
        delivery_file, rows = parse_sample("Delivery exceptions")
        assert delivery_file.kind is DeliveryKind.DELIVERY_EXCEPTION
        assert [row_values(row) for row in rows] == [
            (
                2,
                "A982",
                "ZYW8890",
                "+971534534534",
                "delivery_exception",
                utc(2023, 11, 13, 10, 0),
                "User not available",
            ),
            (
                3,
                "A073",
                "ZYW7631",
                "+971545576586",
                "delivery_exception",
                utc(2023, 11, 13, 12, 0),
                "User declined to accept package",
            ),
        ]

    def test_delivered(self) -> None:
        delivery_file, rows = parse_sample("Delivered")
        assert delivery_file.kind is DeliveryKind.DELIVERED
        assert delivery_file.columns == ["ID", "Card ID", "User contact", "Timestamp", "Comment"]
        assert [row_values(row) for row in rows] == [
            (
                2,
                "A883",
                "ZYW8827",
                "+971585949014",
                "delivered",
                utc(2023, 11, 13, 9, 34, 56),
                "DELIVERED",
            ),
            (
                3,
                "A073",
                "ZYW7631",
                "+971545576586",
                "delivered",
                utc(2023, 11, 14, 12, 34, 56),
                "DELIVERED",
            ),
        ]

    def test_returned(self) -> None:
        delivery_file, rows = parse_sample("Returned")
        assert delivery_file.kind is DeliveryKind.RETURNED
        assert [row_values(row) for row in rows] == [
            (2, "A982", "ZYW8890", "+971534534534", "returned", utc(2023, 11, 14, 8, 0), None),
        ]

    def test_times_are_utc_and_keys_identify_the_event(self) -> None:
        _, rows = parse_sample("Pickup")
        first = rows[0]
        assert isinstance(first, ParsedRow)
        assert first.occurred_at.isoformat() == "2023-11-12T19:59:00+00:00"
        assert re.fullmatch(r"[0-9a-f]{64}", first.natural_key)
        assert first.natural_key == natural_key(
            event="picked_up", card_id="ZYW8827", occurred_at=first.occurred_at
        )

    def test_the_sample_files_are_read_unmodified(self) -> None:
        # The tests above depend on the quirks being there: CRLF, no final newline, "ID ".
        data = (SAMPLES / "Sample Card Status Info - Delivered.csv").read_bytes()
        assert data.startswith(b"ID ,Card ID,User contact")
        assert b"\r\n" in data
        assert not data.endswith(b"\n")
        assert b'"""0585949014"""' in data


class TestDetectKind:
    @pytest.mark.parametrize(
        ("filename", "kind"),
        [
            ("Sample Card Status Info - Pickup.csv", DeliveryKind.PICKUP),
            ("Sample Card Status Info - Delivery exceptions.csv", DeliveryKind.DELIVERY_EXCEPTION),
            ("Sample Card Status Info - Delivered.csv", DeliveryKind.DELIVERED),
            ("Sample Card Status Info - Returned.csv", DeliveryKind.RETURNED),
            ("C:\\exports\\2023-11-14_PICK-UP.CSV", DeliveryKind.PICKUP),
            ("uploads/zywa_delivered_20231114.csv", DeliveryKind.DELIVERED),
            ("returns.csv", DeliveryKind.RETURNED),
        ],
    )
    def test_the_file_name_names_the_kind(self, filename: str, kind: DeliveryKind) -> None:
        assert detect_kind(["ID", "Card ID", "User contact", "Timestamp"], filename) is kind

    @pytest.mark.parametrize("filename", ["export.csv", "undelivered.csv", "delivery.csv", ""])
    def test_nothing_is_guessed_from_a_name_that_names_no_kind(self, filename: str) -> None:
        assert detect_kind(["ID", "Card ID", "User contact", "Timestamp"], filename) is None

    def test_a_timestamp_column_named_after_its_event_names_the_kind(self) -> None:
        header = ["ID", "Card ID", "Phone", "Delivered At"]
        assert detect_kind(header, "export.csv") is DeliveryKind.DELIVERED
        assert detect_kind(["Card ID", "Phone", "pickup_timestamp"], "x.csv") is DeliveryKind.PICKUP

    def test_a_name_and_header_that_disagree_are_refused(self) -> None:
        with pytest.raises(UndeterminedKind, match="more than one kind"):
            detect_kind(["Card ID", "Phone", "Returned At"], "Delivered.csv")

    def test_a_name_with_two_kinds_is_refused(self) -> None:
        with pytest.raises(UndeterminedKind):
            detect_kind([], "delivered and returned.csv")

    def test_the_header_of_the_samples_alone_does_not_tell_the_kind(self) -> None:
        with pytest.raises(UndeterminedKind, match="give the kind"):
            open_csv(f"{HEADER}\r\nA1,ZYW1,0585949014,13-11-2023 14:00,x", filename="export.csv")

    def test_an_explicit_kind_wins_over_the_file_name(self) -> None:
        delivery_file = open_csv(
            f"{HEADER}\r\nA1,ZYW1,0585949014,13-11-2023 14:00,x",
            filename="Sample Card Status Info - Delivered.csv",
            kind=DeliveryKind.RETURNED,
        )
        assert delivery_file.kind is DeliveryKind.RETURNED
        [row] = list(delivery_file.rows())
        assert isinstance(row, ParsedRow)
        assert row.event == "returned"

    def test_each_kind_records_its_event(self) -> None:
        assert [kind.event for kind in DeliveryKind] == [
            "picked_up",
            "delivery_exception",
            "delivered",
            "returned",
        ]


class TestReadDeliveryFile:
    def test_a_header_without_needed_columns_lists_what_was_expected(self) -> None:
        with pytest.raises(UnrecognisedHeader) as caught:
            open_csv("Ref,Card,Mobile No,Timestamp\r\n1,ZYW1,0585949014,13-11-2023 14:00")
        error = caught.value
        assert error.expected == [
            "Card ID",
            "User Mobile, User contact, User Phone or Phone",
            "Timestamp",
        ]
        assert error.found == ["Ref", "Card", "Mobile No", "Timestamp"]
        assert error.missing == ["Card ID", "User Mobile, User contact, User Phone or Phone"]
        assert "Card ID" in str(error)

    def test_a_column_named_twice_is_refused(self) -> None:
        with pytest.raises(UnrecognisedHeader, match="more than one phone column"):
            open_csv("Card ID,User Mobile,Phone,Timestamp\r\n")

    def test_header_names_are_read_loosely(self) -> None:
        delivery_file = open_csv(
            " id ,CARD_ID,user   phone,TimeStamp,comments,Branch,,\r\n"
            "7,zyw-1,0585949014,13-11-2023 14:00,ok,Dubai,,\r\n"
        )
        [row] = list(delivery_file.rows())
        assert row_values(row) == (
            2,
            "7",
            "ZYW-1",
            "+971585949014",
            "picked_up",
            utc(2023, 11, 13, 10, 0),
            "ok",
        )

    def test_id_and_comment_columns_are_optional(self) -> None:
        [row] = parse("Card ID,Phone,Timestamp\r\nZYW1,0585949014,13-11-2023 14:00")
        assert isinstance(row, ParsedRow)
        assert (row.record_id, row.comment) == ("", None)

    @pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\r\n\r\n  \r\n", b",,,\r\n"])
    def test_an_empty_file_is_unreadable(self, data: bytes) -> None:
        with pytest.raises(UnreadableFile, match="empty"):
            open_csv(data)

    def test_a_header_only_file_has_no_rows(self) -> None:
        assert parse(HEADER) == []

    @pytest.mark.parametrize(
        "data",
        [
            f"{HEADER}\r\nA1,ZYW1,0585949014,13-11-2023 14:00,x".encode("utf-16"),
            "Card ID,Téléphone,Timestamp\r\n".encode("cp1252"),
        ],
    )
    def test_a_file_that_is_not_utf8_is_unreadable(self, data: bytes) -> None:
        with pytest.raises(UnreadableFile, match="not UTF-8"):
            open_csv(data)

    def test_a_binary_file_is_unreadable(self) -> None:
        with pytest.raises(UnreadableFile, match="binary"):
            open_csv(b"Card ID\x00,Phone\x00,Timestamp\r\n")

    def test_a_utf8_bom_is_not_part_of_the_first_column(self) -> None:
        data = f"\ufeff{HEADER}\r\nA1,ZYW1,0585949014,13-11-2023 14:00,x".encode()
        delivery_file = open_csv(data)
        assert delivery_file.columns[0] == "ID"
        [row] = list(delivery_file.rows())
        assert isinstance(row, ParsedRow)
        assert row.record_id == "A1"

    def test_an_unknown_region_fails_before_any_row(self) -> None:
        with pytest.raises(ValueError, match="Unknown phone region"):
            open_csv(HEADER, region="XX")

    def test_rows_can_be_read_once(self) -> None:
        delivery_file = open_csv(HEADER)
        list(delivery_file.rows())
        with pytest.raises(RuntimeError, match="once"):
            delivery_file.rows()

    def test_the_callers_stream_is_left_open(self) -> None:
        stream = io.BytesIO(f"{HEADER}\r\nA1,ZYW1,0585949014,13-11-2023 14:00,x".encode())
        delivery_file = read_delivery_file(stream, filename="Pickup.csv", kind=None)
        assert len(list(delivery_file.rows())) == 1
        assert not stream.closed
        with pytest.raises(UnrecognisedHeader):
            read_delivery_file(io.BytesIO(b"a,b\r\n"), filename="Pickup.csv", kind=None)

    def test_memory_stays_flat_for_a_large_file(self) -> None:
        row = "A1,ZYW0001,0585949014,13-11-2023 14:00," + "x" * 350 + "\r\n"
        count = 20_000  # about 8 MB

        class GeneratedCsv(io.RawIOBase):
            """A file that is never whole in memory."""

            def __init__(self) -> None:
                self.chunks: Iterator[bytes] = iter(
                    [f"{HEADER}\r\n".encode()] + [row.encode() * 100] * (count // 100)
                )
                self.pending = b""

            def readable(self) -> bool:
                return True

            def readinto(self, buffer: WriteableBuffer) -> int:
                if not self.pending:
                    self.pending = next(self.chunks, b"")
                view = memoryview(buffer)
                size = min(len(view), len(self.pending))
                view[:size] = self.pending[:size]
                self.pending = self.pending[size:]
                return size

        tracemalloc.start()
        try:
            stream = io.BufferedReader(GeneratedCsv())
            parsed = 0
            for item in read_delivery_file(stream, filename="Pickup.csv", kind=None).rows():
                parsed += isinstance(item, ParsedRow)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert parsed == count
        # The file is about 8 MB; reading it whole would show here.
        assert peak < 1_000_000, peak


class TestRows:
    def test_a_broken_row_is_reported_with_its_line_and_the_rest_is_read(self) -> None:
        rows = parse(
            f"{HEADER}\r\n"
            "A1,ZYW1,0585949014,13-11-2023 14:00,ok\r\n"
            "A2,ZYW2,0585949014,13-13-2023 14:00,ok\r\n"
            "A3,ZYW3,0534534534,13-11-2023 15:00,ok\r\n"
        )
        assert [type(row) for row in rows] == [ParsedRow, RowError, ParsedRow]
        error = rows[1]
        assert isinstance(error, RowError)
        assert error.row == 3
        assert "does not exist" in error.message
        assert [row.row for row in rows] == [2, 3, 4]

    @pytest.mark.parametrize(
        ("phone", "reason"),
        [
            ("9.71535E+11", "scientific notation"),
            ("12", "not a valid number"),
            ("", "phone number is empty"),
            ("call the office", "may only hold digits"),
        ],
    )
    def test_a_bad_phone_keeps_the_event_with_the_phone_as_written_and_a_warning(
        self, phone: str, reason: str
    ) -> None:
        rows = parse(
            f"{HEADER}\r\n"
            f"A1,ZYW1, {phone} ,13-11-2023 14:00,ok\r\n"
            "A2,ZYW2,0585949014,13-11-2023 14:00,ok\r\n"
        )
        first, second = rows
        assert isinstance(first, ParsedRow)
        assert (first.card_id, first.phone) == ("ZYW1", phone)
        assert first.warning is not None
        assert reason in first.warning
        assert first.warning.endswith("The event was imported with the phone as written.")
        assert isinstance(second, ParsedRow)
        assert (second.phone, second.warning) == ("+971585949014", None)

    @pytest.mark.parametrize(
        "card_id",
        ["TEST_ZYW1234", "Z", "A/12.3", "ZYW#1", "\u041a\u0410\u0420\u0422\u0410-1", "X" * 64],
    )
    def test_a_card_id_is_any_printable_text_without_spaces(self, card_id: str) -> None:
        [row] = parse(f"Card ID,Phone,Timestamp\r\n{card_id},0585949014,13-11-2023 14:00")
        assert isinstance(row, ParsedRow)
        assert row.card_id == card_id.upper()

    def test_line_numbers_count_lines_inside_quoted_fields(self) -> None:
        rows = parse(
            f"{HEADER}\r\n"
            'A1,ZYW1,0585949014,13-11-2023 14:00,"left at\r\nthe gate"\r\n'
            "A2,ZYW2,0585949014,31-02-2023 14:00,ok\r\n"
            "A3,ZYW3,0585949014,13-11-2023 14:00,ok\r\n"
        )
        assert [row.row for row in rows] == [2, 4, 5]
        first, error = rows[0], rows[1]
        assert isinstance(first, ParsedRow)
        assert first.comment == "left at\r\nthe gate"
        assert isinstance(error, RowError)
        assert "does not exist" in error.message

    def test_blank_lines_are_skipped_without_errors(self) -> None:
        rows = parse(
            f"{HEADER}\r\n\r\nA1,ZYW1,0585949014,13-11-2023 14:00,ok\r\n  \r\n,,,,\r\n\r\n\r\n"
        )
        assert [row_values(row)[:3] for row in rows] == [(3, "A1", "ZYW1")]

    def test_a_line_with_bytes_that_are_not_utf8_is_rejected_alone(self) -> None:
        data = (
            f"{HEADER}\r\n".encode()
            + "A1,ZYW1,0585949014,13-11-2023 14:00,Livré\r\n".encode("cp1252")
            + "A2,ZYW2,0585949014,13-11-2023 14:00,Livré\r\n".encode()
        )
        rows = parse(data)
        assert rows[0] == RowError(2, "The line is not UTF-8 text; export the file as CSV UTF-8.")
        assert isinstance(rows[1], ParsedRow)
        assert rows[1].comment == "Livré"

    @pytest.mark.parametrize(
        ("line", "cells"),
        [("A1,ZYW1,0585949014,13-11-2023 14:00", 4), ("A1,ZYW1,0585949014,x,ok,extra", 6)],
    )
    def test_a_line_with_the_wrong_number_of_cells_is_rejected(self, line: str, cells: int) -> None:
        [row] = parse(f"{HEADER}\r\n{line}")
        assert row == RowError(2, f"The line has {cells} cells where the header has 5.")

    def test_extra_empty_cells_after_the_last_column_are_ignored(self) -> None:
        [row] = parse(f"{HEADER}\r\nA1,ZYW1,0585949014,13-11-2023 14:00,ok,,")
        assert isinstance(row, ParsedRow)

    @pytest.mark.parametrize(
        ("cells", "reason"),
        [
            (",0585949014,13-11-2023 14:00", "card id is empty"),
            ("ZYW 1,0585949014,13-11-2023 14:00", "printable characters without spaces"),
            ("ZYW\u00a01,0585949014,13-11-2023 14:00", "printable characters without spaces"),
            ("ZYW\u200b1,0585949014,13-11-2023 14:00", "printable characters without spaces"),
            ("X" * 65 + ",0585949014,13-11-2023 14:00", "1 to 64"),
            ("ZYW1,0585949014,", "timestamp is empty"),
            ("ZYW1,0585949014,11/13/2023 2:00 PM", "does not exist"),
            ("ZYW1,0585949014,yesterday", "not in a known format"),
        ],
    )
    def test_each_bad_value_gives_a_reason(self, cells: str, reason: str) -> None:
        [row] = parse(f"Card ID,Phone,Timestamp\r\n{cells}")
        assert isinstance(row, RowError)
        assert reason in row.message

    def test_every_problem_of_a_line_is_named(self) -> None:
        [row] = parse("Card ID,Phone,Timestamp\r\n,abc,31-02-2023 10:00")
        assert row == RowError(
            2,
            "The card id is empty. The phone number may only hold digits, spaces, dashes, "
            "parentheses and a leading +. The timestamp names a date or time that does not exist.",
        )

    def test_messages_do_not_echo_the_values(self) -> None:
        [row] = parse("Card ID,Phone,Timestamp\r\nZYW 9,0599999999,99-99-9999 99:99")
        assert isinstance(row, RowError)
        assert "ZYW 9" not in row.message
        assert "0599999999" not in row.message

    def test_values_are_trimmed_and_card_ids_upper_cased(self) -> None:
        [row] = parse(f'{HEADER}\r\n A1 , zyw1 ," 0585949014 ", 13-11-2023 14:00 ,  ')
        assert row_values(row) == (
            2,
            "A1",
            "ZYW1",
            "+971585949014",
            "picked_up",
            utc(2023, 11, 13, 10, 0),
            None,
        )

    def test_the_natural_key_ignores_record_id_phone_and_comment(self) -> None:
        first, second, other = parse(
            f"{HEADER}\r\n"
            "A073,ZYW1,0585949014,13-11-2023 14:00,first\r\n"
            "A982,zyw1,+971 54 557 6586,2023-11-13T10:00:00Z,second\r\n"
            "A073,ZYW1,0585949014,13-11-2023 14:01,first\r\n"
        )
        assert isinstance(first, ParsedRow)
        assert isinstance(second, ParsedRow)
        assert isinstance(other, ParsedRow)
        assert first.natural_key == second.natural_key
        assert first.natural_key != other.natural_key

    def test_the_natural_key_depends_on_the_event(self) -> None:
        line = f"{HEADER}\r\nA1,ZYW1,0585949014,13-11-2023 14:00,x"
        [pickup] = parse(line, kind=DeliveryKind.PICKUP)
        [delivered] = parse(line, kind=DeliveryKind.DELIVERED)
        assert isinstance(pickup, ParsedRow)
        assert isinstance(delivered, ParsedRow)
        assert pickup.natural_key != delivered.natural_key

    def test_a_file_may_mix_timestamp_styles(self) -> None:
        rows = parse(
            "Card ID,Phone,Timestamp\r\n"
            "ZYW1,0585949014,12-11-2023 11:59 PM\r\n"
            "ZYW2,0585949014,2023-11-13T09:34:56Z\r\n"
            "ZYW3,0585949014,13-11-2023 14:00\r\n"
            "ZYW4,0585949014,12-11-2023 11:59 PM\r\n"
        )
        assert [row.occurred_at for row in rows if isinstance(row, ParsedRow)] == [
            utc(2023, 11, 12, 19, 59),
            utc(2023, 11, 13, 9, 34, 56),
            utc(2023, 11, 13, 10, 0),
            utc(2023, 11, 12, 19, 59),
        ]


class TestReadTimestamp:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("12-11-2023 11:59 PM", utc(2023, 11, 12, 19, 59)),
            ("12-11-2023 11:59PM", utc(2023, 11, 12, 19, 59)),
            ("12-11-2023 3:45 AM", utc(2023, 11, 11, 23, 45)),
            ("12-11-2023 03:45 am", utc(2023, 11, 11, 23, 45)),
            ("14-11-2023 12:00PM", utc(2023, 11, 14, 8, 0)),
            ("14-11-2023 12:00 AM", utc(2023, 11, 13, 20, 0)),
            ("14-11-2023 12:00:30 AM", utc(2023, 11, 13, 20, 0, 30)),
            ("13-11-2023 14:00", utc(2023, 11, 13, 10, 0)),
            ("13-11-2023 00:00", utc(2023, 11, 12, 20, 0)),
            ("13-11-2023 14:00:05", utc(2023, 11, 13, 10, 0, 5)),
            ("13/11/2023 14:00", utc(2023, 11, 13, 10, 0)),
            ("3/1/2023 9:05 PM", utc(2023, 1, 3, 17, 5)),
            ("2023-11-13T09:34:56Z", utc(2023, 11, 13, 9, 34, 56)),
            ("2023-11-13T13:34:56+04:00", utc(2023, 11, 13, 9, 34, 56)),
            ("2023-11-13T09:34:56.250+0000", utc(2023, 11, 13, 9, 34, 56, 250_000)),
            ("2023-11-13 13:34:56", utc(2023, 11, 13, 9, 34, 56)),
            ("  13-11-2023 14:00  ", utc(2023, 11, 13, 10, 0)),
        ],
    )
    def test_the_courier_styles_are_read_day_first(self, raw: str, expected: datetime) -> None:
        moment = read_timestamp(raw)
        assert moment == expected
        assert moment.tzinfo is UTC

    def test_an_ambiguous_date_is_read_day_first(self) -> None:
        assert read_timestamp("12-11-2023 10:00").month == 11

    def test_a_time_without_zone_is_in_the_partners_zone(self) -> None:
        london = ZoneInfo("Europe/London")
        assert read_timestamp("01-07-2023 10:00", tz=london) == utc(2023, 7, 1, 9, 0)
        assert read_timestamp("2023-07-01T10:00:00Z", tz=london) == utc(2023, 7, 1, 10, 0)

    @pytest.mark.parametrize(
        "raw",
        [
            "31-02-2023 10:00",
            "13-13-2023 10:00",
            "11-13-2023 10:00",
            "13-11-2023 24:00",
            "13-11-2023 10:60",
            "13-11-2023 0:30 AM",
            "13-11-2023 13:00 PM",
            "2023-02-30T10:00:00Z",
        ],
    )
    def test_impossible_dates_and_times_are_rejected(self, raw: str) -> None:
        with pytest.raises(ValueError, match="does not exist"):
            read_timestamp(raw)

    @pytest.mark.parametrize(
        "raw",
        [
            "",
            "13-11-23 14:00",
            "13-11-2023",
            "2023-11-13",
            "2023/11/13 14:00",
            "13.11.2023 14:00",
            "13-11/2023 14:00",
            "Nov 13 2023 2:00 PM",
            "13-11-2023T14:00",
            "1699866896",
            # Arabic-Indic digits: 13-11-2023 14:00
            "\u0661\u0663-\u0661\u0661-\u0662\u0660\u0662\u0663 \u0661\u0664:\u0660\u0660",
        ],
    )
    def test_other_formats_are_rejected_not_guessed(self, raw: str) -> None:
        with pytest.raises(ValueError, match=r"empty|not in a known format"):
            read_timestamp(raw)


class TestSqliteTimeOfIso:
    @given(
        moment=st.datetimes(
            min_value=datetime(1000, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
            max_value=datetime(9999, 12, 31),  # noqa: DTZ001
            timezones=st.just(UTC),
        )
    )
    def test_matches_formatting_the_instant(self, moment: datetime) -> None:
        assert sqlite_time_of_iso(moment.isoformat()) == sqlite_datetime(moment)

    def test_refuses_an_instant_that_is_not_utc(self) -> None:
        with pytest.raises(ValueError, match="not a UTC instant"):
            sqlite_time_of_iso("2023-11-13T09:34:56+04:00")
