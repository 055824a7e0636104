"""Parsing a large local file in a child process, so that parsing and storing use both cores.

Parsing is pure Python (about 7 µs a row) and so is much of storing; threads would share one
core under the GIL. For a file on disk above ``MIN_BYTES`` the rows are parsed by a child process
and sent back in batches through a pipe, as plain tuples (cheaper to pickle than dataclasses).
The pipe's buffer bounds what is in flight, so memory stays flat. Uploads are parsed in-process.

The child is ``python -m tessera.deliveries.reader_process`` started with ``subprocess`` rather
than ``multiprocessing``, whose spawn mode re-runs the parent's main module.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
from collections.abc import Generator
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from tessera.deliveries import parsing
from tessera.deliveries.parsing import DeliveryKind, ParsedRow, RowError

MIN_BYTES = 4 * 1_048_576

Batch = tuple[list[ParsedRow], list[RowError], int]


class ReaderFailed(RuntimeError):
    """The child process failed for a reason other than an unreadable file."""


def _send(out: IO[bytes], message: tuple[Any, ...]) -> None:
    pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)


def _child(
    out: IO[bytes],
    path: str,
    kind: str,
    region: str,
    timezone: str,
    skip_until: int,
    size: int,
) -> None:
    # Runs in the child: read the file and send ("batch", parsed, rejected, last, bytes) messages.
    try:
        with Path(path).open("rb") as stream:
            delivery_file = parsing.read_delivery_file(
                stream,
                filename=Path(path).name,
                kind=DeliveryKind(kind),
                region=region,
                tz=ZoneInfo(timezone),
            )
            parsed: list[tuple[Any, ...]] = []
            rejected: list[tuple[int, str]] = []
            last = skip_until
            for item in delivery_file.rows():
                if item.row <= skip_until:
                    continue
                if isinstance(item, ParsedRow):
                    parsed.append(
                        (
                            item.row,
                            item.record_id,
                            item.card_id,
                            item.phone,
                            item.event,
                            item.occurred_at,
                            item.comment,
                            item.natural_key,
                        )
                    )
                else:
                    rejected.append((item.row, item.message))
                last = item.row
                if len(parsed) + len(rejected) >= size:
                    _send(out, ("batch", parsed, rejected, last, stream.tell()))
                    parsed, rejected = [], []
            _send(out, ("batch", parsed, rejected, last, stream.tell()))
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
    bytes_read: list[int],
) -> Generator[Batch, None, None]:
    """Yield the file's batches as parsed by a child process; ``bytes_read[0]`` tracks progress.

    Closing the generator early stops the child. A file found unreadable raises the same
    ``DeliveryFileError`` subclass as parsing in-process would.
    """
    child = subprocess.Popen(  # noqa: S603 - our own module, arguments we built
        [
            sys.executable,
            "-m",
            "tessera.deliveries.reader_process",
            str(path),
            kind.value,
            region,
            timezone,
            str(skip_until),
            str(batch_rows),
        ],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    assert child.stdout is not None  # noqa: S101 - stdout=PIPE
    stream = child.stdout
    try:
        while True:
            try:
                # Our own child's output, never outside data.
                message = pickle.load(stream)  # noqa: S301
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
            _, parsed, rejected, last, position = message
            bytes_read[0] = position
            if parsed or rejected:
                yield (
                    [ParsedRow(*values) for values in parsed],
                    [RowError(row, text) for row, text in rejected],
                    last,
                )
    finally:
        stream.close()
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.terminate()
            child.wait(timeout=5)


if __name__ == "__main__":
    _path, _kind, _region, _zone, _skip, _size = sys.argv[1:7]
    _child(sys.stdout.buffer, _path, _kind, _region, _zone, int(_skip), int(_size))
