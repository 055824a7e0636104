"""Courier files for the delivery tests: the real sample files, uploads, and small CSV files."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx2 as httpx
import sqlalchemy as sa

from tessera.models import Event
from tessera.runtime import Runtime
from tests.support.api import Caller

# The partner's four sample files, byte for byte as they were given (CRLF, no final newline).
SAMPLES = Path(__file__).parents[1] / "deliveries" / "samples"
SAMPLE_NAMES = {
    "pickup": "Sample Card Status Info - Pickup.csv",
    "exceptions": "Sample Card Status Info - Delivery exceptions.csv",
    "delivered": "Sample Card Status Info - Delivered.csv",
    "returned": "Sample Card Status Info - Returned.csv",
}
HEADER = "ID ,Card ID,User contact,Timestamp,Comment"


def sample_bytes(name: str) -> bytes:
    """A sample file exactly as the courier sent it."""
    return (SAMPLES / SAMPLE_NAMES[name]).read_bytes()


def csv_bytes(*lines: str, header: str = HEADER) -> bytes:
    """A courier file with CRLF line endings, like the samples."""
    return "\r\n".join([header, *lines]).encode()


def upload(caller: Caller, content: bytes, filename: str, **form: str) -> httpx.Response:
    """POST a file to the import endpoint as multipart."""
    return caller.post(
        "/v1/deliveries/imports",
        files={"file": (filename, content, "text/csv")},
        data=form,
    )


def upload_sample(caller: Caller, name: str) -> dict[str, Any]:
    """Upload one sample file and return its report (asserting 201)."""
    response = upload(caller, sample_bytes(name), SAMPLE_NAMES[name])
    assert response.status_code == 201, response.text
    return dict(response.json())


def count_events(runtime: Runtime, *, firm_id: str, type: str) -> int:
    """How many outbox events of a type a firm has."""
    with runtime.db.session_scope(write=False) as session:
        return int(
            session.scalar(
                sa.select(sa.func.count())
                .select_from(Event)
                .where(Event.firm_id == firm_id, Event.type == type)
            )
            or 0
        )


def event_payloads(runtime: Runtime, *, firm_id: str, type: str) -> list[dict[str, Any]]:
    """The data of a firm's outbox events of a type, oldest first."""
    with runtime.db.session_scope(write=False) as session:
        return [
            dict(e.data)
            for e in session.scalars(
                sa.select(Event)
                .where(Event.firm_id == firm_id, Event.type == type)
                .order_by(Event.created_at, Event.id)
            )
        ]


class BreaksAfter(io.RawIOBase):
    """A file that fails after ``limit`` bytes, as a disk or a killed process would."""

    def __init__(self, path: Path, limit: int) -> None:
        self._data = path.read_bytes()
        self._limit = limit
        self._position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        if self._position >= self._limit:
            raise OSError("the process died here")
        chunk = self._data[self._position : min(self._limit, self._position + len(buffer))]
        buffer[: len(chunk)] = chunk
        self._position += len(chunk)
        return len(chunk)
