"""Delivery imports and card delivery statuses: the rules, one transaction at a time.

Every function here works inside the caller's transaction and only flushes. ``importer`` drives
an import batch by batch, committing after each one, and calls ``apply_batch`` for each.

How an import stays correct when it is cut short or repeated:

- Each delivery event is stored once per firm under its natural key (event, card id, UTC instant;
  ``parsing.natural_key``), with ``INSERT ... ON CONFLICT DO NOTHING``, so a file imported twice,
  or two files that overlap, add nothing the second time: those rows count as ``rows_duplicate``.
- A card's current status (``card_delivery_statuses``) is folded forward from only the events a
  batch really stored (``rules.advance_status``), in the same transaction as the events, and a
  ``card_delivery.status_changed`` event is written when the status or its instant moved. The
  fold is order-independent, so the final status does not depend on the order files arrive in.
- A batch commits its events, statuses, outbox events, rejected lines and the import's counts
  and resume line together. A crash loses at most the batch in flight; resuming starts after the
  resume line, and re-importing the file instead converges too (committed rows are duplicates).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from sqlalchemy.orm import Session

from tessera.audit import service as audit
from tessera.cards import repository as cards
from tessera.deliveries import repository
from tessera.deliveries.batches import (
    CardFold,
    PreparedBatch,
    fold_rows,
    read_time,
    status_change,
)
from tessera.deliveries.parsing import (
    EXPECTED_COLUMNS,
    DeliveryFileError,
    EmptyFile,
    UndeterminedKind,
    UnrecognisedHeader,
)
from tessera.deliveries.rules import (
    StatusEvent,
    StatusSummary,
    compat_status_label,
    fold_status,
    is_card_id,
    merge_summaries,
)
from tessera.errors import Forbidden, NotFound, RuleViolation, TesseraError, ValidationFailed
from tessera.events.service import record_event, record_events
from tessera.events.types import EventType
from tessera.firms import repository as firm_repository
from tessera.firms import service as firms
from tessera.kit.ids import new_id
from tessera.kit.pagination import Page, PageParams
from tessera.kit.phone import InvalidPhone, normalize_phone
from tessera.models import CardDeliveryStatus, DeliveryImport, DeliveryPartner
from tessera.principal import Principal, Scope

REPORT_ERROR_LIMIT = 100
_PARTNER_NAME = re.compile(r"[a-z0-9][a-z0-9 ._-]{0,63}", re.ASCII)


# --- errors a whole file can have -------------------------------------------------------------


class UnrecognisedFileHeader(RuleViolation):
    default_code = "unrecognised_header"


class UndeterminedFileKind(RuleViolation):
    default_code = "undetermined_kind"


class EmptyDeliveryFile(RuleViolation):
    default_code = "empty_file"


class UnreadableDeliveryFile(RuleViolation):
    default_code = "unreadable_file"


def file_error(exc: DeliveryFileError) -> TesseraError:
    """The API error for a file that cannot be imported at all."""
    if isinstance(exc, UnrecognisedHeader):
        return UnrecognisedFileHeader(
            str(exc),
            details={"expected": exc.expected, "found": exc.found, "missing": exc.missing},
        )
    if isinstance(exc, UndeterminedKind):
        return UndeterminedFileKind(
            str(exc), details={"kinds": ["pickup", "delivery_exception", "delivered", "returned"]}
        )
    if isinstance(exc, EmptyFile):
        return EmptyDeliveryFile(
            "The file is empty; send a CSV file with a header line and rows.",
            details={"expected": list(EXPECTED_COLUMNS)},
        )
    return UnreadableDeliveryFile(str(exc))


# --- partners -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReadingRules:
    """How a file's phones and zone-less timestamps are read: the partner's, or the firm's."""

    partner: str | None
    phone_region: str
    timezone: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def normalize_partner_name(name: str) -> str:
    """A partner name as stored: trimmed, lower case, 1..64 of letters, digits, ``._-`` space."""
    value = " ".join(name.split()).casefold()
    if not _PARTNER_NAME.fullmatch(value):
        raise ValidationFailed.single(
            "partner", "A partner name is 1 to 64 letters, digits, spaces, dots, dashes or _."
        )
    return value


