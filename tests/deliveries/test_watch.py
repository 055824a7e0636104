"""The folder watcher, on real files in temporary folders, including restarts after a crash."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa

from tessera.audit.service import CLI
from tessera.config import Settings
from tessera.deliveries.domain import ImportSource, ImportStatus
from tessera.deliveries.imports import jobs, orchestrator
from tessera.deliveries.imports.jobs import NewImport
from tessera.deliveries.imports.watch import FolderLocked, UnsafeFolder, Watcher
from tessera.deliveries.partners import ReadingRules
from tessera.deliveries.status import service
from tessera.models import DEFAULT_FIRM_ID, CardDeliveryEvent, DeliveryImport
from tessera.runtime import Runtime
from tests.support.deliveries import SAMPLE_NAMES, SAMPLES, BreaksAfter, csv_bytes
from tests.support.logs import LogView

STATUS_CHANGED = "card_delivery.status_changed"


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


def watcher_for(runtime: Runtime, folder: Path) -> Watcher:
    watcher = Watcher(runtime, folder, firm_id=DEFAULT_FIRM_ID, settle_seconds=0)
    watcher.acquire()
    return watcher


def imports(runtime: Runtime) -> list[DeliveryImport]:
    with runtime.db.session_scope(write=False) as session:
        return list(session.scalars(sa.select(DeliveryImport).order_by(DeliveryImport.created_at)))


def stored_events(runtime: Runtime) -> int:
    with runtime.db.session_scope(write=False) as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(CardDeliveryEvent)) or 0)


class TestWatcher:
    def test_files_are_imported_and_moved_with_their_reports(
        self, runtime: Runtime, inbox: Path
    ) -> None:
        for name in SAMPLE_NAMES.values():
            shutil.copy(SAMPLES / name, inbox / name)
        (inbox / "notes.txt").write_text("not a courier file")
        (inbox / "Broken - Pickup.csv").write_bytes(b"Name,Amount\r\nx,1\r\n")

        watcher = watcher_for(runtime, inbox)
        assert watcher.scan_once() == 5
        watcher.release()

        assert sorted(p.name for p in inbox.iterdir()) == [
            ".tessera-watch.lock",
            "failed",
            "notes.txt",
            "processed",
        ]
        processed = inbox / "processed"
        for name in SAMPLE_NAMES.values():
            assert (processed / name).read_bytes() == (SAMPLES / name).read_bytes()
            report = json.loads((processed / f"{name}.report.json").read_text())
            assert report["status"] == "completed"
            assert report["rows_rejected"] == 0
        refused = json.loads((inbox / "failed" / "Broken - Pickup.csv.report.json").read_text())
        assert refused["error"]["code"] == "unrecognised_header"
        assert all(job.archived_at is not None for job in imports(runtime))

        with runtime.db.session_scope(write=False) as session:
            view = service.delivery_for_reference(
                session, firm_id=DEFAULT_FIRM_ID, reference="ZYW8890"
            )
        assert view is not None
        assert (view.status, view.delivery_attempts) == ("returned", 1)

    def test_a_report_lists_every_rejected_line(self, runtime: Runtime, inbox: Path) -> None:
        lines = [f"{i},ZYW{i:04d},585949014,not a time," for i in range(1200)]
        (inbox / "late - Pickup.csv").write_bytes(
            csv_bytes(*lines, "x,ZYW9999,585949014,12-11-2023 10:00,")
        )
        watcher = watcher_for(runtime, inbox)
        watcher.scan_once()
        watcher.release()
        report = json.loads((inbox / "processed" / "late - Pickup.csv.report.json").read_text())
        assert (report["rows_imported"], report["rows_rejected"]) == (1, 1200)
        assert [e["row"] for e in report["errors"]] == list(range(2, 1202))

    def test_a_second_file_of_the_same_name_keeps_both(self, runtime: Runtime, inbox: Path) -> None:
        name = SAMPLE_NAMES["pickup"]
        watcher = watcher_for(runtime, inbox)
        shutil.copy(SAMPLES / name, inbox / name)
        watcher.scan_once()
        (inbox / name).write_bytes(csv_bytes("1,ZYW4242,585949014,12-11-2023 10:00,"))
        watcher.scan_once()
        watcher.release()
        kept = sorted(
            p.name for p in (inbox / "processed").iterdir() if not p.name.endswith(".json")
        )
        assert len(kept) == 2
        assert name in kept

    def test_only_one_watcher_per_folder(self, runtime: Runtime, inbox: Path) -> None:
        first = watcher_for(runtime, inbox)
        with pytest.raises(FolderLocked):
            watcher_for(runtime, inbox)
        first.release()
        watcher_for(runtime, inbox).release()


class TestWatcherRestarts:
    def test_a_file_imported_but_not_moved_is_not_imported_again(
        self, runtime: Runtime, inbox: Path
    ) -> None:
        name = SAMPLE_NAMES["exceptions"]
        path = inbox / name
        shutil.copy(SAMPLES / name, path)
        # The watcher died after step 1 (import) and before step 3 (move).
        first = orchestrator.import_local_file(
            runtime,
            path,
            firm_id=DEFAULT_FIRM_ID,
            partner=None,
            kind=None,
            source=ImportSource.WATCH,
            actor=CLI,
        )
        assert first.report is not None
        events_before = stored_events(runtime)

        watcher = watcher_for(runtime, inbox)
        watcher.recover()
        assert watcher.scan_once() == 1
        watcher.release()

        jobs = imports(runtime)
        assert [job.id for job in jobs] == [first.report.job.id]
        assert jobs[0].archived_at is not None
        assert stored_events(runtime) == events_before
        report = json.loads((inbox / "processed" / f"{name}.report.json").read_text())
        assert (report["id"], report["rows_imported"]) == (first.report.job.id, 2)

    def test_a_file_cut_short_is_resumed_not_repeated(
        self, runtime: Runtime, inbox: Path, settings: Settings
    ) -> None:
        runtime.settings = settings.model_copy(update={"delivery_batch_rows": 2})
        lines = [f"{i},ZYW{i:04d},585949014,12-11-2023 10:{i:02d}," for i in range(9)]
        path = inbox / "big - Pickup.csv"
        path.write_bytes(csv_bytes(*lines))
        with path.open("rb") as stream:
            digest, size = orchestrator.file_digest(stream)
        with runtime.db.session_scope() as session:
            job = jobs.create_import(
                session,
                NewImport(
                    firm_id=DEFAULT_FIRM_ID,
                    kind="pickup",
                    source=ImportSource.WATCH,
                    source_path=str(path.resolve()),
                    file_name=path.name,
                    file_hash=digest,
                    file_size=size,
                    rules=ReadingRules(None, "AE", "Asia/Dubai"),
                    created_by=None,
                ),
                status=ImportStatus.PROCESSING,
                actor=CLI,
                now=runtime.now(),
            )
            import_id = job.id
        # The process dies part-way through the file: some batches are committed.
        with pytest.raises(OSError, match="died"):
            orchestrator.run_import(
                runtime,
                import_id=import_id,
                open_stream=lambda: BreaksAfter(path, size // 2),  # type: ignore[arg-type,return-value]
            )
        (half,) = imports(runtime)
        assert half.status == "processing"
        assert 0 < half.rows_imported < 9
        assert half.resume_line == half.rows_imported + 1

        watcher = watcher_for(runtime, inbox)
        watcher.recover()
        watcher.scan_once()
        watcher.release()

        (done,) = imports(runtime)
        assert done.id == import_id
        assert (done.status, done.rows_total, done.rows_imported, done.rows_duplicate) == (
            "completed",
            9,
            9,
            0,
        )
        assert stored_events(runtime) == 9
        assert (inbox / "processed" / path.name).exists()

    def test_a_file_moved_before_the_crash_is_only_marked(
        self, runtime: Runtime, inbox: Path
    ) -> None:
        name = SAMPLE_NAMES["returned"]
        path = inbox / name
        shutil.copy(SAMPLES / name, path)
        result = orchestrator.import_local_file(
            runtime,
            path,
            firm_id=DEFAULT_FIRM_ID,
            partner=None,
            kind=None,
            source=ImportSource.WATCH,
            actor=CLI,
        )
        assert result.report is not None
        # Steps 2 and 3 happened; the crash came before the import was marked archived.
        (inbox / "processed").mkdir()
        path.rename(inbox / "processed" / name)

        watcher = watcher_for(runtime, inbox)
        assert watcher.recover() == 1
        assert watcher.scan_once() == 0
        watcher.release()
        assert all(job.archived_at is not None for job in imports(runtime))


SECRET_LINE = "c2VjcmV0LW1hc3Rlci1rZXktdGhhdC1tdXN0LW5vdC1sZWFr"


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file outside the folder that whoever writes to the folder must not reach."""
    var = tmp_path / "var"
    var.mkdir()
    key = var / "master.key"
    key.write_text(SECRET_LINE + "\n")
    return key


