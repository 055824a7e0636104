"""Card vault costs: one registration broken down, and key rotation in rows per second.

Usage: .venv/bin/python bench/cards.py [--rows 20000] [--registrations 2000] [--postgres]

Runs on a fresh SQLite file (WAL, as the service runs it) and, with ``--postgres``, also on a
throwaway PostgreSQL cluster (the one the tests use). Prints one table per backend.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
from pydantic import SecretStr
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tessera import migrations
from tessera.audit.service import CLI
from tessera.config import AppEnv, Settings, new_master_key
from tessera.crypto.vault import seal
from tessera.kit.card_numbers import generate_card_number, validate_card_number
from tessera.models import DEFAULT_FIRM_ID, Role
from tessera.principal import ROLE_SCOPES, Principal
from tessera.registrations import service as registrations
from tessera.runtime import Runtime, build_runtime
from tessera.vault import card_store, rotation

NOW = datetime.now(UTC)
EXPIRY = date(2030, 12, 31)


def _runtime(url: str, var_dir: Path) -> Runtime:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        app_env=AppEnv.TEST,
        database_url=url,
        jwt_secret=SecretStr("bench-jwt-secret-0123456789-abcdefghijklmnop"),
        master_key=SecretStr(new_master_key()),
        var_dir=var_dir,
        run_worker_in_process=False,
    )
    return build_runtime(settings)


def _per_call_us(fn: Callable[[], object], n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - started) / n * 1e6


def _numbers(n: int) -> list[str]:
    return [generate_card_number("411111", length=16) for _ in range(n)]


def measure(url: str, label: str, *, rows: int, registrations_n: int) -> Table:
    """Every figure for one database."""
    migrations.upgrade(url)
    runtime = _runtime(url, Path(tempfile.mkdtemp()))
    keyring = runtime.keyring
    admin = Principal(
        kind="user",
        id="usr_bench",
        firm_id=DEFAULT_FIRM_ID,
        role=Role.FIRM_ADMIN,
        scopes=ROLE_SCOPES[Role.FIRM_ADMIN],
    )
    with runtime.db.session_scope() as session:
        version = keyring.active_version(session)
        master = keyring._master(session, version)
    numbers = _numbers(max(registrations_n, 1000))
    card = validate_card_number(numbers[0])

    check_us = _per_call_us(
        lambda: registrations.check_card(
            card_number=numbers[0],
            expiry_date="12/30",
            cvv="123",
            cardholder_name="Ada Lovelace",
            today=NOW.date(),
        ),
        5000,
    )
    fingerprint_us = _per_call_us(
        lambda: card_store.card_fingerprint(keyring, firm_id=DEFAULT_FIRM_ID, number=card.number),
        20000,
    )
    seal_us = _per_call_us(
        lambda: seal(card.number.encode(), version=version, master_key=master, aad=b"x" * 40),
        20000,
    )

    # The vault insert alone: seal + INSERT + COMMIT, one row per transaction.
    vault_only = numbers[: registrations_n // 2]
    timings = []
    for number in vault_only:
        started = time.perf_counter()
        with runtime.db.session_scope() as session:
            card_store.store_card(
                session,
                keyring,
                firm_id=DEFAULT_FIRM_ID,
                holder_id=None,
                card=validate_card_number(number),
                expiry=EXPIRY,
                cardholder_name="Ada Lovelace",
                source=card_store.SOURCE_REGISTRATION,
                now=NOW,
            )
        timings.append(time.perf_counter() - started)
    vault_insert_ms = statistics.median(timings) * 1000

    # The whole service call: rules, duplicate check, vault row, registration, event, audit.
    timings = []
    for number in numbers[registrations_n // 2 : registrations_n]:
        started = time.perf_counter()
        with runtime.db.session_scope() as session:
            registrations.register_card(
                session,
                keyring,
                principal=admin,
                submission=registrations.CardSubmission(
                    card_number=number,
                    expiry_date="12/30",
                    cvv="123",
                    cardholder_name="Ada Lovelace",
                ),
                now=NOW,
            )
        timings.append(time.perf_counter() - started)
    register_ms = statistics.median(timings) * 1000
    register_p95_ms = sorted(timings)[int(len(timings) * 0.95)] * 1000

    # Fill the vault up to ``rows`` quickly (1000 rows per transaction), then rotate.
    with runtime.db.session_scope(write=False) as session:
        present = session.scalar(sa.text("SELECT count(*) FROM vault_cards")) or 0
    missing = max(rows - int(present), 0)
    filler = _numbers(missing)
    for start in range(0, missing, 1000):
        with runtime.db.session_scope() as session:
            for number in filler[start : start + 1000]:
                card_store.store_card(
                    session,
                    keyring,
                    firm_id=DEFAULT_FIRM_ID,
                    holder_id=None,
                    card=validate_card_number(number),
                    expiry=EXPIRY,
                    cardholder_name="Ada Lovelace",
                    source=card_store.SOURCE_REGISTRATION,
                    now=NOW,
                )
    total_rows = int(present) + missing

    rates: dict[str, float] = {}
    for mode in ("rewrap", "reencrypt"):
        with runtime.db.session_scope() as session:
            job = rotation.start_rotation(session, keyring, mode=mode, actor=CLI, now=NOW).rotation
            rotation_id = job.id
        started = time.perf_counter()
        done = rotation.run_rotation(
            runtime.db,
            keyring,
            rotation_id=rotation_id,
            actor=CLI,
            clock=lambda: NOW,
            batch_size=500,
        )
        elapsed = time.perf_counter() - started
        if done is None:
            raise SystemExit("the rotation did not complete")
        rates[mode] = done.rows_done / elapsed
    with runtime.db.session_scope(write=False) as session:
        check = rotation.verify_vault(session, keyring)
    if not check.ok:
        raise SystemExit(f"{len(check.failures)} cards do not decrypt after rotating")
    runtime.db.dispose()

    table = Table(title=f"card vault on {label}", title_justify="left")
    table.add_column("what")
    table.add_column("cost", justify="right")
    table.add_row("card rules (Luhn, brand, expiry, CVV, name)", f"{check_us:.1f} µs")
    table.add_row("fingerprint (HMAC-SHA256, per firm)", f"{fingerprint_us:.1f} µs")
    table.add_row("seal (AES-256-GCM data key + wrap)", f"{seal_us:.1f} µs")
    table.add_row("vault insert: seal + INSERT + COMMIT (median)", f"{vault_insert_ms:.2f} ms")
    table.add_row(
        "registration service call incl. event + audit + COMMIT (median / p95)",
        f"{register_ms:.2f} / {register_p95_ms:.2f} ms",
    )
    table.add_row(
        f"rotation, re-wrap ({total_rows:,} rows, batches of 500)", f"{rates['rewrap']:,.0f} rows/s"
    )
    table.add_row(
        f"rotation, re-encrypt ({total_rows:,} rows)", f"{rates['reencrypt']:,.0f} rows/s"
    )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--registrations", type=int, default=2_000)
    parser.add_argument("--postgres", action="store_true", help="Also run on PostgreSQL.")
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        console.print(
            measure(url, "SQLite (WAL)", rows=args.rows, registrations_n=args.registrations)
        )
    if args.postgres:
        from tests.support.postgres import start_cluster

        cluster = start_cluster()
        try:
            admin = sa.create_engine(cluster.admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text("CREATE DATABASE bench"))
            admin.dispose()
            console.print(
                measure(
                    cluster.url("bench"),
                    "PostgreSQL (fsync off)",
                    rows=args.rows,
                    registrations_n=args.registrations,
                )
            )
        finally:
            cluster.stop()


if __name__ == "__main__":
    main()