def validate_region(region: str) -> str:
    """An ISO 3166 region that phonenumbers knows (``AE``), upper case."""
    value = region.strip().upper()
    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationFailed.single("phone_region", "Not a phone region (use e.g. AE, GB).")
    return value


def validate_timezone(name: str) -> str:
    """An IANA time zone name (``Asia/Dubai``)."""
    value = name.strip()
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed.single(
            "timezone", "Not an IANA time zone (use e.g. Asia/Dubai)."
        ) from exc
    return value


def reading_rules(session: Session, *, firm_id: str, partner: str | None) -> ReadingRules:
    """The rules for a file from ``partner``: its own when configured, else the firm's defaults."""
    name = normalize_partner_name(partner) if partner else None
    if name is not None:
        configured = repository.get_partner(session, firm_id=firm_id, name=name)
        if configured is not None:
            return ReadingRules(name, configured.phone_region, configured.timezone)
    firm = firms.get_firm(session, firm_id)
    return ReadingRules(name, firm.phone_region, firm.timezone)


def set_partner(
    session: Session, *, firm_id: str, name: str, phone_region: str, timezone: str, now: datetime
) -> DeliveryPartner:
    """Create or change a partner's phone region and time zone."""
    key = normalize_partner_name(name)
    region = validate_region(phone_region)
    zone = validate_timezone(timezone)
    firms.get_firm(session, firm_id)
    partner = repository.get_partner(session, firm_id=firm_id, name=key)
    if partner is None:
        partner = repository.add_partner(
            session,
            DeliveryPartner(
                id=new_id("dpt"),
                firm_id=firm_id,
                name=key,
                phone_region=region,
                timezone=zone,
                created_at=now,
                updated_at=now,
            ),
        )
    else:
        partner.phone_region = region
        partner.timezone = zone
        partner.updated_at = now
    session.flush()
    return partner


def firm_id_for_slug(session: Session, slug: str) -> str:
    """The id of the firm with this slug (for the CLI's ``--firm``); NotFound otherwise."""
    firm = firm_repository.get_by_slug(session, slug)
    if firm is None:
        raise NotFound("No firm has this slug.")
    return firm.id


def list_partners(session: Session, *, firm_id: str) -> list[DeliveryPartner]:
    """A firm's configured partners."""
    return repository.list_partners(session, firm_id=firm_id)


# --- import jobs ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewImport:
    """What is known of a file before its rows are read."""

    firm_id: str
    kind: str
    source: str
    source_path: str | None
    file_name: str
    file_hash: str
    file_size: int
    rules: ReadingRules
    created_by: str | None


def create_import(
    session: Session,
    new: NewImport,
    *,
    status: str,
    actor: audit.Actor | Principal,
    now: datetime,
) -> DeliveryImport:
    """Record an import (queued, or processing by the caller) and audit who started it."""
    job = repository.add_import(
        session,
        DeliveryImport(
            id=new_id("dim"),
            firm_id=new.firm_id,
            partner=new.rules.partner,
            kind=new.kind,
            source=new.source,
            source_path=new.source_path,
            file_name=new.file_name[:255],
            file_hash=new.file_hash,
            file_size=new.file_size,
            phone_region=new.rules.phone_region,
            timezone=new.rules.timezone,
            status=status,
            rows_total=0,
            rows_imported=0,
            rows_duplicate=0,
            rows_rejected=0,
            rows_warned=0,
            resume_line=1,
            created_by=new.created_by,
            created_at=now,
            started_at=now if status == "processing" else None,
            heartbeat_at=now if status == "processing" else None,
        ),
    )
    session.flush()
    audit.record(
        session,
        firm_id=job.firm_id,
        actor=actor,
        action="delivery_import.created",
        target_type="delivery_import",
        target_id=job.id,
        data={"kind": job.kind, "source": job.source, "file_hash": job.file_hash},
        now=now,
    )
    return job


