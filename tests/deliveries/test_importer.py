"""Importing local files: the child-process reader, resuming, and memory that stays flat."""

from __future__ import annotations

import pickle
import tracemalloc
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tessera.audit.service import CLI
from tessera.config import Settings
from tessera.deliveries.domain import ImportSource, ImportStatus
from tessera.deliveries.imports import jobs, orchestrator, parsing, reports
from tessera.deliveries.imports.batches import prepared_batches
from tessera.deliveries.imports.jobs import NewImport
from tessera.deliveries.imports.reader_process import from_wire, to_wire
from tessera.deliveries.partners import ReadingRules
from tessera.models import DEFAULT_FIRM_ID, CardDeliveryEvent, CardDeliveryStatus, DeliveryImport
from tessera.runtime import Runtime
from tests.support.deliveries import BreaksAfter, csv_bytes


def pickup_lines(count: int, *, start: int = 0) -> list[str]:
    """``count`` pickup lines, two per card, every 50th one broken."""
    lines = []
    for i in range(start, start + count):
        stamp = "99-99-2023 10:00" if i % 50 == 49 else f"12-11-2023 {i % 24:02d}:{i % 60:02d}"
        lines.append(f"{i},ZYW{i // 2:06d},0585949014,{stamp},")
    return lines


def write_file(path: Path, lines: list[str]) -> Path:
    path.write_bytes(csv_bytes(*lines))
    return path


def job_of(runtime: Runtime, import_id: str) -> DeliveryImport:
    with runtime.db.session_scope(write=False) as session:
        job = session.get(DeliveryImport, import_id)
        assert job is not None
        return job


def statuses(runtime: Runtime) -> list[tuple[object, ...]]:
    with runtime.db.session_scope(write=False) as session:
        return [
            (s.card_id, s.status, s.status_at, s.delivery_attempts)
            for s in session.scalars(
                sa.select(CardDeliveryStatus).order_by(CardDeliveryStatus.card_id)
            )
        ]


class TestChildProcessReader:
    def test_a_batch_arrives_as_it_was_sent(self, tmp_path: Path) -> None:
        path = write_file(tmp_path / "x - Pickup.csv", pickup_lines(200))
        with path.open("rb") as stream:
            rows = parsing.read_delivery_file(stream, filename=path.name, kind=None).rows()
            batches = list(
                prepared_batches(
                    rows, skip_until=0, size=80, firm_id="f", import_id="i", sqlite_times=True
                )
            )
        assert len(batches) == 3
        assert all(batch.cards and batch.rejected for batch in batches)
        for batch in batches:
            assert from_wire(pickle.loads(pickle.dumps(to_wire(batch)))) == batch  # noqa: S301 - our own bytes

    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(
            update={"delivery_parallel_parse_min_bytes": 0, "delivery_batch_rows": 300}
        )

    def test_a_file_parsed_in_a_child_imports_like_one_parsed_in_process(
        self, runtime: Runtime, tmp_path: Path
    ) -> None:
        path = write_file(tmp_path / "big - Pickup.csv", pickup_lines(1000))
        result = orchestrator.import_local_file(
            runtime, path, firm_id=DEFAULT_FIRM_ID, partner=None, kind=None
        )
        assert result.report is not None
        job = result.report.job
        assert (job.rows_total, job.rows_imported, job.rows_rejected) == (1000, 980, 20)
        assert [row for row, _ in result.report.errors] == [51 + 50 * k for k in range(20)]
        child_statuses = statuses(runtime)

        # The same file parsed in-process gives the same statuses (after a fresh start).
        with runtime.db.session_scope() as session:
            for table in (CardDeliveryEvent, CardDeliveryStatus):
                session.execute(sa.delete(table))
        runtime.settings = runtime.settings.model_copy(
            update={"delivery_parallel_parse_min_bytes": 10**9}
        )
        again = orchestrator.import_local_file(
            runtime, path, firm_id=DEFAULT_FIRM_ID, partner=None, kind=None
        )
        assert again.report is not None
        assert again.report.job.rows_imported == 980
        assert statuses(runtime) == child_statuses

    def test_a_file_that_cannot_be_read_fails_the_import(
        self, runtime: Runtime, tmp_path: Path
    ) -> None:
        path = write_file(tmp_path / "x - Pickup.csv", pickup_lines(10))
        result = orchestrator.import_local_file(
            runtime, path, firm_id=DEFAULT_FIRM_ID, partner=None, kind=None
        )
        assert result.report is not None
        # The file changes under our feet before a re-run: its header is gone.
        path.write_bytes(b"\xff\xfe" + "garbage".encode("utf-16-le"))
        with runtime.db.session_scope() as session:
            job = jobs.create_import(
                session,
                NewImport(
                    firm_id=DEFAULT_FIRM_ID,
                    kind="pickup",
                    source=ImportSource.CLI,
                    source_path=str(path),
                    file_name=path.name,
                    file_hash="0" * 64,
                    file_size=path.stat().st_size,
                    rules=ReadingRules(None, "AE", "Asia/Dubai"),
                    created_by=None,
                ),
                status=ImportStatus.PROCESSING,
                actor=CLI,
                now=runtime.now(),
            )
            import_id = job.id
        orchestrator.run_import(
            runtime, import_id=import_id, open_stream=lambda: path.open("rb"), path=path
        )
        failed = job_of(runtime, import_id)
        assert failed.status == "failed"
        assert failed.failure is not None
        assert "UTF-8" in failed.failure


