"""The card store and key rotation, below HTTP: sealing, binding, re-wrapping, resuming."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tessera.audit.service import CLI
from tessera.crypto.vault import Sealed, VaultError
from tessera.kit.card_numbers import validate_card_number
from tessera.models import DEFAULT_FIRM_ID, VaultCard, VaultKey
from tessera.runtime import Runtime
from tessera.vault import card_store, rotation
from tests.support.cards import AMEX, MASTERCARD, VISA, VISA_2

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


@pytest.fixture
def session(runtime: Runtime) -> Iterator[Session]:
    with runtime.db.session_scope() as session:
        yield session


def _store(session: Session, runtime: Runtime, number: str) -> VaultCard:
    card = card_store.store_card(
        session,
        runtime.keyring,
        firm_id=DEFAULT_FIRM_ID,
        holder_id=None,
        card=validate_card_number(number),
        expiry=date(2030, 12, 31),
        cardholder_name="Ada Lovelace",
        source=card_store.SOURCE_REGISTRATION,
        now=NOW,
    )
    session.flush()
    return card


def _seed(runtime: Runtime, numbers: list[str]) -> list[str]:
    with runtime.db.session_scope() as session:
        return [_store(session, runtime, n).id for n in numbers]


class TestStoreCard:
    def test_seals_the_number_and_keeps_only_masked_parts_in_clear(
        self, session: Session, runtime: Runtime
    ) -> None:
        card = _store(session, runtime, VISA)
        assert VISA.encode() not in card.sealed_number
        assert (card.bin, card.last4, card.brand, card.pan_length) == ("411111", "1111", "visa", 16)
        assert card_store.open_number(session, runtime.keyring, card) == VISA
        assert card_store.masked_number(card) == "411111******1111"

    def test_tokens_are_random_and_unrelated_to_the_number(
        self, session: Session, runtime: Runtime
    ) -> None:
        first, second = _store(session, runtime, VISA), _store(session, runtime, VISA)
        assert first.token != second.token
        assert first.sealed_number != second.sealed_number
        assert first.fingerprint == second.fingerprint
        assert "1111" not in first.token.removeprefix("tok_")

    def test_fingerprints_differ_between_firms_and_from_a_plain_hash(
        self, runtime: Runtime
    ) -> None:
        keyring = runtime.keyring
        mine = card_store.card_fingerprint(keyring, firm_id="firm_a", number=VISA)
        theirs = card_store.card_fingerprint(keyring, firm_id="firm_b", number=VISA)
        assert mine != theirs
        assert mine != hashlib.sha256(VISA.encode()).hexdigest()

    def test_a_ciphertext_moved_to_another_row_does_not_open(
        self, session: Session, runtime: Runtime
    ) -> None:
        first, second = _store(session, runtime, VISA), _store(session, runtime, MASTERCARD)
        second.sealed_number = first.sealed_number
        with pytest.raises(VaultError):
            card_store.open_number(session, runtime.keyring, second)

    def test_a_tampered_ciphertext_does_not_open(self, session: Session, runtime: Runtime) -> None:
        card = _store(session, runtime, VISA)
        blob = bytearray(card.sealed_number)
        blob[-1] ^= 1
        card.sealed_number = bytes(blob)
        with pytest.raises(VaultError):
            card_store.open_number(session, runtime.keyring, card)


class TestKeyRotation:
    def _run(self, runtime: Runtime, *, mode: str = "rewrap", batch_size: int = 2) -> str:
        with runtime.db.session_scope() as session:
            started = rotation.start_rotation(
                session, runtime.keyring, mode=mode, actor=CLI, now=NOW
            )
            rotation_id = started.rotation.id
        while True:
            with runtime.db.session_scope() as session:
                job = rotation.repository.get_rotation(session, rotation_id)
                assert job is not None
                moved = rotation.rotate_batch(
                    session, runtime.keyring, rotation=job, batch_size=batch_size, now=NOW
                )
            if not moved:
                break
        with runtime.db.session_scope() as session:
            done = rotation.complete_rotation(session, rotation_id=rotation_id, actor=CLI, now=NOW)
            assert done is not None
        return rotation_id

    def test_rewrap_moves_every_card_to_the_new_version_and_keeps_the_data_key(
        self, runtime: Runtime
    ) -> None:
        ids = _seed(runtime, [VISA, VISA_2, MASTERCARD, AMEX, VISA])
        with runtime.db.session_scope() as session:
            before = {
                c.id: Sealed.from_bytes(c.sealed_number)
                for c in session.scalars(sa.select(VaultCard))
            }
        rotation_id = self._run(runtime)
        with runtime.db.session_scope() as session:
            job = rotation.repository.get_rotation(session, rotation_id)
            assert job is not None
            assert (job.status, job.rows_total, job.rows_done) == ("completed", 5, 5)
            check = rotation.verify_vault(session, runtime.keyring)
            assert check.ok
            assert check.by_version == {job.target_version: 5}
            for card in session.scalars(sa.select(VaultCard)):
                after = Sealed.from_bytes(card.sealed_number)
                assert after.key_version == job.target_version
                assert after.ciphertext == before[card.id].ciphertext
                assert after.wrapped_dek != before[card.id].wrapped_dek
            keys = {k.version: k.status for k in session.scalars(sa.select(VaultKey))}
            assert keys == {1: "retired", 2: "active"}
        assert len(ids) == 5

    def test_reencrypt_gives_every_card_a_new_data_key(self, runtime: Runtime) -> None:
        _seed(runtime, [VISA, MASTERCARD])
        with runtime.db.session_scope() as session:
            before = {c.id: c.sealed_number for c in session.scalars(sa.select(VaultCard))}
        self._run(runtime, mode="reencrypt")
        with runtime.db.session_scope() as session:
            for card in session.scalars(sa.select(VaultCard)):
                after = Sealed.from_bytes(card.sealed_number)
                assert after.ciphertext != Sealed.from_bytes(before[card.id]).ciphertext
            assert rotation.verify_vault(session, runtime.keyring).ok

    def test_an_interrupted_rotation_resumes_instead_of_adding_another_key(
        self, runtime: Runtime
    ) -> None:
        _seed(runtime, [VISA, VISA_2, MASTERCARD])
        with runtime.db.session_scope() as session:
            first = rotation.start_rotation(
                session, runtime.keyring, mode="rewrap", actor=CLI, now=NOW
            )
        with runtime.db.session_scope() as session:
            moved = rotation.rotate_batch(
                session, runtime.keyring, rotation=first.rotation, batch_size=1, now=NOW
            )
            assert moved == 1
            assert (
                rotation.complete_rotation(
                    session, rotation_id=first.rotation.id, actor=CLI, now=NOW
                )
                is None
            )
        # The process died here. Starting again picks the same rotation up.
        with runtime.db.session_scope() as session:
            again = rotation.start_rotation(
                session, runtime.keyring, mode="rewrap", actor=CLI, now=NOW
            )
            assert again.started is False
            assert again.rotation.id == first.rotation.id
        self._run(runtime)
        with runtime.db.session_scope() as session:
            assert sorted(k.version for k in session.scalars(sa.select(VaultKey))) == [1, 2]
            assert rotation.verify_vault(session, runtime.keyring).by_version == {2: 3}

    def test_cards_sealed_during_a_rotation_use_the_new_version(self, runtime: Runtime) -> None:
        _seed(runtime, [VISA])
        with runtime.db.session_scope() as session:
            started = rotation.start_rotation(
                session, runtime.keyring, mode="rewrap", actor=CLI, now=NOW
            )
        with runtime.db.session_scope() as session:
            fresh = _store(session, runtime, MASTERCARD)
            assert fresh.key_version == started.rotation.target_version

    def test_rotations_are_audited(self, runtime: Runtime) -> None:
        _seed(runtime, [VISA])
        rotation_id = self._run(runtime)
        with runtime.db.engine.connect() as conn:
            actions = conn.execute(
                sa.text("SELECT action, actor_type FROM audit_events WHERE target_id = :id"),
                {"id": rotation_id},
            ).all()
        assert sorted(actions) == [
            ("vault.key_rotation_completed", "cli"),
            ("vault.key_rotation_started", "cli"),
        ]


class TestRunRotation:
    def test_runs_batches_reports_each_and_can_stop_and_resume(self, runtime: Runtime) -> None:
        _seed(runtime, [VISA, VISA_2, MASTERCARD, AMEX, VISA])
        with runtime.db.session_scope() as session:
            job = rotation.start_rotation(
                session, runtime.keyring, mode="rewrap", actor=CLI, now=NOW
            ).rotation
            rotation_id = job.id
        reports: list[rotation.BatchReport] = []
        stopped = rotation.run_rotation(
            runtime.db,
            runtime.keyring,
            rotation_id=rotation_id,
            actor=CLI,
            clock=lambda: NOW,
            batch_size=2,
            on_batch=reports.append,
            should_stop=lambda: len(reports) >= 1,
        )
        assert stopped is None
        assert [(r.moved, r.rows_done, r.rows_total) for r in reports] == [(2, 2, 5)]
        done = rotation.run_rotation(
            runtime.db,
            runtime.keyring,
            rotation_id=rotation_id,
            actor=CLI,
            clock=lambda: NOW,
            batch_size=2,
            on_batch=reports.append,
        )
        assert done is not None
        assert (done.status, done.rows_done) == ("completed", 5)
        assert [r.rows_done for r in reports] == [2, 4, 5]
        again = rotation.run_rotation(
            runtime.db, runtime.keyring, rotation_id=rotation_id, actor=CLI, clock=lambda: NOW
        )
        assert again is not None
        assert again.completed_at == done.completed_at

    def test_the_worker_step_does_nothing_without_a_running_rotation(
        self, runtime: Runtime
    ) -> None:
        _seed(runtime, [VISA])
        assert rotation.rotation_step(runtime.db, runtime.keyring, clock=lambda: NOW) == 0
        with runtime.db.session_scope(write=False) as session:
            assert rotation.repository.count_cards_by_version(session) == {1: 1}

    def test_verify_reports_a_row_whose_clear_parts_do_not_match(self, runtime: Runtime) -> None:
        _seed(runtime, [VISA, MASTERCARD])
        with runtime.db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE vault_cards SET last4 = '0000' WHERE bin = '411111'"))
        with runtime.db.session_scope(write=False) as session:
            check = rotation.verify_vault(session, runtime.keyring)
        assert not check.ok
        assert len(check.failures) == 1
        assert check.cards == 2


class TestFirstMasterKey:
    def test_two_processes_creating_the_first_version_agree(self, runtime: Runtime) -> None:
        import threading

        import sqlalchemy as sa

        from tessera.crypto.vault import EnvelopeCipher
        from tessera.kit.keyring import KeyRing

        with runtime.db.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM vault_keys"))
        barrier = threading.Barrier(2)
        versions: list[int] = []
        errors: list[BaseException] = []

        def start() -> None:
            ring = KeyRing(EnvelopeCipher(runtime.settings.master_key_bytes()))
            try:
                barrier.wait()
                with runtime.db.session_scope() as session:
                    versions.append(ring.active_version(session))
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=start) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert errors == []
        assert versions == [1, 1]
        with runtime.db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM vault_keys")).scalar_one() == 1
