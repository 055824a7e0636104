"""`tessera ledger ...`: checking the books."""

from __future__ import annotations

import typer

from tessera.cli.common import cli_runtime, out

app = typer.Typer(help="Check the ledger's invariants.", no_args_is_help=True)


@app.command()
def verify() -> None:
    """Check every invariant; exit 1 naming each broken account or transfer."""
    from tessera.ledger.service import verify_ledger

    with cli_runtime() as runtime, runtime.db.session_scope(write=False) as session:
        report = verify_ledger(session)
    if report.ok:
        out.print(f"ledger ok: {report.accounts_checked} accounts checked")
        return
    for problem in report.problems:
        out.print(f"[red]broken[/] {problem}")
    raise typer.Exit(1)