class TestResume:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(
            update={"delivery_parallel_parse_min_bytes": 0, "delivery_batch_rows": 100}
        )

    def test_rerunning_the_file_after_a_crash_resumes_the_same_import(
        self, runtime: Runtime, tmp_path: Path
    ) -> None:
        path = write_file(tmp_path / "crash - Pickup.csv", pickup_lines(600))
        with path.open("rb") as stream:
            digest, size = orchestrator.file_digest(stream)
        with runtime.db.session_scope() as session:
            import_id = jobs.create_import(
                session,
                NewImport(
                    firm_id=DEFAULT_FIRM_ID,
                    kind="pickup",
                    source=ImportSource.CLI,
                    source_path=str(path),
                    file_name=path.name,
                    file_hash=digest,
                    file_size=size,
                    rules=ReadingRules(None, "AE", "Asia/Dubai"),
                    created_by=None,
                ),
                status=ImportStatus.PROCESSING,
                actor=CLI,
                now=runtime.now(),
            ).id
        with pytest.raises(OSError, match="died"):
            orchestrator.run_import(
                runtime,
                import_id=import_id,
                open_stream=lambda: BreaksAfter(path, size // 2),  # type: ignore[arg-type,return-value]
            )
        half = job_of(runtime, import_id)
        assert 0 < half.rows_total < 600

        # Within the lease the import may still be alive elsewhere: a new import starts.
        # After it, `tessera deliveries import` of the same file picks the dead one up.
        real_clock = runtime.clock
        runtime.clock = lambda: real_clock() + timedelta(seconds=orchestrator.LEASE_SECONDS + 1)
        result = orchestrator.import_local_file(
            runtime, path, firm_id=DEFAULT_FIRM_ID, partner=None, kind=None
        )
        assert result.resumed
        assert result.report is not None
        done = result.report.job
        assert done.id == import_id
        assert (done.status, done.rows_total, done.rows_imported, done.rows_duplicate) == (
            "completed",
            600,
            588,
            0,
        )
        assert done.rows_rejected == 12
        with runtime.db.session_scope(write=False) as session:
            stored = session.scalar(sa.select(sa.func.count()).select_from(CardDeliveryEvent))
        assert stored == 588


class TestMemory:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(
            update={"delivery_parallel_parse_min_bytes": 10**9, "delivery_batch_rows": 500}
        )

    def test_memory_does_not_grow_with_the_file(self, runtime: Runtime, tmp_path: Path) -> None:
        def peak_for(rows: int, start: int) -> int:
            path = write_file(tmp_path / f"m{rows} - Pickup.csv", pickup_lines(rows, start=start))
            tracemalloc.start()
            try:
                result = orchestrator.import_local_file(
                    runtime, path, firm_id=DEFAULT_FIRM_ID, partner=None, kind=None
                )
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
            assert result.report is not None
            assert result.report.job.rows_total == rows
            return peak

        small = peak_for(2_000, 0)
        large = peak_for(16_000, 100_000)
        # Eight times the rows, about the same memory: batches, not the file, are held.
        assert large < small * 1.5, (small, large)


class TestDuplicateOf:
    """``duplicate_of`` names the earliest completed import of the same bytes, by creation time."""

    def add_completed(self, runtime: Runtime, import_id: str, created_at_minute: int) -> None:
        created = runtime.now().replace(microsecond=0) + timedelta(minutes=created_at_minute)
        with runtime.db.session_scope() as session:
            session.add(
                DeliveryImport(
                    id=import_id,
                    firm_id=DEFAULT_FIRM_ID,
                    partner=None,
                    kind="pickup",
                    source=ImportSource.API.value,
                    source_path=None,
                    file_name="same - Pickup.csv",
                    file_hash="ab" * 32,
                    file_size=10,
                    phone_region="AE",
                    timezone="Asia/Dubai",
                    status=ImportStatus.COMPLETED.value,
                    rows_total=0,
                    rows_imported=0,
                    rows_duplicate=0,
                    rows_rejected=0,
                    resume_line=1,
                    created_by=None,
                    created_at=created,
                    completed_at=created,
                )
            )

    def duplicate_of(self, runtime: Runtime, import_id: str) -> str | None:
        with runtime.db.session_scope(write=False) as session:
            return reports.report_of(session, job_of(runtime, import_id)).duplicate_of

    def test_ids_that_sort_against_creation_order_do_not_matter(self, runtime: Runtime) -> None:
        # The first import has the id that sorts last, the re-imports ids that sort earlier.
        self.add_completed(runtime, "dim_ZZZZ", 0)
        self.add_completed(runtime, "dim_AAAA", 1)
        self.add_completed(runtime, "dim_MMMM", 2)
        assert self.duplicate_of(runtime, "dim_ZZZZ") is None
        assert self.duplicate_of(runtime, "dim_AAAA") == "dim_ZZZZ"
        assert self.duplicate_of(runtime, "dim_MMMM") == "dim_ZZZZ"

    def test_two_imports_made_in_the_same_instant_are_ordered_by_id(self, runtime: Runtime) -> None:
        self.add_completed(runtime, "dim_BBBB", 0)
        self.add_completed(runtime, "dim_CCCC", 0)
        assert self.duplicate_of(runtime, "dim_BBBB") is None
        assert self.duplicate_of(runtime, "dim_CCCC") == "dim_BBBB"
