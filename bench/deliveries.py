"""Courier file import speed and memory, on SQLite and PostgreSQL, against a bare-insert reference.

    .venv/bin/python bench/deliveries.py [--rows 1000000] [--backends sqlite,postgresql]

Generates one delivery-exceptions file of N rows in the samples' formats (header ``ID ,Card
ID,User contact,Timestamp,Comment``, CRLF, no final newline, phones written ``585949014``,
``\"\"\"0585949014\"\"\"`` and ``971585949014``, the four timestamp styles), two rows per card.
Each run is a fresh process on a fresh database, so peak RSS is that run's alone (``RSS``: the
importing process; ``reader``: the child that parses large files; ``both``: their sum, sampled):

- ``import``: ``tessera.deliveries.imports.orchestrator.import_local_file``, what
  ``tessera deliveries import`` runs: events, card statuses, one status-changed outbox event
  per card, the report.
- ``reference``: the same rows, only split by ``csv.reader``, inserted as five text columns
  with a bare ``executemany`` (SQLite) or ``COPY`` (PostgreSQL), in one transaction.

PostgreSQL is a throwaway cluster started the way the tests start one (tests/support/postgres.py).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

HEADER = "ID ,Card ID,User contact,Timestamp,Comment"
COMMENTS = ("User not available", "User declined to accept package", "Address not found")


def generate(path: Path, rows: int) -> None:
    """Write ``rows`` delivery-exception lines, two per card, in the samples' formats."""
    rnd = random.Random(4)
    base = datetime(2023, 11, 1, 8, 0)  # noqa: DTZ001 - wall time in the partner's zone
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        for i in range(rows):
            card = i // 2
            moment = base + timedelta(minutes=card % 50_000, hours=5 * (i % 2))
            style = i % 4
            if style == 0:
                stamp = moment.strftime("%d-%m-%Y %I:%M %p")
            elif style == 1:
                stamp = moment.strftime("%d-%m-%Y %H:%M")
            elif style == 2:
                stamp = (moment - timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M:%SZ")
            else:
                stamp = moment.strftime("%d-%m-%Y %I:%M%p")
            # UAE mobiles: 50, 52, 54, 55, 56 or 58, then seven digits.
            number = (50, 52, 54, 55, 56, 58)[card % 6] * 10_000_000 + (card * 7919) % 10_000_000
            phone = (f'"""0{number}"""', str(number), f"971{number}")[i % 3]
            out.write(f"\r\nA{i},ZYW{card:08d},{phone},{stamp},{rnd.choice(COMMENTS)}")


def cpu_seconds(who: int) -> float:
    """User plus system CPU seconds of this process (or of its finished children)."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    """Peak RSS of this process, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class TotalRss:
    """Samples the RSS of this process plus its children (the file reader) five times a second.

    Not more often: finding the children scans /proc, which costs the importer CPU.
    """

    def __init__(self) -> None:
        import psutil

        self._process = psutil.Process()
        self.peak_total = 0.0
        self.peak_children = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        import psutil

        while not self._stop.wait(0.2):
            try:
                children = sum(c.memory_info().rss for c in self._process.children())
            except psutil.Error:
                continue
            own = self._process.memory_info().rss
            self.peak_children = max(self.peak_children, children / 1e6)
            self.peak_total = max(self.peak_total, (own + children) / 1e6)

    def __enter__(self) -> TotalRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


# --- the runs, each in a fresh process ------------------------------------------------------------


def run_import(url: str, file: Path, var_dir: Path) -> dict[str, Any]:
    from tessera.config import AppEnv, Settings, resolve_secrets
    from tessera.deliveries.imports.orchestrator import import_local_file
    from tessera.models import DEFAULT_FIRM_ID
    from tessera.runtime import build_runtime

    settings = resolve_secrets(
        Settings(_env_file=None, app_env=AppEnv.TEST, database_url=url, var_dir=var_dir)  # type: ignore[call-arg]
    )
    runtime = build_runtime(settings)
    before_self = cpu_seconds(resource.RUSAGE_SELF)
    before_children = cpu_seconds(resource.RUSAGE_CHILDREN)
    with TotalRss() as sampled:
        started = time.perf_counter()
        result = import_local_file(runtime, file, firm_id=DEFAULT_FIRM_ID, partner=None, kind=None)
        seconds = time.perf_counter() - started
    runtime.db.dispose()
    if result.report is None:
        raise SystemExit(f"the file was refused: {result.error}")
    job = result.report.job
    if job.status != "completed" or job.rows_imported != job.rows_total:
        raise SystemExit(
            f"{job.status}: {job.rows_imported} of {job.rows_total} imported, "
            f"{job.rows_rejected} rejected, first errors {result.report.errors[:3]}"
        )
    return {
        "rows": job.rows_total,
        "seconds": seconds,
        "cpu": cpu_seconds(resource.RUSAGE_SELF) - before_self,
        "reader_cpu": cpu_seconds(resource.RUSAGE_CHILDREN) - before_children,
        "rss": peak_rss_mb(),
        "reader_rss": sampled.peak_children,
        "total_rss": max(sampled.peak_total, peak_rss_mb()),
    }


def run_reference_sqlite(url: str, file: Path) -> dict[str, Any]:
    import sqlite3

    connection = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("CREATE TABLE reference (a TEXT, b TEXT, c TEXT, d TEXT, e TEXT)")
    started = time.perf_counter()
    with file.open(encoding="utf-8", newline="") as stream:
        rows = csv.reader(stream)
        next(rows)
        connection.execute("BEGIN")
        count = 0
        batch: list[list[str]] = []
        for row in rows:
            batch.append(row)
            if len(batch) == 10_000:
                connection.executemany("INSERT INTO reference VALUES (?, ?, ?, ?, ?)", batch)
                count += len(batch)
                batch = []
        connection.executemany("INSERT INTO reference VALUES (?, ?, ?, ?, ?)", batch)
        count += len(batch)
        connection.execute("COMMIT")
    seconds = time.perf_counter() - started
    connection.close()
    own = peak_rss_mb()
    return {
        "rows": count,
        "seconds": seconds,
        "cpu": cpu_seconds(resource.RUSAGE_SELF),
        "reader_cpu": 0.0,
        "rss": own,
        "reader_rss": 0.0,
        "total_rss": own,
    }


def run_reference_postgresql(url: str, file: Path) -> dict[str, Any]:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        connection.execute("CREATE TABLE reference (a text, b text, c text, d text, e text)")
        connection.commit()
        started = time.perf_counter()
        count = 0
        with file.open(encoding="utf-8", newline="") as stream:
            rows = csv.reader(stream)
            next(rows)
            with connection.cursor() as cursor, cursor.copy("COPY reference FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        connection.commit()
        seconds = time.perf_counter() - started
    own = peak_rss_mb()
    return {
        "rows": count,
        "seconds": seconds,
        "cpu": cpu_seconds(resource.RUSAGE_SELF),
        "reader_cpu": 0.0,
        "rss": own,
        "reader_rss": 0.0,
        "total_rss": own,
    }


def in_child(*args: str) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=3600,
    )
    if output.returncode != 0:
        raise SystemExit(f"run failed: {args[0]}\n{output.stderr}")
    result: dict[str, Any] = json.loads(output.stdout.strip().splitlines()[-1])
    return result


# --- orchestration ----------------------------------------------------------------------------


def fresh_sqlite(directory: Path, name: str) -> str:
    from tessera import migrations

    url = f"sqlite:///{directory / name}"
    migrations.upgrade(url)
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--child", nargs="*", help=argparse.SUPPRESS)
    options = parser.parse_args()

    if options.child:
        what, url, file, *rest = options.child
        if what == "import":
            result = run_import(url, Path(file), Path(rest[0]))
        elif what == "reference-sqlite":
            result = run_reference_sqlite(url, Path(file))
        else:
            result = run_reference_postgresql(url, Path(file))
        print(json.dumps(result))
        return

    from tests.support.postgres import start_cluster

    from tessera import migrations

    backends = [b.strip() for b in options.backends.split(",") if b.strip()]
    results: list[tuple[str, str, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory(prefix="tessera-bench-") as scratch:
        work = Path(scratch)
        file = work / "bench - Delivery exceptions.csv"
        started = time.perf_counter()
        generate(file, options.rows)
        print(
            f"generated {options.rows:,} rows ({file.stat().st_size / 1e6:.0f} MB) "
            f"in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        if "sqlite" in backends:
            url = fresh_sqlite(work, "import.db")
            results.append(("sqlite", "import", in_child("import", url, str(file), str(work))))
            print("sqlite import done", flush=True)
            plain = f"sqlite:///{work / 'reference.db'}"
            results.append(
                ("sqlite", "executemany", in_child("reference-sqlite", plain, str(file)))
            )
        if "postgresql" in backends:
            import sqlalchemy as sa

            cluster = start_cluster()
            try:
                admin = sa.create_engine(cluster.admin_url, isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.execute(sa.text("CREATE DATABASE bench_import"))
                    conn.execute(sa.text("CREATE DATABASE bench_reference"))
                admin.dispose()
                url = cluster.url("bench_import")
                migrations.upgrade(url)
                results.append(
                    ("postgresql", "import", in_child("import", url, str(file), str(work)))
                )
                print("postgresql import done", flush=True)
                results.append(
                    (
                        "postgresql",
                        "COPY",
                        in_child("reference-postgresql", cluster.url("bench_reference"), str(file)),
                    )
                )
            finally:
                cluster.stop()

    print()
    print(
        f"{'backend':<11} {'run':<12} {'rows':>10} {'seconds':>8} {'rows/s':>10} {'ratio':>6} "
        f"{'CPU s':>6} {'reader CPU s':>12} {'RSS MB':>7} {'reader MB':>10} {'both MB':>8}"
    )
    references = {backend: r for backend, what, r in results if what != "import"}
    for backend, what, r in results:
        rate = r["rows"] / r["seconds"]
        reference = references.get(backend)
        ratio = rate / (reference["rows"] / reference["seconds"]) if reference else float("nan")
        print(
            f"{backend:<11} {what:<12} {r['rows']:>10,} {r['seconds']:>8.1f} {rate:>10,.0f} "
            f"{ratio:>6.3f} {r['cpu']:>6.1f} {r['reader_cpu']:>12.1f} {r['rss']:>7.0f} "
            f"{r['reader_rss']:>10.0f} {r['total_rss']:>8.0f}"
        )
    print(
        f"\nload average while running: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
        f"(on {os.cpu_count()} cores; other work on the machine slows every figure above)"
    )


if __name__ == "__main__":
    main()
