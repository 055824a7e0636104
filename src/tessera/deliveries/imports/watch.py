"""Watching a folder for courier files: import each, then move it out with its report beside it.

Each ``*.csv`` file that appears in the folder is imported and moved to ``processed/`` (imported,
possibly with rejected lines) or ``failed/`` (refused as a whole), next to
``<name>.report.json``. Writers should write elsewhere and rename into the folder; as a second
guard a file is taken only once it has not changed for ``settle_seconds``.

Restarts neither skip nor repeat a file, because the steps are ordered and each is recognisable
afterwards:

1. import (committed batch by batch; the import row names the file's path and content hash);
2. write the report beside the destination (a temporary name, then a rename);
3. move the file (a rename, atomic on one file system);
4. mark the import archived.

A file still in the folder after a crash is matched to its import by path and hash: if that
import completed, it is not imported again, only reported and moved (steps 2-4); if it was
cut short, it is resumed from its last committed batch. A crash between 3 and 4 is found at
start-up (the import's file is gone from the folder) and only the mark is written. A file whose
header was refused leaves no trace in the database and is simply refused again. One watcher per
folder: it holds an exclusive lock on ``.tessera-watch.lock`` in the folder while it runs.

Whoever can write to the folder must not be able to make the watcher read, move or overwrite a
file elsewhere (``var/master.key``), so the watcher never follows a link:

- it takes only **regular files with one link** that sit in the folder itself (``lstat``).
  Symbolic links, directories, FIFOs, sockets and devices are left where they are and logged
  once (``delivery_watch_skipped``); so is a file with more than one hard link, since a hard
  link into the folder is indistinguishable from the file it links to (couriers' files arrive
  by a copy or a rename, which leave one link);
- it opens the file once, with ``O_NOFOLLOW``, checks again on the open descriptor that it is
  the file it looked at, and reads only through that descriptor (``/proc/<pid>/fd/<n>``), so a
  file swapped in after the check is never read;
- ``processed/`` and ``failed/`` must be real directories, not links, and a report is written
  to a new file (``O_EXCL | O_NOFOLLOW``) before it is renamed into place. Renames move names,
  never what a link points to.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import stat
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from tessera.audit.service import CLI
from tessera.deliveries.domain import FINISHED, ImportSource, ImportStatus
from tessera.deliveries.imports import jobs, queries, reports
from tessera.deliveries.imports.orchestrator import LocalImport, file_digest, import_local_file
from tessera.deliveries.imports.parsing import DeliveryKind
from tessera.deliveries.schemas import ImportRead
from tessera.observability import get_logger
from tessera.runtime import Runtime
from tessera.visibility import Visibility

log = get_logger(__name__)

LOCK_NAME = ".tessera-watch.lock"
_ERROR_PAGE = 1_000


class FolderLocked(RuntimeError):
    """Another watcher is running on the folder."""


class UnsafeFolder(RuntimeError):
    """``processed/`` or ``failed/`` (or the lock file) is a link or not what it should be."""


class NotARegularFile(OSError):
    """The name in the folder is not (or no longer) a regular file with one link."""


_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def _skip_reason(info: os.stat_result) -> str | None:
    """Why an entry of the folder is not a file the watcher may take (None: it may)."""
    if stat.S_ISLNK(info.st_mode):
        return "symlink"
    if not stat.S_ISREG(info.st_mode):
        return "not_a_regular_file"
    if info.st_nlink != 1:
        return "hard_link"
    return None


@contextlib.contextmanager
def pinned(path: Path, expected: os.stat_result) -> Iterator[Path]:
    """Open ``path`` without following links and yield a path that reads that open file only.

    ``NotARegularFile`` when the name is a link, or no longer the file ``expected`` describes.
    """
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:  # ELOOP: a symbolic link was put there meanwhile
        raise NotARegularFile(f"{path.name} cannot be opened as a regular file") from exc
    try:
        opened = os.fstat(fd)
        if _skip_reason(opened) is not None or (opened.st_dev, opened.st_ino) != (
            expected.st_dev,
            expected.st_ino,
        ):
            raise NotARegularFile(f"{path.name} changed before it could be read")
        # The pid's own entry rather than /proc/self: the child process that parses large
        # files reads it too.
        yield Path(f"/proc/{os.getpid()}/fd/{fd}")
    finally:
        os.close(fd)


class Watcher:
    """Imports the courier files that arrive in one folder (see the module doc)."""

    def __init__(
        self,
        runtime: Runtime,
        folder: Path,
        *,
        firm_id: str,
        partner: str | None = None,
        kind: DeliveryKind | None = None,
        settle_seconds: float = 2.0,
        on_result: Callable[[LocalImport, Path], None] | None = None,
    ) -> None:
        self.runtime = runtime
        self.folder = folder.resolve()
        self.processed = self.folder / "processed"
        self.failed = self.folder / "failed"
        self.firm_id = firm_id
        self.partner = partner
        self.kind = kind
        self.settle_seconds = settle_seconds
        self.on_result = on_result
        self._seen: dict[Path, tuple[int, int]] = {}
        self._skipped: set[tuple[str, int, int]] = set()
        self._stop = threading.Event()
        self._lock: IO[str] | None = None

    # --- lifecycle ----------------------------------------------------------------------------

    def acquire(self) -> None:
        """Take the folder's lock; ``FolderLocked`` if another watcher holds it, ``UnsafeFolder``
        if ``processed/``, ``failed/`` or the lock file is a link."""
        if self._lock is not None:
            return
        self._check_archive_folders()
        try:
            fd = os.open(
                self.folder / LOCK_NAME,
                os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC,
                0o600,
            )
        except OSError as exc:
            raise UnsafeFolder(f"{LOCK_NAME} in {self.folder} is not a plain file") from exc
        handle = os.fdopen(fd, "a", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            handle.close()
            raise FolderLocked(f"another watcher is running on {self.folder}") from exc
        self._lock = handle

    def release(self) -> None:
        """Let go of the folder's lock."""
        if self._lock is not None:
            fcntl.flock(self._lock.fileno(), fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def stop(self) -> None:
        """Ask ``run`` to return after the file in progress."""
        self._stop.set()

    def run(self, *, interval_seconds: float = 2.0) -> None:
        """Recover, then scan every ``interval_seconds`` until ``stop()``."""
        self.acquire()
        try:
            self.recover()
            while not self._stop.is_set():
                self.scan_once()
                self._stop.wait(interval_seconds)
        finally:
            self.release()

    def recover(self) -> int:
        """Mark as archived the finished imports whose file already left the folder."""
        prefix = str(self.folder) + os.sep
        marked = 0
        with self.runtime.db.session_scope() as session:
            for job in queries.unarchived_watch_imports(
                session, firm_id=self.firm_id, folder_prefix=prefix
            ):
                if job.source_path and not os.path.lexists(job.source_path):
                    jobs.mark_archived(session, job=job, now=self.runtime.now())
                    marked += 1
        return marked

    # --- one pass -------------------------------------------------------------------------------

    def pending_files(self) -> list[Path]:
        """The CSV files waiting in the folder, oldest name first: regular files with one link
        only; anything else with a CSV name is logged once and left alone."""
        found: list[Path] = []
        with os.scandir(self.folder) as entries:
            for entry in entries:
                if not entry.name.lower().endswith(".csv") or entry.name.startswith("."):
                    continue
                try:
                    info = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                reason = _skip_reason(info)
                if reason is None:
                    found.append(self.folder / entry.name)
                else:
                    self._skip(entry.name, info, reason)
        return sorted(found)

    def _skip(self, name: str, info: os.stat_result, reason: str) -> None:
        key = (name, info.st_dev, info.st_ino)
        if key not in self._skipped:
            self._skipped.add(key)
            log.warning("delivery_watch_skipped", file=name, reason=reason)

    def scan_once(self, *, force: bool = False) -> int:
        """Process every settled file in the folder; returns how many were processed."""
        if self._lock is None:
            raise RuntimeError("acquire() the folder before scanning it")
        done = 0
        for path in self.pending_files():
            if self._stop.is_set():
                break
            if not force and not self._settled(path):
                continue
            if self.process(path) is not None:
                done += 1
        return done

    def _settled(self, path: Path) -> bool:
        try:
            info = path.lstat()
        except FileNotFoundError:
            return False
        key = (info.st_size, info.st_mtime_ns)
        previous = self._seen.get(path)
        self._seen[path] = key
        if time.time() - info.st_mtime >= self.settle_seconds:
            return True
        return previous == key

    def process(self, path: Path) -> Path | None:
        """Import (or resume, or recognise) one file, then archive it; returns where it went.

        None when the name is not a regular file of the folder (any more): it is left alone.
        """
        # Never resolve the file's own name: that would follow a link out of the folder.
        path = self.folder / path.name
        try:
            info = path.lstat()
        except FileNotFoundError:
            return None
        reason = _skip_reason(info)
        if reason is not None:
            self._skip(path.name, info, reason)
            return None
        self._check_archive_folders()
        try:
            with pinned(path, info) as source:
                result, digest = self._import(path, source)
                destination = self._archive(result, digest)
        except NotARegularFile:
            log.warning("delivery_watch_skipped", file=path.name, reason="changed")
            return None
        self._seen.pop(path, None)
        if self.on_result is not None:
            self.on_result(result, destination)
        return destination

    def _import(self, path: Path, source: Path) -> tuple[LocalImport, str]:
        with source.open("rb") as stream:
            digest, _ = file_digest(stream)
        with self.runtime.db.session_scope(write=False) as session:
            done = queries.find_unarchived_watch_import(
                session, firm_id=self.firm_id, source_path=str(path), file_hash=digest
            )
            finished = (
                reports.report_of(session, done)
                if done is not None and done.status in FINISHED
                else None
            )
        if finished is not None:
            log.info("delivery_watch_recognised", import_id=finished.job.id)
            return LocalImport(path, finished, None), digest
        result = import_local_file(
            self.runtime,
            path,
            firm_id=self.firm_id,
            partner=self.partner,
            kind=self.kind,
            source=ImportSource.WATCH,
            actor=CLI,
            read_from=source,
        )
        return result, digest

    def _check_archive_folders(self) -> None:
        for folder in (self.processed, self.failed):
            with contextlib.suppress(FileExistsError):
                folder.mkdir()
            if not stat.S_ISDIR(folder.lstat().st_mode):
                raise UnsafeFolder(f"{folder} is not a directory (a link?); remove it")

    # --- archiving ------------------------------------------------------------------------------

    def _archive(self, result: LocalImport, digest: str) -> Path:
        imported = result.report is not None and result.report.job.status == ImportStatus.COMPLETED
        folder = self.processed if imported else self.failed
        path = result.path
        destination = folder / path.name
        if os.path.lexists(destination):
            # An earlier file of the same name: tell them apart by import id (or content).
            tag = result.report.job.id if result.report is not None else digest[:12]
            destination = folder / f"{path.stem}.{tag}{path.suffix}"
        report_path = destination.with_name(destination.name + ".report.json")
        self._write_report(report_path, result)
        os.replace(path, destination)
        if result.report is not None:
            with self.runtime.db.session_scope() as session:
                job = queries.get_import(
                    session, result.report.job.id, visibility=Visibility.everything()
                )
                if job is not None:
                    jobs.mark_archived(session, job=job, now=self.runtime.now())
        log.info("delivery_watch_archived", file=path.name, destination=str(destination))
        return destination

    def _write_report(self, report_path: Path, result: LocalImport) -> None:
        temporary = report_path.with_name(report_path.name + ".tmp")
        # A new file, never one found there (a link planted at the name would be followed).
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        fd = os.open(
            temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666
        )
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            if result.report is None:
                error = result.error
                body: dict[str, Any] = {
                    "file_name": result.path.name,
                    "status": ImportStatus.FAILED.value,
                    "error": {
                        "code": error.code if error else "refused",
                        "message": error.message if error else "The file was refused.",
                        "details": error.details if error else {},
                    },
                }
                json.dump(body, out, indent=2)
            else:
                self._write_import_report(out, result)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, report_path)

    def _write_import_report(self, out: IO[str], result: LocalImport) -> None:
        # Every rejected line, streamed a page at a time: a file can have millions.
        assert result.report is not None  # noqa: S101 - checked by the caller  # nosec B101
        body = ImportRead.of(result.report).model_dump(mode="json")
        body.pop("errors")
        head = json.dumps(body, indent=2)
        out.write(head[:-2] + ',\n  "errors": [')
        offset = 0
        first = True
        import_id = result.report.job.id
        while True:
            with self.runtime.db.session_scope(write=False) as session:
                page = queries.page_rejections(session, import_id, limit=_ERROR_PAGE, offset=offset)
            for row, message in page:
                out.write(
                    ("\n    " if first else ",\n    ")
                    + json.dumps({"row": row, "message": message})
                )
                first = False
            if len(page) < _ERROR_PAGE:
                break
            offset += _ERROR_PAGE
        out.write("\n  ]\n}\n" if not first else "]\n}\n")
