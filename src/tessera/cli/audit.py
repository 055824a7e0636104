"""`tessera audit ...`: proving the audit log is whole."""

from __future__ import annotations

import typer

from tessera.cli.common import cli_runtime, out

app = typer.Typer(help="Check the audit log.", no_args_is_help=True)


@app.command()
def verify() -> None:
    """Walk the hash chain; exit 1 at the first edited, removed or reordered entry."""
    from tessera.audit.service import verify_chain

    with cli_runtime() as runtime, runtime.db.session_scope(write=False) as session:
        report = verify_chain(session)
    if report.ok:
        out.print(f"audit chain ok: {report.entries} entries")
        return
    out.print(f"[red]audit chain broken[/]: {report.problem}")
    raise typer.Exit(1)
