"""Master key rotation: add a version, then move every vault card to it in small batches.

A rotation is a row in ``vault_key_rotations``. Starting one adds a master key version (new
values are sealed under it at once) and records how many rows must move. Each batch locks a few
hundred rows still under an older version, re-wraps their data keys (or, in ``reencrypt`` mode,
decrypts and encrypts them again under fresh data keys), writes them and commits, so the service
keeps serving between batches and an interrupted rotation resumes where it stopped: the rows left
to move are simply those still under an older version. The CLI (`tessera keys rotate`) and the
worker job run the same batches, and can run side by side.

When a batch finds nothing left, the rotation completes and older versions are retired: kept to
open anything unexpected, never used to seal again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from tessera.audit import service as audit
from tessera.crypto.vault import Sealed, VaultError
from tessera.db import Database
from tessera.errors import Conflict
from tessera.kit.ids import new_id
from tessera.kit.keyring import KeyRing
from tessera.kit.keyring import repository as master_keys
from tessera.models import DEFAULT_FIRM_ID, VaultKeyRotation
from tessera.vault import repository
from tessera.vault.card_store import open_number, sealing_context

MODES = ("rewrap", "reencrypt")
DEFAULT_BATCH_SIZE = 500


@dataclass(frozen=True, slots=True)
class RotationStart:
    """The rotation to work on, and whether this call started it (False: resumed)."""

    rotation: VaultKeyRotation
    started: bool


def start_rotation(
    session: Session,
    keyring: KeyRing,
    *,
    mode: str,
    actor: audit.Actor,
    now: datetime,
) -> RotationStart:
    """Start a rotation to a new master key version, or return the one already running."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    running = repository.get_running_rotation(session)
    if running is not None:
        return RotationStart(running, started=False)
    version = keyring.add_version(session)
    rotation = repository.add_rotation(
        session,
        VaultKeyRotation(
            id=new_id("rot"),
            target_version=version,
            mode=mode,
            status="running",
            rows_total=repository.count_cards_below(session, version),
            rows_done=0,
            started_by=actor.type if actor.id is None else f"{actor.type}:{actor.id}",
            started_at=now,
            updated_at=now,
        ),
    )
    audit.record(
        session,
        firm_id=DEFAULT_FIRM_ID,
        actor=actor,
        action="vault.key_rotation_started",
        target_type="vault_key_rotation",
        target_id=rotation.id,
        data={"target_version": version, "mode": mode, "rows_total": rotation.rows_total},
        now=now,
    )
    return RotationStart(rotation, started=True)


def rotate_batch(
    session: Session,
    keyring: KeyRing,
    *,
    rotation: VaultKeyRotation,
    batch_size: int = DEFAULT_BATCH_SIZE,
    now: datetime,
) -> int:
    """Move up to ``batch_size`` cards to the rotation's version; returns how many moved."""
    rows = repository.lock_cards_below(session, rotation.target_version, limit=batch_size)
    updates: list[dict[str, Any]] = []
    for row in rows:
        aad = sealing_context(row.id, row.firm_id)
        sealed = Sealed.from_bytes(row.sealed_number)
        if rotation.mode == "reencrypt":
            moved = keyring.reseal(session, sealed, to_version=rotation.target_version, aad=aad)
        else:
            moved = keyring.rewrap(session, sealed, to_version=rotation.target_version, aad=aad)
        updates.append(
            {"id": row.id, "sealed_number": moved.to_bytes(), "key_version": moved.key_version}
        )
    repository.update_sealed_numbers(session, updates)
    if updates:
        repository.count_rotation_progress(session, rotation.id, moved=len(updates), now=now)
    # The ORM copies are stale after the bulk UPDATE; nothing else in this session reads them.
    for row in rows:
        session.expunge(row)
    return len(updates)


def complete_rotation(
    session: Session, *, rotation_id: str, actor: audit.Actor, now: datetime
) -> VaultKeyRotation | None:
    """Complete the rotation if no card is left under an older version; None if some are."""
    rotation = repository.get_rotation(session, rotation_id, lock=True)
    if rotation is None:  # pragma: no cover - rotations are never deleted
        raise Conflict("The rotation does not exist.")
    if rotation.status == "completed":
        return rotation
    if repository.count_cards_below(session, rotation.target_version):
        return None
    rotation.status = "completed"
    rotation.completed_at = now
    rotation.updated_at = now
    retired = master_keys.retire_keys_below(session, rotation.target_version)
    session.flush()
    elapsed = max((now - rotation.started_at).total_seconds(), 1e-9)
    audit.record(
        session,
        firm_id=DEFAULT_FIRM_ID,
        actor=actor,
        action="vault.key_rotation_completed",
        target_type="vault_key_rotation",
        target_id=rotation.id,
        data={
            "target_version": rotation.target_version,
            "mode": rotation.mode,
            "rows_done": rotation.rows_done,
            "versions_retired": retired,
            "seconds": round(elapsed, 3),
        },
        now=now,
    )
    return rotation


