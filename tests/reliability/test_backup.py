"""The backup drill: back up while transfers stream in, restore into a fresh database, prove it.

``tessera backup`` runs against the live service in the middle of a stream of transfers; the
copy is restored with ``tessera restore`` into a new database; there ``tessera ledger verify``,
``tessera audit verify`` and ``tessera keys verify`` (every vault card decrypts) must pass, and
every transfer acknowledged before the backup started must be in it, whole. A restore with the
wrong master key, and one into a database that is not empty, must be refused with one line and
change nothing.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
import sqlalchemy as sa

from tessera.config import Settings
from tests.reliability.workload import (
    RESTART_SECONDS,
    BooksCheck,
    TransferStream,
    assert_whole_transfers,
    open_bank,
)
from tests.support.processes import cli_env, run_cli, start_server
from tests.support.settings import make_settings

CARDS = 3
OTHER_MASTER_KEY = "b3RoZXItbWFzdGVyLWtleS0zMi1ieXRlcy1sb25nISE="  # 32 bytes, base64


@pytest.fixture
def empty_database_url(backend: str, database_url: str, tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it, on the same server as the test's."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored' / 'tessera.db'}"
        return
    url = sa.engine.make_url(database_url)
    name = f"restored_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield url.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def table_count(database_url: str) -> int:
    if database_url.startswith("sqlite"):
        path = Path(sa.engine.make_url(database_url).database or "")
        if not path.exists():
            return 0
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        return len(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.slow
class TestBackupDrill:
    def test_a_backup_taken_under_load_restores_whole_and_verified(
        self,
        settings: Settings,
        empty_database_url: str,
        tmp_path: Path,
        backend: str,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        backup_file = tmp_path / "tessera.backup"
        server = start_server(settings, startup_timeout=RESTART_SECONDS, group=True)
        try:
            bank = open_bank(server.base_url, accounts=8)
            with httpx.Client(base_url=server.base_url, headers=bank.headers, timeout=30) as http:
                for account in bank.accounts[:CARDS]:
                    card = http.post("/v1/cards", json={"account_id": account, "type": "virtual"})
                    assert card.status_code == 201, card.text
            stream = TransferStream(server.base_url, bank, seed=1, threads=8)
            stream.start()
            try:
                stream.wait_for_first(timeout=10)
                time.sleep(0.5)
                backup_started = time.monotonic()
                made = run_cli(settings, "backup", str(backup_file), timeout=120)
                backup_seconds = time.monotonic() - backup_started
                time.sleep(0.3)  # transfers go on after the backup too
            finally:
                stream.stop()
        finally:
            server.stop()
        assert made.returncode == 0, made.stderr
        assert "master key is not in it" in made.stderr
        assert backup_file.stat().st_mode & 0o077 == 0, "a backup is for its owner only"
        before = [a for a in stream.acknowledged if a.at < backup_started]
        assert before, "no transfer was acknowledged before the backup"

        restored_settings = make_settings(empty_database_url, tmp_path / "restored")
        restored_env = cli_env(restored_settings)
        (tmp_path / "restored").mkdir(exist_ok=True)

        wrong_key = run_cli(
            restored_settings,
            "restore",
            str(backup_file),
            env={**restored_env, "TESSERA_MASTER_KEY": OTHER_MASTER_KEY},
        )
        assert wrong_key.returncode == 1
        assert "master key does not open the vault" in wrong_key.stderr
        assert len(wrong_key.stderr.strip().splitlines()) == 1, wrong_key.stderr
        assert table_count(empty_database_url) == 0, "a refused restore changed the database"

        restored = run_cli(restored_settings, "restore", str(backup_file))
        assert restored.returncode == 0, restored.stderr
        *_books, vault = BooksCheck(
            restored_env, ("ledger", "verify"), ("audit", "verify"), ("keys", "verify")
        ).assert_passed()
        assert f"vault ok: {CARDS} cards decrypt" in vault, vault

        transfers = assert_whole_transfers(empty_database_url)
        for ack in before:
            row = transfers.get(ack.answer["id"])
            assert row is not None, f"acknowledged before the backup, not in it: {ack.answer}"
            assert row.amount == ack.body["amount"]
        after = [a for a in stream.acknowledged if a.answer["id"] not in transfers]

        again = run_cli(restored_settings, "restore", str(backup_file))
        assert again.returncode == 1
        assert "is not empty" in again.stderr
        assert len(again.stderr.strip().splitlines()) == 1, again.stderr

        with capsys.disabled():
            print(
                f"\n[{backend}] backup of {backup_file.stat().st_size:,} bytes in "
                f"{backup_seconds:.2f} s (command included) under 8 clients of transfers: "
                f"{len(before)} acknowledged before it, all restored; {len(transfers)} in the "
                f"copy; {len(after)} acknowledged later and not in it\n  {made.stderr.strip()}"
            )


class TestRefusals:
    def test_backup_never_overwrites_a_file(self, settings: Settings, tmp_path: Path) -> None:
        existing = tmp_path / "old.backup"
        existing.write_bytes(b"an older backup")
        result = run_cli(settings, "backup", str(existing))
        assert result.returncode == 1
        assert "already exists" in result.stderr
        assert existing.read_bytes() == b"an older backup"

    def test_restore_refuses_a_file_that_is_not_a_backup_of_this_database_kind(
        self, empty_database_url: str, tmp_path: Path
    ) -> None:
        stray = tmp_path / "notes.txt"
        stray.write_text("not a backup")
        (tmp_path / "restored").mkdir(exist_ok=True)
        result = run_cli(make_settings(empty_database_url, tmp_path), "restore", str(stray))
        assert result.returncode == 1
        assert "is not a" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert table_count(empty_database_url) == 0
