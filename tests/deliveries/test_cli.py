"""`tessera deliveries ...` run as a real process against the test database."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import sqlalchemy as sa

from tessera.config import Settings
from tessera.deliveries.status import queries, service
from tessera.models import DEFAULT_FIRM_ID, DeliveryImport, DeliveryPartner
from tessera.runtime import Runtime
from tessera.visibility import Visibility
from tests.support.deliveries import SAMPLE_NAMES, SAMPLES
from tests.support.processes import cli_env, run_cli


def deliveries(
    settings: Settings, *args: str, columns: int = 200
) -> subprocess.CompletedProcess[str]:
    """`tessera deliveries ARGS`, printing for a terminal ``columns`` wide."""
    return run_cli(settings, "deliveries", *args, env=cli_env(settings, COLUMNS=str(columns)))


class TestImportCommand:
    def test_folders_and_globs_are_imported_with_a_summary(
        self, settings: Settings, tmp_path: Path, runtime: Runtime
    ) -> None:
        folder = tmp_path / "drop"
        folder.mkdir()
        for key in ("pickup", "exceptions"):
            shutil.copy(SAMPLES / SAMPLE_NAMES[key], folder / SAMPLE_NAMES[key])
        pattern = str(SAMPLES / "*Deliver*.csv")  # Delivered and (again) Delivery exceptions

        result = deliveries(settings, "import", str(folder), pattern)

        assert result.returncode == 0, result.stderr + result.stdout
        summary = result.stdout
        assert "Delivery imports" in summary
        for name in ("Pickup.csv", "Delivered.csv", "Delivery exceptions.csv"):
            assert name in summary
        with runtime.db.session_scope(write=False) as session:
            jobs = list(
                session.scalars(sa.select(DeliveryImport).order_by(DeliveryImport.created_at))
            )
            view = service.delivery_for_reference(
                session, firm_id=DEFAULT_FIRM_ID, reference="ZYW7631"
            )
        # The exceptions file came twice (folder and glob, different paths): once imported.
        assert [(j.kind, j.rows_imported, j.rows_duplicate) for j in jobs] == [
            ("delivery_exception", 2, 0),
            ("pickup", 3, 0),
            ("delivered", 2, 0),
            ("delivery_exception", 0, 2),
        ]
        assert all(j.source == "cli" and j.status == "completed" for j in jobs)
        assert view is not None
        assert view.status == "delivered"

    def test_a_refused_file_is_reported_and_fails_the_command(
        self, settings: Settings, tmp_path: Path
    ) -> None:
        bad = tmp_path / "Bad - Pickup.csv"
        bad.write_bytes(b"Name,Amount\r\nx,1\r\n")
        result = deliveries(settings, "import", str(bad))
        assert result.returncode == 1
        assert "refused" in result.stdout
        assert "Card ID" in result.stdout

    def test_nothing_matching_is_an_error(self, settings: Settings, tmp_path: Path) -> None:
        result = deliveries(settings, "import", str(tmp_path / "none-*.csv"))
        assert result.returncode == 2
        assert "no file matches" in result.stderr


class TestWatchCommand:
    def test_once_processes_the_folder_and_exits(
        self, settings: Settings, tmp_path: Path, runtime: Runtime
    ) -> None:
        inbox = tmp_path / "inbox"
        inbox.mkdir()
        for name in SAMPLE_NAMES.values():
            shutil.copy(SAMPLES / name, inbox / name)
        result = deliveries(settings, "watch", str(inbox), "--once")
        assert result.returncode == 0, result.stderr + result.stdout
        assert sorted(p.name for p in (inbox / "processed").iterdir()) == sorted(
            [*SAMPLE_NAMES.values(), *(f"{n}.report.json" for n in SAMPLE_NAMES.values())]
        )
        assert "3 imported" in result.stdout
        with runtime.db.session_scope(write=False) as session:
            sources = set(session.scalars(sa.select(DeliveryImport.source)))
        assert sources == {"watch"}


class TestPartnersCommand:
    def test_a_partner_region_and_zone_apply_to_its_files(
        self, settings: Settings, tmp_path: Path, runtime: Runtime
    ) -> None:
        result = deliveries(
            settings,
            "partners",
            "set",
            "UK Couriers",
            "--region",
            "GB",
            "--timezone",
            "Europe/London",
        )
        assert result.returncode == 0, result.stderr
        listed = deliveries(settings, "partners", "list")
        assert "uk couriers" in listed.stdout
        assert "Europe/London" in listed.stdout

        drop = tmp_path / "uk - Pickup.csv"
        drop.write_bytes(b"Card ID,Phone,Timestamp\r\nUK1001,07911 123456,12-11-2023 10:00\r\n")
        imported = deliveries(settings, "import", str(drop), "--partner", "uk couriers")
        assert imported.returncode == 0, imported.stderr + imported.stdout
        with runtime.db.session_scope(write=False) as session:
            partner = session.scalar(sa.select(DeliveryPartner))
            view = service.delivery_for_reference(
                session, firm_id=DEFAULT_FIRM_ID, reference="UK1001"
            )
            status = queries.status_by_card(
                session, visibility=Visibility.firm(DEFAULT_FIRM_ID), card_id="UK1001"
            )
        assert partner is not None
        assert (partner.name, partner.phone_region) == ("uk couriers", "GB")
        assert view is not None
        # 10:00 in London in November is 10:00 UTC (Dubai would have given 06:00).
        assert view.status_at.isoformat() == "2023-11-12T10:00:00+00:00"
        assert status[0].phone == "+447911123456"

    def test_an_unknown_time_zone_is_refused(self, settings: Settings, tmp_path: Path) -> None:
        result = deliveries(
            settings,
            "partners",
            "set",
            "x",
            "--region",
            "AE",
            "--timezone",
            "Mars/Base",
        )
        assert result.returncode == 2
        assert "time zone" in result.stderr


class TestImportSummary:
    """What an operator reads after `tessera deliveries import` in an 80-column terminal."""

    def _import(self, settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
        return deliveries(settings, "import", *args, columns=80)

    def _with_rejections(self, tmp_path: Path) -> Path:
        bad = tmp_path / "Partly bad - Pickup.csv"
        bad.write_bytes(
            b"ID,Card ID,User Mobile,Timestamp\r\n"
            b"1,ZYW1001,585949014,12-11-2023 11:59 PM\r\n"
            b"2,ZYW1002,585949014,31-02-2023 11:59 PM\r\n"
            b"3,ZYW1003,9.71535E+11,12-11-2023 11:59 PM\r\n"
        )
        return bad

    def test_fits_80_columns_and_names_the_firm(
        self, settings: Settings, tmp_path: Path, runtime: Runtime
    ) -> None:
        result = self._import(settings, str(SAMPLES), str(self._with_rejections(tmp_path)))

        assert result.returncode == 0, result.stdout + result.stderr
        lines = result.stdout.splitlines()
        assert max(len(line) for line in lines) <= 80
        assert "importing into firm default (Default firm)" in lines
        assert "Delivery imports into default (Default firm)" in result.stdout
        words = " ".join(result.stdout.split())  # long file names wrap
        for name in SAMPLE_NAMES.values():
            assert name in words
        assert "  line 3: " in result.stdout
        assert "  line 4 (imported, warning): " in result.stdout
        total = next(line for line in lines if line.strip().startswith("total"))
        assert total.split()[1:] == ["11", "10", "0", "1", "1"]

    def test_strict_fails_when_rows_were_rejected(self, settings: Settings, tmp_path: Path) -> None:
        bad = self._with_rejections(tmp_path)

        lenient = self._import(settings, str(bad))
        strict = self._import(settings, "--strict", str(bad))
        clean = self._import(settings, "--strict", str(SAMPLES))

        assert lenient.returncode == 0, lenient.stdout
        assert strict.returncode == 1
        assert "1 rows rejected (--strict)" in strict.stdout
        assert clean.returncode == 0, clean.stdout

    def test_an_unknown_firm_names_the_flag(self, settings: Settings, tmp_path: Path) -> None:
        result = self._import(settings, "--firm", "nope", str(SAMPLES))
        assert result.returncode == 2
        assert "no firm has the slug 'nope' (check --firm)" in result.stderr
