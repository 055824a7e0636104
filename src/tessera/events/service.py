"""Writing events to the outbox, inside the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy.orm import Session

from tessera.events import repository
from tessera.events.types import EventType
from tessera.kit.ids import new_id
from tessera.models.base import utcnow


def record_event(
    session: Session,
    *,
    firm_id: str,
    type: EventType,
    data: dict[str, Any],
    now: datetime | None = None,
) -> str:
    """Add an event to the outbox; it commits (or not) with the change it reports.

    ``data`` is the public representation of the object, as the API would show it; it must
    never hold a full card number or a secret. It is encoded the way the API encodes answers
    (pydantic's JSON mode), so timestamps read ``2026-11-23T08:46:33Z`` in webhooks too.
    Returns the event's id.
    """
    event_id = new_id("evt")
    repository.insert(
        session,
        event_id=event_id,
        firm_id=firm_id,
        type=type.value,
        data=to_jsonable_python(data),
        created_at=now or utcnow(),
    )
    return event_id


def record_events(
    session: Session,
    *,
    firm_id: str,
    type: EventType,
    items: list[dict[str, Any]],
    now: datetime,
    encoded: Sequence[tuple[str, str]] = (),
) -> int:
    """Add many events of one type in one statement; returns how many.

    For changes made by the thousand (a courier file moves thousands of cards). Each item must
    already be JSON-ready (strings, numbers, None): encoding them one by one with
    ``jsonable_encoder`` would cost more than the import itself. ``encoded`` adds events whose
    id (``new_id("evt")``) and JSON text were prepared elsewhere (off the writing path).
    """
    dumps = json.dumps
    rows = [(new_id("evt"), dumps(data)) for data in items]
    rows.extend(encoded)
    repository.add_many(session, firm_id=firm_id, type=type.value, created_at=now, encoded=rows)
    return len(rows)
