"""Parsing a large local file in a child process, so that parsing and storing use both cores.

Parsing is pure Python (about 7 µs a row) and so is much of storing; threads would share one
core under the GIL. For a file on disk of at least ``DELIVERY_PARALLEL_PARSE_MIN_BYTES`` (4 MiB)
the rows are parsed by a child process
and sent back in batches through a pipe, as plain tuples: a named tuple pickles as a call of its
class, which took a tenth of the child's time for a batch's card folds. The pipe's buffer bounds
what is in flight, so memory stays flat. Uploads are parsed in-process.

The child is ``python -m tessera.deliveries.imports.reader_process`` started with
``subprocess`` rather than ``multiprocessing``, whose spawn mode re-runs the parent's main module.
"""

from __future__ import annotations

import gc
import pickle  # nosec B403 # frames from our own child process only (see below)
import subprocess  # nosec B404 # starts our own module, no shell
import sys
from collections.abc import Generator
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from tessera.deliveries.imports import parsing
from tessera.deliveries.imports.batches import CardFold, EventRow, PreparedBatch, prepared_batches
from tessera.deliveries.imports.parsing import DeliveryKind
from tessera.deliveries.rules import StatusSummary


class ReaderFailed(RuntimeError):
    """The child process failed for a reason other than an unreadable file."""


def _send(out: IO[bytes], message: tuple[Any, ...]) -> None:
    pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)


def to_wire(batch: PreparedBatch) -> tuple[Any, ...]:
    """``batch`` as built-in types only, which pickle several times faster than named tuples."""
    return (
        [tuple(e) for e in batch.events],
        [(c.card_id, tuple(c.summary), c.phone, c.rows, c.new_change) for c in batch.cards],
        batch.rejected,
        batch.lines,
        batch.last_line,
        batch.sqlite_times,
        batch.warnings,
    )


def from_wire(wire: tuple[Any, ...]) -> PreparedBatch:
    """The batch ``to_wire`` sent."""
    events, cards, rejected, lines, last_line, sqlite_times, warnings = wire
    new = tuple.__new__  # what ``_make`` does, without a call per field
    return PreparedBatch(
        events=[new(EventRow, event) for event in events],
        cards=[
            new(CardFold, (card_id, new(StatusSummary, summary), phone, rows, change))
            for card_id, summary, phone, rows, change in cards
        ],
        rejected=rejected,
        lines=lines,
        last_line=last_line,
        sqlite_times=sqlite_times,
        warnings=warnings,
    )


def _child(out: IO[bytes], arguments: list[str]) -> None:
    # Runs in the child: read the file and send ("batch", PreparedBatch, bytes read) messages.
    # The child makes millions of short-lived, acyclic objects and lives only as long as the
    # file: reference counting frees them all, and the cycle collector would only cost time
    # (about a fifth of the parse).
    gc.disable()
    path, kind, region, timezone, skip, size, firm_id, import_id, sqlite = arguments
    try:
        with Path(path).open("rb") as stream:
            delivery_file = parsing.read_delivery_file(
                stream,
                filename=Path(path).name,
                kind=DeliveryKind(kind),
                region=region,
                tz=ZoneInfo(timezone),
            )
            for batch in prepared_batches(
                delivery_file.rows(),
                skip_until=int(skip),
                size=int(size),
                firm_id=firm_id,
                import_id=import_id,
                sqlite_times=sqlite == "sqlite",
            ):
                _send(out, ("batch", to_wire(batch), stream.tell()))
            _send(out, ("end",))
    except parsing.DeliveryFileError as exc:
        _send(out, ("file_error", type(exc).__name__, str(exc)))
    except BaseException as exc:
        _send(out, ("failed", f"{type(exc).__name__}: {exc}"))
    finally:
        out.flush()


def parse_in_child(
    path: Path,
    *,
    kind: DeliveryKind,
    region: str,
    timezone: str,
    skip_until: int,
    batch_rows: int,
    firm_id: str,
    import_id: str,
    sqlite_times: bool,
    bytes_read: list[int],
) -> Generator[PreparedBatch, None, None]:
    """Yield the file's batches as parsed by a child process; ``bytes_read[0]`` tracks progress.

    Closing the generator early stops the child. A file found unreadable raises the same
    ``DeliveryFileError`` subclass as parsing in-process would.
    """
    child = subprocess.Popen(  # noqa: S603 - our own module, arguments we built  # nosec B603
        [
            sys.executable,
            "-m",
            "tessera.deliveries.imports.reader_process",
            str(path),
            kind.value,
            region,
            timezone,
            str(skip_until),
            str(batch_rows),
            firm_id,
            import_id,
            "sqlite" if sqlite_times else "postgresql",
        ],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    assert child.stdout is not None  # noqa: S101 - stdout=PIPE  # nosec B101
    stream = child.stdout
    try:
        while True:
            try:
                # Our own child's output, never outside data.
                message = pickle.load(stream)  # noqa: S301  # nosec B301 # our own child's output
            except EOFError:
                raise ReaderFailed("The file reader process ended without finishing.") from None
            if message[0] == "end":
                return
            if message[0] == "file_error":
                error_class = getattr(parsing, message[1], parsing.UnreadableFile)
                if error_class is parsing.UnrecognisedHeader:
                    error_class = parsing.UnreadableFile
                raise error_class(message[2])
            if message[0] == "failed":
                raise ReaderFailed(message[1])
            _, wire, position = message
            bytes_read[0] = position
            yield from_wire(wire)
    finally:
        stream.close()
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.terminate()
            child.wait(timeout=5)


if __name__ == "__main__":
    _child(sys.stdout.buffer, sys.argv[1:10])
