"""Running a courier file import batch by batch: the deliveries code that owns transactions.

An import of a million rows cannot be one transaction: on SQLite it would hold the only write
lock for a minute, and anywhere it would hold a million rows of undo. So rows are parsed outside
any transaction, ``batch_rows`` at a time, and each batch is stored and committed on its own
(``apply.apply_batch``) together with the import's counts and resume line. The API, the worker,
``tessera deliveries import`` and ``tessera deliveries watch`` all come through here.

Leases: a processing import renews ``heartbeat_at`` with every batch. One whose heartbeat is older
than ``LEASE_SECONDS`` was abandoned by a process that died: the worker resumes uploaded files
(kept in the database until the import ends), ``tessera deliveries import`` resumes a local file
with the same content, and the watcher resumes its own files at start-up.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import io
import threading
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from queue import Full, Queue
from typing import Any, BinaryIO

from sqlalchemy.orm import Session

from tessera.audit.service import CLI, Actor
from tessera.db import Database
from tessera.deliveries import partners
from tessera.deliveries.domain import ImportSource, ImportStatus
from tessera.deliveries.imports import apply, jobs, queries, reader_process, reports
from tessera.deliveries.imports.batches import PreparedBatch, prepared_batches
from tessera.deliveries.imports.file_errors import file_error
from tessera.deliveries.imports.jobs import NewImport
from tessera.deliveries.imports.parsing import (
    DeliveryFileError,
    DeliveryKind,
    read_delivery_file,
)
from tessera.deliveries.imports.reports import ImportReport
from tessera.deliveries.partners import ReadingRules
from tessera.errors import NotFound, TesseraError, ValidationFailed
from tessera.models import DeliveryImport
from tessera.observability import get_logger
from tessera.principal import Principal, Scope
from tessera.runtime import Runtime
from tessera.visibility import Visibility

log = get_logger(__name__)

LEASE_SECONDS = 60
CHUNK_BYTES = 1_048_576
_HASH_BLOCK = 1_048_576

# Called after each committed batch with (bytes read so far, rows done so far).
ProgressCallback = Callable[[int, int], None]


class _CountingReader(io.RawIOBase):
    """A read-only stream that counts the bytes read through it (for progress bars)."""

    def __init__(self, inner: BinaryIO, position: list[int]) -> None:
        self._inner = inner
        self._position = position

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        data = self._inner.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        self._position[0] += size
        return size

    def close(self) -> None:
        self._inner.close()
        super().close()


class _StoredUpload(io.RawIOBase):
    """An uploaded file read back from the database, one stored piece at a time."""

    def __init__(self, db: Database, import_id: str) -> None:
        self._db = db
        self._import_id = import_id
        self._seq = 0
        self._pending = b""
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        while not self._pending and not self._done:
            with self._db.session_scope(write=False) as session:
                data = queries.read_chunk(session, import_id=self._import_id, seq=self._seq)
            self._seq += 1
            if data is None:
                self._done = True
            else:
                self._pending = data
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def file_digest(stream: BinaryIO) -> tuple[str, int]:
    """SHA-256 hex and size of a stream from where it is to its end."""
    digest = hashlib.sha256()
    size = 0
    while block := stream.read(_HASH_BLOCK):
        digest.update(block)
        size += len(block)
    return digest.hexdigest(), size


def detect_file_kind(
    stream: BinaryIO, *, file_name: str, kind: DeliveryKind | None, rules: ReadingRules
) -> DeliveryKind:
    """Read only the header: the file's kind, or the ``DeliveryFileError`` that refuses it.

    ``stream`` stays open (the file object that reads the header would close it when dropped).
    """
    delivery_file = read_delivery_file(
        io.BufferedReader(_Unowned(stream)),
        filename=file_name,
        kind=kind,
        region=rules.phone_region,
        tz=rules.zone,
    )
    return delivery_file.kind


def run_import(
    runtime: Runtime,
    *,
    import_id: str,
    open_stream: Callable[[], BinaryIO],
    path: Path | None = None,
    progress: ProgressCallback | None = None,
) -> None:
    """Import the rows of a claimed import from its resume line to the end, then complete it.

    Commits every ``delivery_batch_rows`` rows. A file that turns out unreadable fails the import;
    any other exception leaves it processing, to be resumed once its lease runs out. A large
    file on disk (``path``) is parsed by a child process (``reader_process``).
    """
    db = runtime.db
    batch_rows = runtime.settings.delivery_batch_rows
    with db.session_scope(write=False) as session:
        job = _job(session, import_id)
    skip_until = job.resume_line
    rules = ReadingRules(job.partner, job.phone_region, job.timezone)
    sqlite_times = db.dialect == "sqlite"
    done = 0
    position = [0]
    try:
        threshold = runtime.settings.delivery_parallel_parse_min_bytes
        if path is not None and path.stat().st_size >= threshold:
            batches = reader_process.parse_in_child(
                path,
                kind=DeliveryKind(job.kind),
                region=job.phone_region,
                timezone=job.timezone,
                skip_until=skip_until,
                batch_rows=batch_rows,
                firm_id=job.firm_id,
                import_id=job.id,
                sqlite_times=sqlite_times,
                bytes_read=position,
            )
        else:
            reader = _CountingReader(open_stream(), position)
            try:
                delivery_file = read_delivery_file(
                    io.BufferedReader(reader, buffer_size=256 * 1024),
                    filename=job.file_name,
                    kind=DeliveryKind(job.kind),
                    region=rules.phone_region,
                    tz=rules.zone,
                )
            except BaseException:
                reader.close()
                raise
            batches = _read_ahead(
                prepared_batches(
                    delivery_file.rows(),
                    skip_until=skip_until,
                    size=batch_rows,
                    firm_id=job.firm_id,
                    import_id=job.id,
                    sqlite_times=sqlite_times,
                ),
                closing=reader,
            )
        with contextlib.closing(batches), _fewer_collections():
            for batch in batches:
                _commit_batch(runtime, import_id, batch)
                done += batch.lines
                if progress is not None:
                    progress(position[0], done)
    except DeliveryFileError as exc:
        with db.session_scope() as session:
            jobs.fail_import(
                session,
                job=_job(session, import_id, lock=True),
                message=str(exc),
                now=runtime.now(),
            )
        return
    with db.session_scope() as session:
        jobs.complete_import(session, job=_job(session, import_id, lock=True), now=runtime.now())
    if progress is not None:
        progress(position[0], done)


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the cycle collector less often while batches stream in.

    Every batch brings thousands of new, acyclic objects (unpickled rows, insert parameters);
    at the default threshold the collector ran every 700 allocations and took a fifth of the
    writer's time. Reference counting still frees everything at once; the threshold is put
    back afterwards.
    """
    previous = gc.get_threshold()
    gc.set_threshold(max(previous[0], 100_000), *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def _read_ahead(
    source: Iterator[PreparedBatch], *, closing: io.RawIOBase, depth: int = 2
) -> Generator[PreparedBatch, None, None]:
    """Parse the next batches on a thread while this one is written.

    The database driver releases the GIL while SQLite or the network works, so parsing (Python)
    and writing (mostly C and I/O) overlap on a second core. At most ``depth`` batches wait.
    """
    queue: Queue[tuple[bool, Any]] = Queue(maxsize=depth)
    stopping = threading.Event()
    finished = object()

    def put(item: tuple[bool, Any]) -> bool:
        while not stopping.is_set():
            try:
                queue.put(item, timeout=0.1)
            except Full:
                continue
            return True
        return False

    def produce() -> None:
        try:
            for batch in source:
                if not put((True, batch)):
                    return
            put((True, finished))
        except BaseException as exc:  # handed to the consumer, which raises it
            put((False, exc))

    thread = threading.Thread(target=produce, name="delivery-import-reader", daemon=True)
    thread.start()
    try:
        while True:
            ok, item = queue.get()
            if not ok:
                raise item
            if item is finished:
                return
            yield item
    finally:
        stopping.set()
        thread.join()
        closing.close()


def _commit_batch(runtime: Runtime, import_id: str, batch: PreparedBatch) -> None:
    with runtime.db.session_scope() as session:
        job = _job(session, import_id)
        apply.apply_batch(session, job=job, batch=batch, now=runtime.now())


def _job(session: Session, import_id: str, *, lock: bool = False) -> DeliveryImport:
    job = queries.get_import(session, import_id, visibility=Visibility.everything(), lock=lock)
    if job is None:
        raise NotFound("Import not found.")
    return job


def report(runtime: Runtime, import_id: str) -> ImportReport:
    """The current report of an import."""
    with runtime.db.session_scope(write=False) as session:
        return reports.report_of(session, _job(session, import_id))


# --- the API --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Submitted:
    """An uploaded file's import: done already, or queued for the worker."""

    report: ImportReport
    queued: bool


def submit_upload(
    runtime: Runtime,
    *,
    principal: Principal,
    upload: BinaryIO,
    file_name: str,
    partner: str | None,
    kind: DeliveryKind | None,
) -> Submitted:
    """Import an uploaded courier file: at once when small, else queued for the worker.

    The upload is kept in the database until its import ends, so a queued import or one whose
    process died can be finished by any worker. Nothing here holds a transaction while the file
    is read: the rules are read in a read-only session of their own, and the import commits
    batch by batch in sessions of its own.
    """
    principal.require(Scope.DELIVERIES_WRITE)
    with runtime.db.session_scope(write=False) as reading:
        rules = partners.reading_rules(reading, firm_id=principal.firm_id, partner=partner)
    try:
        file_kind = detect_file_kind(upload, file_name=file_name, kind=kind, rules=rules)
    except DeliveryFileError as exc:
        raise file_error(exc) from exc
    upload.seek(0)
    digest, size = file_digest(upload)
    queued = size > runtime.settings.delivery_sync_max_bytes
    new = NewImport(
        firm_id=principal.firm_id,
        kind=file_kind.value,
        source=ImportSource.API,
        source_path=None,
        file_name=file_name,
        file_hash=digest,
        file_size=size,
        rules=rules,
        created_by=principal.id,
    )
    with runtime.db.session_scope() as write:
        job = jobs.create_import(
            write,
            new,
            status=ImportStatus.QUEUED if queued else ImportStatus.PROCESSING,
            actor=principal,
            now=runtime.now(),
        )
        import_id = job.id
        upload.seek(0)
        seq = 0
        while data := upload.read(CHUNK_BYTES):
            queries.add_chunk(write, import_id=import_id, firm_id=job.firm_id, seq=seq, data=data)
            seq += 1
    if not queued:
        upload.seek(0)
        run_import(
            runtime, import_id=import_id, open_stream=lambda: io.BufferedReader(_Unowned(upload))
        )
    return Submitted(report=report(runtime, import_id), queued=queued)


class _Unowned(io.RawIOBase):
    """A view of a stream that leaves it open when closed (the framework owns the upload)."""

    def __init__(self, inner: BinaryIO) -> None:
        self._inner = inner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        data = self._inner.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


# --- the worker -----------------------------------------------------------------------------------


def process_next_upload(runtime: Runtime) -> int:
    """Claim one queued (or abandoned) uploaded import and run it; 1 if there was one."""
    now = runtime.now()
    with runtime.db.session_scope() as session:
        job = queries.claim_stored_import(
            session, stale_before=now - timedelta(seconds=LEASE_SECONDS)
        )
        if job is None:
            return 0
        if not queries.has_chunks(session, job.id):
            jobs.fail_import(
                session, job=job, message="The uploaded file is no longer stored.", now=now
            )
            return 1
        jobs.start_import(session, job, now=now)
        import_id = job.id
    log.info("delivery_import_claimed", import_id=import_id)
    run_import(
        runtime,
        import_id=import_id,
        open_stream=lambda: io.BufferedReader(_StoredUpload(runtime.db, import_id)),
    )
    return 1


# --- local files (the CLI and the watcher) --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LocalImport:
    """The outcome of importing one local file: a report, or why the file was refused."""

    path: Path
    report: ImportReport | None
    error: TesseraError | None
    resumed: bool = False


def firm_id_for_slug(runtime: Runtime, slug: str) -> str:
    """The id of the firm with this slug; NotFound otherwise."""
    with runtime.db.session_scope(write=False) as session:
        return partners.firm_id_for_slug(session, slug)


def import_local_file(
    runtime: Runtime,
    path: Path,
    *,
    firm_id: str,
    partner: str | None,
    kind: DeliveryKind | None,
    source: ImportSource = ImportSource.CLI,
    actor: Actor = CLI,
    progress: ProgressCallback | None = None,
    read_from: Path | None = None,
) -> LocalImport:
    """Import a file from disk, resuming an abandoned import of the same content if there is one.

    The watcher (``source=ImportSource.WATCH``) matches on the file's path too, and resumes its own
    imports at once (it holds the folder's lock, so any import of it in progress is a dead one's).
    It also passes ``read_from``, a path that reaches the very file it checked and opened
    (``/proc/<pid>/fd/<n>``), so that the bytes read are that file's whatever is renamed into
    ``path`` meanwhile; ``path`` then only names the file, in the import and its report.
    """
    if read_from is None:
        path = path.resolve()
    source_file = read_from or path
    with source_file.open("rb") as stream:
        digest, size = file_digest(stream)
    now = runtime.now()
    watching = source == ImportSource.WATCH
    with runtime.db.session_scope() as session:
        try:
            rules = partners.reading_rules(session, firm_id=firm_id, partner=partner)
        except ValidationFailed as exc:
            return LocalImport(path, None, exc)
        stale_before = now if watching else now - timedelta(seconds=LEASE_SECONDS)
        job = queries.find_resumable_import(
            session,
            firm_id=firm_id,
            source=source,
            file_hash=digest,
            source_path=str(path) if watching else None,
            stale_before=stale_before + timedelta(microseconds=1),
        )
        if job is not None:
            jobs.start_import(session, job, now=now)
            resumed_id: str | None = job.id
        else:
            resumed_id = None
    if resumed_id is not None:
        log.info("delivery_import_resumed", import_id=resumed_id)
        run_import(
            runtime,
            import_id=resumed_id,
            open_stream=lambda: source_file.open("rb"),
            path=source_file,
            progress=progress,
        )
        return LocalImport(path, report(runtime, resumed_id), None, resumed=True)

    try:
        with source_file.open("rb") as stream:
            file_kind = detect_file_kind(stream, file_name=path.name, kind=kind, rules=rules)
    except DeliveryFileError as exc:
        return LocalImport(path, None, file_error(exc))
    new = NewImport(
        firm_id=firm_id,
        kind=file_kind.value,
        source=source,
        source_path=str(path),
        file_name=path.name,
        file_hash=digest,
        file_size=size,
        rules=rules,
        created_by=None,
    )
    with runtime.db.session_scope() as session:
        import_id = jobs.create_import(
            session, new, status=ImportStatus.PROCESSING, actor=actor, now=runtime.now()
        ).id
    run_import(
        runtime,
        import_id=import_id,
        open_stream=lambda: source_file.open("rb"),
        path=source_file,
        progress=progress,
    )
    return LocalImport(path, report(runtime, import_id), None)
