"""Shared pieces of the benchmarks: a throwaway server and database, and table printing.

Benchmarks are not timed tests: the machines are shared and noisy, so each script prints its
figures next to a reference measured in the same run, and the ratio is what to compare.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.postgres import Cluster, start_cluster  # noqa: E402


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A plain-text table with right-aligned numbers."""
    cells = [[str(h) for h in header]] + [[_fmt(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print(f"\n{title}")
    for index, row in enumerate(cells):
        print(
            "  ".join(
                cell.rjust(width) if index else cell.ljust(width)
                for cell, width in zip(row, widths, strict=True)
            )
        )
        if index == 0:
            print("  ".join("-" * w for w in widths))


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if value >= 100 else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@contextlib.contextmanager
def postgres_database(name: str = "bench") -> Iterator[str]:
    """A throwaway PostgreSQL cluster and database; yields its URL."""
    import sqlalchemy as sa

    external = os.environ.get("TESSERA_BENCH_POSTGRES_URL")
    if external:
        yield external
        return
    cluster: Cluster = start_cluster()
    try:
        engine = sa.create_engine(cluster.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        yield cluster.url(name)
    finally:
        cluster.stop()


@contextlib.contextmanager
def sqlite_database(name: str = "bench.db") -> Iterator[str]:
    """A throwaway SQLite file; yields its URL."""
    with tempfile.TemporaryDirectory(prefix="tessera-bench-") as directory:
        yield f"sqlite:///{directory}/{name}"