@dataclass(frozen=True, slots=True)
class VaultCheck:
    """The result of opening every vault card."""

    cards: int
    by_version: dict[int, int]
    failures: list[str]

    @property
    def ok(self) -> bool:
        return not self.failures


def verify_vault(session: Session, keyring: KeyRing, *, batch_size: int = 1000) -> VaultCheck:
    """Open every vault card; list the tokens of those that do not decrypt to a valid number."""
    from tessera.kit.card_numbers import luhn_valid

    count = 0
    by_version: dict[int, int] = {}
    failures: list[str] = []
    after = ""
    while True:
        rows = repository.cards_after(session, after, limit=batch_size)
        if not rows:
            break
        for row in rows:
            count += 1
            by_version[row.key_version] = by_version.get(row.key_version, 0) + 1
            try:
                number = open_number(session, keyring, row)
            except VaultError:
                failures.append(row.token)
                continue
            sealed_version = Sealed.from_bytes(row.sealed_number).key_version
            if (
                not luhn_valid(number)
                or number[-4:] != row.last4
                or not number.startswith(row.bin)
                or sealed_version != row.key_version
            ):
                failures.append(row.token)
        after = rows[-1].id
        session.expunge_all()
    return VaultCheck(cards=count, by_version=by_version, failures=failures)


@dataclass(frozen=True, slots=True)
class BatchReport:
    """One committed batch of a rotation run."""

    moved: int
    rows_done: int
    rows_total: int
    seconds: float


def run_rotation(
    db: Database,
    keyring: KeyRing,
    *,
    rotation_id: str,
    actor: audit.Actor,
    clock: Callable[[], datetime],
    batch_size: int = DEFAULT_BATCH_SIZE,
    pause_seconds: float = 0.0,
    on_batch: Callable[[BatchReport], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> VaultKeyRotation | None:
    """Move batches until the rotation completes; each batch is its own transaction.

    Returns the completed rotation, or None when ``should_stop`` ended the run first (the
    rotation then stays ``running`` and the next run resumes it). ``pause_seconds`` between
    batches leaves room for the service's own writers on a busy SQLite database.
    """
    while should_stop is None or not should_stop():
        started = time.perf_counter()
        with db.session_scope() as session:
            job = repository.get_rotation(session, rotation_id)
            if job is None:  # pragma: no cover - rotations are never deleted
                raise Conflict("The rotation does not exist.")
            if job.status == "completed":
                return job
            moved = rotate_batch(session, keyring, rotation=job, batch_size=batch_size, now=clock())
        if moved:
            if on_batch is not None:
                with db.session_scope(write=False) as session:
                    job = repository.get_rotation(session, rotation_id)
                    if job is not None:
                        on_batch(
                            BatchReport(
                                moved=moved,
                                rows_done=job.rows_done,
                                rows_total=job.rows_total,
                                seconds=time.perf_counter() - started,
                            )
                        )
            if pause_seconds:
                time.sleep(pause_seconds)
            continue
        with db.session_scope() as session:
            done = complete_rotation(session, rotation_id=rotation_id, actor=actor, now=clock())
        if done is not None:
            return done
        # Rows are left, but another rotator holds them (SKIP LOCKED): let it finish them.
        time.sleep(0.05)
    return None


def rotation_step(db: Database, keyring: KeyRing, *, clock: Callable[[], datetime]) -> int:
    """One batch of the running rotation, if any (the worker job); returns the rows moved."""
    with db.session_scope() as session:
        job = repository.get_running_rotation(session)
        if job is None:
            return 0
        rotation_id = job.id
        moved = rotate_batch(session, keyring, rotation=job, now=clock())
    if not moved:
        with db.session_scope() as session:
            complete_rotation(session, rotation_id=rotation_id, actor=audit.SYSTEM, now=clock())
    return moved