def start_import(session: Session, job: DeliveryImport, *, now: datetime) -> None:
    """Mark a claimed import as being processed by the caller (a new lease)."""
    job.status = "processing"
    job.started_at = job.started_at or now
    job.heartbeat_at = now
    session.flush()


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """What one batch did."""

    total: int
    imported: int
    duplicate: int
    rejected: int
    status_changes: int


def apply_batch(
    session: Session, *, job: DeliveryImport, batch: PreparedBatch, now: datetime
) -> BatchOutcome:
    """Store a prepared batch of an import: events, statuses, outbox events, rejections, counts."""
    firm_id = job.firm_id
    repository.prepare_import_connection(session)
    repository.lock_firm_imports(session, firm_id)
    inserted = repository.insert_new_events(session, batch.events, sqlite_times=batch.sqlite_times)
    # Usually every event is new and the batch's own folds apply as they are.
    folds = batch.cards if len(inserted) == len(batch.events) else _refold(batch, inserted, job.id)
    changes = _merge_into_statuses(session, firm_id=firm_id, import_id=job.id, folds=folds, now=now)
    repository.add_rejections(
        session,
        [
            {"firm_id": firm_id, "import_id": job.id, "row": row, "message": message}
            for row, message in batch.rejected
        ],
    )
    repository.add_warnings(
        session,
        [
            {"firm_id": firm_id, "import_id": job.id, "row": row, "message": message}
            for row, message in batch.warnings
        ],
    )
    rejected = len(batch.rejected)
    outcome = BatchOutcome(
        total=batch.lines,
        imported=len(inserted),
        duplicate=batch.lines - rejected - len(inserted),
        rejected=rejected,
        status_changes=changes,
    )
    repository.add_progress(
        session,
        job.id,
        total=outcome.total,
        imported=outcome.imported,
        duplicate=outcome.duplicate,
        rejected=outcome.rejected,
        warned=len(batch.warnings),
        resume_line=batch.last_line,
        now=now,
    )
    return outcome


def _refold(batch: PreparedBatch, inserted: set[int], import_id: str) -> list[CardFold]:
    # Some events were known already: fold again only what was really stored.
    by_line = {event[8]: event for event in batch.events}
    folds: list[CardFold] = []
    for fold in batch.cards:
        new = [line for line in fold.rows if line in inserted]
        if len(new) == len(fold.rows):
            folds.append(fold)
        elif new:
            rows = [
                (by_line[line][3], read_time(by_line[line][4]), by_line[line][2], line)
                for line in new
            ]
            folds.append(fold_rows(fold.card_id, rows, import_id=import_id))
    return folds


def _merge_into_statuses(
    session: Session, *, firm_id: str, import_id: str, folds: list[CardFold], now: datetime
) -> int:
    # Merge each card's folded batch into its stored summary, write the summaries back and
    # report each card whose status (or its instant) moved.
    if not folds:
        return 0
    stored = repository.statuses_for(session, firm_id=firm_id, card_ids=[f.card_id for f in folds])
    inserts: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    changes: list[dict[str, Any]] = []
    new_cards: list[tuple[str, str]] = []  # prepared with the batch
    for fold in folds:
        card_id = fold.card_id
        old = stored.get(card_id)
        if old is None:
            before = None
            after = fold.summary
            phone = fold.phone
        else:
            before = StatusSummary(
                old.status, old.status_at, old.delivery_attempts, old.latest_event, old.latest_at
            )
            after = merge_summaries(before, fold.summary)
            newest_in_batch = (after.latest_event, after.latest_at) == (
                fold.summary.latest_event,
                fold.summary.latest_at,
            )
            phone = fold.phone if newest_in_batch else old.phone
        (inserts if old is None else updates).append(
            (
                card_id,
                phone,
                after.status,
                after.status_at,
                after.delivery_attempts,
                after.latest_event,
                after.latest_at,
                now,
            )
        )
        if before is None:
            new_cards.append(fold.new_change)
        elif (after.status, after.status_at) != (before.status, before.status_at):
            changes.append(status_change(card_id, phone, after, before, import_id))
    repository.write_statuses(session, firm_id=firm_id, inserts=inserts, updates=updates)
    return record_events(
        session,
        firm_id=firm_id,
        type=EventType.CARD_DELIVERY_STATUS_CHANGED,
        items=changes,
        encoded=new_cards,
        now=now,
    )


