"""`tessera audit ...`: proving the audit log is whole."""

from __future__ import annotations

import typer
from rich.console import Console

from tessera.cli.app import load_settings
from tessera.db import Database

app = typer.Typer(help="Check the audit log.", no_args_is_help=True)
console = Console(soft_wrap=True)


@app.command()
def verify() -> None:
    """Walk the hash chain; exit 1 at the first edited, removed or reordered entry."""
    from tessera.audit.service import verify_chain

    settings = load_settings()
    db = Database(settings.database_url)
    try:
        with db.session_scope(write=False) as session:
            report = verify_chain(session)
    finally:
        db.dispose()
    if report.ok:
        console.print(f"audit chain ok: {report.entries} entries", highlight=False)
        return
    console.print(f"[red]audit chain broken[/]: {report.problem}", highlight=False)
    raise typer.Exit(1)
