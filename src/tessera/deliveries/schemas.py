"""What the delivery routes take and answer."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from tessera.deliveries.domain import ImportSource, ImportStatus
from tessera.deliveries.imports.parsing import DeliveryKind
from tessera.deliveries.imports.reports import ImportReport
from tessera.deliveries.rules import DeliveryEvent
from tessera.deliveries.status.service import CardStatusView


class ImportErrorRead(BaseModel):
    """A rejected line: its number in the file (the header is line 1) and why."""

    row: int
    message: str


class ImportWarningRead(BaseModel):
    """A line imported with a warning (a phone kept as written): its number and why."""

    row: int
    message: str


class ImportRead(BaseModel):
    """An import report. ``errors`` holds the first 100 rejected lines, ``warnings`` the first
    100 lines imported with a warning; all are kept."""

    id: str
    kind: DeliveryKind
    status: ImportStatus
    partner: str | None
    source: ImportSource
    file_name: str
    file_hash: str
    file_size: int
    phone_region: str
    timezone: str
    rows_total: int
    rows_imported: int
    rows_duplicate: int
    rows_rejected: int
    rows_warned: int
    errors: list[ImportErrorRead]
    warnings: list[ImportWarningRead]
    failure: str | None
    duplicate_of: str | None
    created_at: datetime
    completed_at: datetime | None

    @classmethod
    def of(cls, report: ImportReport) -> ImportRead:
        job = report.job
        return cls(
            id=job.id,
            kind=DeliveryKind(job.kind),
            status=ImportStatus(job.status),
            partner=job.partner,
            source=ImportSource(job.source),
            file_name=job.file_name,
            file_hash=job.file_hash,
            file_size=job.file_size,
            phone_region=job.phone_region,
            timezone=job.timezone,
            rows_total=job.rows_total,
            rows_imported=job.rows_imported,
            rows_duplicate=job.rows_duplicate,
            rows_rejected=job.rows_rejected,
            rows_warned=job.rows_warned,
            errors=[ImportErrorRead(row=row, message=message) for row, message in report.errors],
            warnings=[
                ImportWarningRead(row=row, message=message) for row, message in report.warnings
            ],
            failure=job.failure,
            duplicate_of=report.duplicate_of,
            created_at=job.created_at,
            completed_at=job.completed_at,
        )


class HistoryEntryRead(BaseModel):
    """One event of a card's delivery; ``source`` is the id of the import that reported it."""

    event: DeliveryEvent
    at: datetime
    comment: str | None
    source: str


class CardStatusRead(BaseModel):
    """A card's delivery status, its failed attempts and its history oldest first."""

    card_id: str
    phone: str
    status: DeliveryEvent
    status_at: datetime
    delivery_attempts: int
    history: list[HistoryEntryRead]

    @classmethod
    def of(cls, view: CardStatusView) -> CardStatusRead:
        delivery = view.delivery
        return cls(
            card_id=view.card_id,
            phone=view.phone,
            status=DeliveryEvent(delivery.status),
            status_at=delivery.status_at,
            delivery_attempts=delivery.delivery_attempts,
            history=[
                HistoryEntryRead(
                    event=DeliveryEvent(h.event), at=h.at, comment=h.comment, source=h.source
                )
                for h in delivery.history
            ],
        )


class CardStatusList(BaseModel):
    """Several cards share the phone that was looked up."""

    items: list[CardStatusRead]