def complete_import(session: Session, *, job: DeliveryImport, now: datetime) -> DeliveryImport:
    """Finish an import: completed, its stored upload dropped, ``delivery_import.completed``."""
    job.status = "completed"
    job.completed_at = now
    job.heartbeat_at = now
    repository.delete_chunks(session, job.id)
    session.flush()
    record_event(
        session,
        firm_id=job.firm_id,
        type=EventType.DELIVERY_IMPORT_COMPLETED,
        data=import_event_data(job),
        now=now,
    )
    return job


def fail_import(session: Session, *, job: DeliveryImport, message: str, now: datetime) -> None:
    """Give up on an import whose file turned out unreadable; what it stored stays."""
    job.status = "failed"
    job.failure = message[:500]
    job.completed_at = now
    job.heartbeat_at = now
    repository.delete_chunks(session, job.id)
    session.flush()


def mark_archived(session: Session, *, job: DeliveryImport, now: datetime) -> None:
    """Note that the watcher moved the import's file out of the watched folder."""
    job.archived_at = now
    session.flush()


def import_event_data(job: DeliveryImport) -> dict[str, Any]:
    """The public summary of an import, as events carry it (no rows, no errors)."""
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "partner": job.partner,
        "file_name": job.file_name,
        "rows_total": job.rows_total,
        "rows_imported": job.rows_imported,
        "rows_duplicate": job.rows_duplicate,
        "rows_rejected": job.rows_rejected,
        "created_at": job.created_at,
        "completed_at": job.completed_at,
    }


# --- reading imports ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportReport:
    """An import with its first rejected lines, its first warnings and, for a repeated file,
    the earlier import."""

    job: DeliveryImport
    errors: list[tuple[int, str]]
    duplicate_of: str | None
    warnings: list[tuple[int, str]] = dataclasses.field(default_factory=list)


def report_of(session: Session, job: DeliveryImport) -> ImportReport:
    """The report of an import as the API shows it."""
    return ImportReport(
        job=job,
        errors=repository.first_rejections(session, job.id, limit=REPORT_ERROR_LIMIT),
        warnings=repository.page_warnings(session, job.id, limit=REPORT_ERROR_LIMIT, offset=0),
        duplicate_of=repository.first_completed_with_hash(
            session,
            firm_id=job.firm_id,
            file_hash=job.file_hash,
            created_at=job.created_at,
            import_id=job.id,
        )
        if job.status == "completed"
        else None,
    )


def _require_staff_reader(principal: Principal) -> None:
    principal.require(Scope.DELIVERIES_READ)
    if principal.is_customer:
        raise Forbidden("Only firm staff can see delivery imports.")


def get_import(session: Session, *, principal: Principal, import_id: str) -> ImportReport:
    """One import report of the caller's firm; 404 otherwise."""
    _require_staff_reader(principal)
    job = repository.get_import(session, import_id, visibility=principal.firm_visibility)
    if job is None:
        raise NotFound("Import not found.")
    return report_of(session, job)


