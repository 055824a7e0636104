"""In-schema validation: the database refuses bad card rows whatever code writes them.

Each test inserts with raw SQL, first a good row (so the test can fail), then bad ones.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from tessera.kit.ids import new_id
from tessera.models import DEFAULT_FIRM_ID
from tessera.runtime import Runtime

INSERT = sa.text(
    "INSERT INTO vault_cards (id, firm_id, holder_id, token, fingerprint, source, brand, bin, "
    "last4, pan_length, expiry, cardholder_name, key_version, sealed_number, created_at) "
    "VALUES (:id, :firm_id, NULL, :token, :fingerprint, :source, :brand, :bin, :last4, "
    ":pan_length, :expiry, :cardholder_name, :key_version, :sealed_number, :created_at)"
)


def _row(version: int, **overrides: Any) -> dict[str, Any]:
    row = {
        "id": new_id("vc"),
        "firm_id": DEFAULT_FIRM_ID,
        "token": new_id("tok"),
        "fingerprint": "f" * 64,
        "source": "registration",
        "brand": "visa",
        "bin": "411111",
        "last4": "1111",
        "pan_length": 16,
        "expiry": "2030-12-31",
        "cardholder_name": "Ada Lovelace",
        "key_version": version,
        "sealed_number": b"\x00" * 100,
        "created_at": datetime(2026, 11, 23, tzinfo=UTC).isoformat(" "),
    }
    row.update(overrides)
    return row


@pytest.fixture
def version(runtime: Runtime) -> int:
    with runtime.db.session_scope() as session:
        return runtime.keyring.active_version(session)


def _insert(runtime: Runtime, row: dict[str, Any]) -> None:
    with runtime.db.engine.begin() as conn:
        conn.execute(INSERT, row)


def _refused(runtime: Runtime, row: dict[str, Any]) -> None:
    with pytest.raises(sa.exc.DBAPIError):
        _insert(runtime, row)


class TestVaultCardConstraints:
    def test_a_good_row_is_accepted(self, runtime: Runtime, version: int) -> None:
        _insert(runtime, _row(version))
        with runtime.db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM vault_cards")).scalar_one() == 1

    @pytest.mark.parametrize("name", ["", "ab", "  ab  ", "   "])
    def test_refuses_a_cardholder_name_shorter_than_three(
        self, runtime: Runtime, version: int, name: str
    ) -> None:
        _refused(runtime, _row(version, cardholder_name=name))

    def test_accepts_a_three_character_name(self, runtime: Runtime, version: int) -> None:
        _insert(runtime, _row(version, cardholder_name="Abe"))

    @pytest.mark.parametrize("expiry", ["2030-12-30", "2028-02-28", "2030-11-01"])
    def test_refuses_an_expiry_that_is_not_a_month_end(
        self, runtime: Runtime, version: int, expiry: str
    ) -> None:
        _refused(runtime, _row(version, expiry=expiry))

    @pytest.mark.parametrize("expiry", ["2028-02-29", "2030-04-30", "2030-01-31"])
    def test_accepts_month_ends_including_leap_february(
        self, runtime: Runtime, version: int, expiry: str
    ) -> None:
        _insert(runtime, _row(version, expiry=expiry))

    @pytest.mark.parametrize("expiry", ["2030-02-30", "not a date", "2030-13-31"])
    def test_refuses_an_expiry_that_is_not_a_date(
        self, runtime: Runtime, version: int, expiry: str
    ) -> None:
        _refused(runtime, _row(version, expiry=expiry))

    def test_an_unpadded_date_is_refused_or_read_as_a_real_date(
        self, runtime: Runtime, version: int, backend: str
    ) -> None:
        # SQLite keeps dates as text, so text that is not YYYY-MM-DD must be refused; a
        # PostgreSQL date column reads it as the date it names, which is a month end.
        row = _row(version, expiry="2030-2-28")
        if backend == "sqlite":
            _refused(runtime, row)
            return
        _insert(runtime, row)
        with runtime.db.engine.connect() as conn:
            stored = conn.execute(
                sa.text("SELECT expiry FROM vault_cards WHERE id = :id"), {"id": row["id"]}
            ).scalar_one()
        assert stored.isoformat() == "2030-02-28"

    @pytest.mark.parametrize("expiry", ["2020-01-31", "2025-12-31"])
    def test_refuses_an_expiry_in_the_past_at_insert(
        self, runtime: Runtime, version: int, expiry: str
    ) -> None:
        _refused(runtime, _row(version, expiry=expiry))

    def test_refuses_moving_an_expiry_into_the_past(self, runtime: Runtime, version: int) -> None:
        row = _row(version)
        _insert(runtime, row)
        with pytest.raises(sa.exc.DBAPIError), runtime.db.engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE vault_cards SET expiry = '2020-01-31' WHERE id = :id"),
                {"id": row["id"]},
            )

    @pytest.mark.parametrize("bin", ["41111", "4111111", "41111a", "", "4111 1"])
    def test_refuses_a_malformed_bin(self, runtime: Runtime, version: int, bin: str) -> None:
        _refused(runtime, _row(version, bin=bin))

    @pytest.mark.parametrize("last4", ["111", "11111", "11a1", "", "1 11"])
    def test_refuses_a_malformed_last4(self, runtime: Runtime, version: int, last4: str) -> None:
        _refused(runtime, _row(version, last4=last4))

    @pytest.mark.parametrize(
        "override",
        [{"brand": "visa-ish"}, {"pan_length": 11}, {"pan_length": 20}, {"source": "guess"}],
    )
    def test_refuses_unknown_brands_sources_and_lengths(
        self, runtime: Runtime, version: int, override: dict[str, Any]
    ) -> None:
        _refused(runtime, _row(version, **override))

    def test_refuses_a_second_issued_card_with_the_same_number_in_a_firm(
        self, runtime: Runtime, version: int
    ) -> None:
        _insert(runtime, _row(version, source="issued"))
        _refused(runtime, _row(version, source="issued"))
        # Registered cards may repeat (a rejected registration can be made again).
        _insert(runtime, _row(version))
        _insert(runtime, _row(version))


class TestFirmBinRangeConstraint:
    @pytest.mark.parametrize(
        ("start", "end"),
        [("40001", "40001"), ("400012", "4000129"), ("400019", "400012"), ("40001a", "40001a")],
    )
    def test_refuses_a_malformed_range(self, runtime: Runtime, start: str, end: str) -> None:
        with pytest.raises(sa.exc.DBAPIError), runtime.db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE firms SET issuing_bin = :start, issuing_bin_end = :end WHERE id = :id"
                ),
                {"start": start, "end": end, "id": DEFAULT_FIRM_ID},
            )

    def test_accepts_a_range(self, runtime: Runtime) -> None:
        with runtime.db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE firms SET issuing_bin = '40001200', issuing_bin_end = '40001299' "
                    "WHERE id = :id"
                ),
                {"id": DEFAULT_FIRM_ID},
            )
