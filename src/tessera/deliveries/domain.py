"""The words of delivery imports that the code, the database and the API share."""

from __future__ import annotations

from enum import StrEnum


class ImportStatus(StrEnum):
    """Where an import stands (``models.delivery_import.IMPORT_STATUSES``)."""

    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


# An import in one of these has ended: its stored upload is gone and its counts are final.
FINISHED = frozenset({ImportStatus.COMPLETED, ImportStatus.FAILED})


class ImportSource(StrEnum):
    """How the file arrived (``models.delivery_import.IMPORT_SOURCES``)."""

    API = "api"
    CLI = "cli"
    WATCH = "watch"
