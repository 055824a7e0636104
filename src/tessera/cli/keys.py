"""`tessera keys ...`: the vault's master keys: rotate, check, show, generate."""

from __future__ import annotations

import sys
import time
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from tessera.cli.common import cli_runtime, err, fail, out
from tessera.config import new_master_key

app = typer.Typer(help="Rotate and check the vault's master keys.", no_args_is_help=True)


@app.command()
def rotate(
    batch_size: Annotated[
        int, typer.Option(min=1, max=10_000, help="Rows re-wrapped per transaction.")
    ] = 500,
    reencrypt: Annotated[
        bool,
        typer.Option(
            "--reencrypt",
            help="Give every card a fresh data key too (slower), instead of re-wrapping it.",
        ),
    ] = False,
    pause: Annotated[
        float,
        typer.Option(min=0.0, help="Seconds to wait between batches, to spare a busy service."),
    ] = 0.0,
    background: Annotated[
        bool,
        typer.Option("--background", help="Only start the rotation; the workers move the rows."),
    ] = False,
) -> None:
    """Add a master key version and move every vault card to it, in resumable batches.

    The service keeps serving throughout: each batch is a short transaction, and new cards are
    sealed under the new version from the start. Run it again after an interruption to resume.
    """
    from tessera.audit.service import CLI
    from tessera.vault import rotation

    with cli_runtime() as runtime:
        with runtime.db.session_scope() as session:
            start = rotation.start_rotation(
                session,
                runtime.keyring,
                mode="reencrypt" if reencrypt else "rewrap",
                actor=CLI,
                now=runtime.now(),
            )
            job = start.rotation
            rotation_id, target = job.id, job.target_version
            total, done_before, mode = job.rows_total, job.rows_done, job.mode
        verb = "started" if start.started else "resuming"
        err.print(
            f"{verb} rotation {rotation_id} to key version {target} ({mode}, {total} rows)",
        )
        if background:
            err.print("the workers will move the rows; see `tessera keys status`")
            return
        started = time.perf_counter()
        columns = (
            TextColumn("[bold]rotating[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]:>9,.0f} rows/s"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=err) as progress:
            task = progress.add_task("rotate", total=max(total, 1), completed=done_before, rate=0)

            def on_batch(report: rotation.BatchReport) -> None:
                elapsed = time.perf_counter() - started
                moved_here = report.rows_done - done_before
                progress.update(
                    task,
                    completed=min(report.rows_done, report.rows_total),
                    total=max(report.rows_total, 1),
                    rate=moved_here / elapsed if elapsed > 0 else 0,
                )

            finished = rotation.run_rotation(
                runtime.db,
                runtime.keyring,
                rotation_id=rotation_id,
                actor=CLI,
                clock=runtime.now,
                batch_size=batch_size,
                pause_seconds=pause,
                on_batch=on_batch,
            )
            progress.update(task, completed=max(total, 1))
        elapsed = time.perf_counter() - started
        moved = (finished.rows_done if finished else done_before) - done_before
        err.print(
            f"rotation complete: {moved} rows moved to key version {target} in {elapsed:.2f} s"
            f" ({moved / elapsed if elapsed > 0 else 0:,.0f} rows/s)",
        )


@app.command()
def status() -> None:
    """Show the master key versions, how many cards each seals, and the latest rotation."""
    from tessera.kit.keyring import repository as master_keys
    from tessera.vault import repository

    with cli_runtime() as runtime, runtime.db.session_scope(write=False) as session:
        keys = master_keys.list_keys(session)
        counts = repository.count_cards_by_version(session)
        latest = repository.latest_rotation(session)
        table = Table("version", "status", "created", "cards")
        for key in keys:
            table.add_row(
                str(key.version),
                key.status,
                key.created_at.strftime("%Y-%m-%d %H:%M:%SZ"),
                str(counts.get(key.version, 0)),
            )
        out.print(table)
        if latest is not None:
            out.print(
                f"latest rotation {latest.id}: {latest.status}, {latest.rows_done}/"
                f"{latest.rows_total} rows to version {latest.target_version} ({latest.mode})",
            )


@app.command()
def verify() -> None:
    """Open every vault card; exit 1 naming the tokens of cards that do not decrypt."""
    from tessera.vault.rotation import verify_vault

    with cli_runtime() as runtime, runtime.db.session_scope(write=False) as session:
        report = verify_vault(session, runtime.keyring)
    versions = ", ".join(f"v{v}: {n}" for v, n in sorted(report.by_version.items())) or "none"
    if report.ok:
        out.print(f"vault ok: {report.cards} cards decrypt ({versions})")
        return
    for token in report.failures:
        err.print(f"[red]does not decrypt[/] {token}")
    fail(f"{len(report.failures)} of {report.cards} cards do not decrypt")


@app.command()
def generate() -> None:
    """Print a new random value for TESSERA_MASTER_KEY."""
    sys.stdout.write(new_master_key() + "\n")