def everything_written(inbox: Path) -> str:
    """The text of every report and file the watcher left in the folder, for searching."""
    return "".join(
        p.read_text(errors="replace")
        for p in inbox.rglob("*")
        if p.is_file() and not p.is_symlink()
    )


class TestWatcherNeverFollowsLinks:
    def test_a_symlink_to_a_secret_is_left_alone_and_its_target_neither_moved_nor_read(
        self, runtime: Runtime, inbox: Path, secret: Path, logs: LogView
    ) -> None:
        link = inbox / "steal - Pickup.csv"
        link.symlink_to(secret)

        watcher = watcher_for(runtime, inbox)
        assert watcher.scan_once(force=True) == 0
        watcher.scan_once(force=True)
        watcher.release()

        assert secret.read_text() == SECRET_LINE + "\n"
        assert link.is_symlink()
        assert link.resolve() == secret
        assert imports(runtime) == []
        assert SECRET_LINE not in everything_written(inbox)
        skipped = [r for r in logs.records() if r.get("event") == "delivery_watch_skipped"]
        assert [(r["file"], r["reason"]) for r in skipped] == [(link.name, "symlink")]

    def test_a_symlink_to_a_courier_file_elsewhere_is_not_imported(
        self, runtime: Runtime, inbox: Path, tmp_path: Path
    ) -> None:
        elsewhere = tmp_path / SAMPLE_NAMES["pickup"]
        shutil.copy(SAMPLES / SAMPLE_NAMES["pickup"], elsewhere)
        (inbox / elsewhere.name).symlink_to(elsewhere)
        watcher = watcher_for(runtime, inbox)
        watcher.scan_once(force=True)
        watcher.release()
        assert elsewhere.read_bytes() == (SAMPLES / SAMPLE_NAMES["pickup"]).read_bytes()
        assert stored_events(runtime) == 0

    def test_a_hard_link_to_a_secret_is_left_alone(
        self, runtime: Runtime, inbox: Path, secret: Path
    ) -> None:
        hard = inbox / "hard - Pickup.csv"
        os.link(secret, hard)
        watcher = watcher_for(runtime, inbox)
        assert watcher.scan_once(force=True) == 0
        watcher.release()
        assert secret.read_text() == SECRET_LINE + "\n"
        assert hard.exists()
        assert imports(runtime) == []
        assert SECRET_LINE not in "".join(
            p.read_text() for p in inbox.rglob("*.json") if p.is_file()
        )

    def test_directories_and_fifos_with_csv_names_are_left_alone(
        self, runtime: Runtime, inbox: Path
    ) -> None:
        (inbox / "folder - Pickup.csv").mkdir()
        os.mkfifo(inbox / "pipe - Pickup.csv")
        shutil.copy(SAMPLES / SAMPLE_NAMES["pickup"], inbox / SAMPLE_NAMES["pickup"])
        watcher = watcher_for(runtime, inbox)
        assert watcher.scan_once(force=True) == 1  # the real file; a FIFO would block a reader
        watcher.release()
        assert (inbox / "folder - Pickup.csv").is_dir()
        assert stat.S_ISFIFO((inbox / "pipe - Pickup.csv").lstat().st_mode)

    def test_a_processed_folder_that_is_a_link_is_refused(
        self, runtime: Runtime, inbox: Path, tmp_path: Path
    ) -> None:
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        (inbox / "processed").symlink_to(elsewhere)
        watcher = Watcher(runtime, inbox, firm_id=DEFAULT_FIRM_ID, settle_seconds=0)
        with pytest.raises(UnsafeFolder):
            watcher.acquire()
        assert list(elsewhere.iterdir()) == []

    def test_a_link_planted_where_a_report_is_written_is_not_followed(
        self, runtime: Runtime, inbox: Path, secret: Path
    ) -> None:
        name = SAMPLE_NAMES["pickup"]
        (inbox / "processed").mkdir()
        (inbox / "processed" / f"{name}.report.json.tmp").symlink_to(secret)
        shutil.copy(SAMPLES / name, inbox / name)
        watcher = watcher_for(runtime, inbox)
        watcher.scan_once(force=True)
        watcher.release()
        assert secret.read_text() == SECRET_LINE + "\n"
        report = json.loads((inbox / "processed" / f"{name}.report.json").read_text())
        assert report["status"] == "completed"

    def test_the_lock_file_is_not_followed(
        self, runtime: Runtime, inbox: Path, secret: Path
    ) -> None:
        (inbox / ".tessera-watch.lock").symlink_to(secret)
        watcher = Watcher(runtime, inbox, firm_id=DEFAULT_FIRM_ID, settle_seconds=0)
        with pytest.raises(UnsafeFolder):
            watcher.acquire()
        assert secret.read_text() == SECRET_LINE + "\n"

    def test_a_file_swapped_for_a_link_after_the_scan_is_not_read(
        self, runtime: Runtime, inbox: Path, secret: Path
    ) -> None:
        path = inbox / "swap - Pickup.csv"
        path.write_bytes(csv_bytes("1,ZYW4242,585949014,12-11-2023 10:00,"))
        watcher = watcher_for(runtime, inbox)
        (found,) = watcher.pending_files()
        path.unlink()
        path.symlink_to(secret)
        assert watcher.process(found) is None
        watcher.release()
        assert secret.read_text() == SECRET_LINE + "\n"
        assert imports(runtime) == []
