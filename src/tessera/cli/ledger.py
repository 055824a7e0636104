"""`tessera ledger ...`: checking the books."""

from __future__ import annotations

import typer
from rich.console import Console

from tessera.cli.app import load_settings
from tessera.db import Database

app = typer.Typer(help="Check the ledger's invariants.", no_args_is_help=True)
console = Console(soft_wrap=True)


@app.command()
def verify() -> None:
    """Check every invariant; exit 1 naming each broken account or transfer."""
    from tessera.ledger.service import verify_ledger

    settings = load_settings()
    db = Database(settings.database_url)
    try:
        with db.session_scope(write=False) as session:
            report = verify_ledger(session)
    finally:
        db.dispose()
    if report.ok:
        console.print(f"ledger ok: {report.accounts_checked} accounts checked", highlight=False)
        return
    for problem in report.problems:
        console.print(f"[red]broken[/] {problem}", highlight=False)
    raise typer.Exit(1)