def list_imports(session: Session, *, principal: Principal, page: PageParams) -> Page[ImportReport]:
    """The caller's firm's imports, newest first."""
    _require_staff_reader(principal)
    items, total = repository.page_imports(
        session, visibility=principal.firm_visibility, limit=page.limit, offset=page.offset
    )
    return Page(
        items=[report_of(session, job) for job in items],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


def list_import_errors(
    session: Session, *, principal: Principal, import_id: str, page: PageParams
) -> Page[tuple[int, str]]:
    """Every rejected line of an import, by line number, a page at a time."""
    _require_staff_reader(principal)
    job = repository.get_import(session, import_id, visibility=principal.firm_visibility)
    if job is None:
        raise NotFound("Import not found.")
    items = repository.page_rejections(session, job.id, limit=page.limit, offset=page.offset)
    return Page(items=items, total=job.rows_rejected, limit=page.limit, offset=page.offset)


def list_import_warnings(
    session: Session, *, principal: Principal, import_id: str, page: PageParams
) -> Page[tuple[int, str]]:
    """Every line of an import imported with a warning, by line number, a page at a time."""
    _require_staff_reader(principal)
    job = repository.get_import(session, import_id, visibility=principal.firm_visibility)
    if job is None:
        raise NotFound("Import not found.")
    items = repository.page_warnings(session, job.id, limit=page.limit, offset=page.offset)
    return Page(items=items, total=job.rows_warned, limit=page.limit, offset=page.offset)


# --- card status ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One event of a card's delivery, as the API shows it."""

    event: str
    at: datetime
    comment: str | None
    source: str


@dataclass(frozen=True, slots=True)
class DeliveryView:
    """A card's delivery status: what ``GET /v1/cards/{id}`` shows as ``delivery``."""

    status: str
    status_at: datetime
    delivery_attempts: int
    history: list[HistoryEntry]


@dataclass(frozen=True, slots=True)
class CardStatusView:
    """A courier card id with its phone and delivery status."""

    card_id: str
    phone: str
    delivery: DeliveryView


@dataclass(frozen=True, slots=True)
class CurrentDelivery:
    """A card's current delivery status, without its history (for card reads)."""

    status: str
    status_at: datetime
    delivery_attempts: int


def current_deliveries(
    session: Session, *, firm_id: str, references: Iterable[str]
) -> dict[str, CurrentDelivery]:
    """The current delivery status of the cards couriers know by these references, if any.

    One query for a whole page of issued cards. The caller has checked visibility.
    """
    wanted = {ref: ref.strip().upper() for ref in references}
    wanted = {ref: card_id for ref, card_id in wanted.items() if is_card_id(card_id)}
    if not wanted:
        return {}
    rows = repository.statuses_for(session, firm_id=firm_id, card_ids=set(wanted.values()))
    return {
        ref: CurrentDelivery(
            status=rows[card_id].status,
            status_at=rows[card_id].status_at,
            delivery_attempts=int(rows[card_id].delivery_attempts),
        )
        for ref, card_id in wanted.items()
        if card_id in rows
    }


def delivery_for_reference(
    session: Session, *, firm_id: str, reference: str
) -> DeliveryView | None:
    """The delivery status of the card couriers know as ``reference`` in a firm, or None.

    For ``GET /v1/cards/{id}``: a physical card's ``reference`` is the card id in courier files.
    The caller has already checked that the card is visible to its principal.
    """
    card_id = reference.strip().upper()
    if not is_card_id(card_id):
        return None
    return _delivery_of(session, firm_id=firm_id, card_id=card_id)


def _delivery_of(session: Session, *, firm_id: str, card_id: str) -> DeliveryView | None:
    events = repository.events_of_card(session, firm_id=firm_id, card_id=card_id)
    if not events:
        return None
    folded = fold_status(
        StatusEvent(e.event, e.occurred_at, e.comment, e.import_id) for e in events
    )
    return DeliveryView(
        status=folded.status,
        status_at=folded.status_at,
        delivery_attempts=folded.delivery_attempts,
        history=[HistoryEntry(e.event, e.occurred_at, e.comment, e.source) for e in folded.history],
    )


def card_status(
    session: Session,
    *,
    principal: Principal,
    card_id: str | None,
    phone: str | None,
    phone_field: str = "phone",
) -> list[CardStatusView]:
    """The delivery status of a card, by courier card id or by phone (any common format).

    Both given means both must match. Looking up by phone is for firm staff and machine clients
    (``deliveries:read``): a customer gets 403 for it, since the phone on their profile is never
    verified and anyone can sign up with someone else's. A customer sees only the cards issued
    to them, by card id (the card's ``reference``); any other card is a 404. 404 when nothing
    matches; 422 when neither or a malformed value is given.
    """
    principal.require(Scope.DELIVERIES_READ)
    if principal.is_customer and phone is not None and phone.strip():
        raise Forbidden(
            f"Look up your cards by card_id; looking up by {phone_field} is for firm staff.",
            details={"parameter": phone_field},
        )
    wanted_card, wanted_phone = _lookup_keys(
        session, principal, card_id=card_id, phone=phone, phone_field=phone_field
    )
    visibility = principal.visibility
    # Statuses carry no holder: a customer's are those whose card reference is theirs.
    firms = visibility.firm_wide()
    found: list[CardDeliveryStatus] = []
    if wanted_card is not None:
        found = repository.status_by_card(session, visibility=firms, card_id=wanted_card)
        if wanted_phone is not None:
            found = [s for s in found if s.phone == wanted_phone]
    elif wanted_phone is not None:
        found = repository.statuses_by_phone(session, visibility=firms, phone=wanted_phone)
    holder_id = visibility.holder_id
    if holder_id is not None:
        found = [
            s
            for s in found
            if cards.holder_has_reference(
                session, firm_id=s.firm_id, holder_id=holder_id, reference=s.card_id
            )
        ]
    views: list[CardStatusView] = []
    for status in found:
        delivery = _delivery_of(session, firm_id=status.firm_id, card_id=status.card_id)
        if delivery is not None:
            views.append(CardStatusView(status.card_id, status.phone, delivery))
    if not views:
        raise NotFound("No delivery is known for this card or phone.")
    return views


@dataclass(frozen=True, slots=True)
class LegacyCardStatus:
    """The answer of the source document's ``/get_card_status``."""

    card_id: str
    user_phone: str
    status: str
    last_updated: datetime


def legacy_card_status(
    session: Session, *, principal: Principal, card_id: str | None, user_phone: str | None
) -> LegacyCardStatus:
    """``/get_card_status``: one card by id and/or phone, its status spelt ``Picked Up``...

    The phone comes back as the source document wrote it: the national number without the
    country code (``585949014``). A phone with several cards gives the most recently updated.
    """
    views = card_status(
        session, principal=principal, card_id=card_id, phone=user_phone, phone_field="user_phone"
    )
    view = max(views, key=lambda v: (v.delivery.status_at, v.card_id))
    return LegacyCardStatus(
        card_id=view.card_id,
        user_phone=_national_number(view.phone),
        status=compat_status_label(view.delivery.status),
        last_updated=view.delivery.status_at,
    )


def _national_number(phone: str) -> str:
    # A phone the courier's file got wrong is kept as written, and shown so.
    if not phone.startswith("+"):
        return phone
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return phone
    return str(phonenumbers.national_significant_number(number))


def _lookup_keys(
    session: Session,
    principal: Principal,
    *,
    card_id: str | None,
    phone: str | None,
    phone_field: str,
) -> tuple[str | None, str | None]:
    card = card_id.strip().upper() if card_id is not None and card_id.strip() else None
    raw_phone = phone.strip() if phone is not None and phone.strip() else None
    if card is None and raw_phone is None:
        raise ValidationFailed(
            [
                {"field": "card_id", "message": f"Give card_id or {phone_field}."},
                {"field": phone_field, "message": f"Give card_id or {phone_field}."},
            ],
            message="Give a card id or a phone number.",
        )
    if card is not None and not is_card_id(card):
        raise ValidationFailed.single(
            "card_id", "A card id is 1 to 64 printable characters without spaces."
        )
    normalized = None
    if raw_phone is not None:
        region = firms.get_firm(session, principal.firm_id).phone_region
        try:
            normalized = normalize_phone(raw_phone, region=region)
        except InvalidPhone as exc:
            raise ValidationFailed.single(phone_field, "Not a valid phone number.") from exc
    return card, normalized
