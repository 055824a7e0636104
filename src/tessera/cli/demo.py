"""`tessera demo ...`: demo data, and a client that walks the banking API over HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tessera.cli.common import cli_runtime, fail, load_settings, out, refuse_missing_database

app = typer.Typer(help="Demo data and a demo client.", no_args_is_help=True)


@app.command()
def seed() -> None:
    """Create a demo firm with staff, customers, history, cards and more; print the logins.

    Safe to run again: what exists already is kept, nothing is made twice.
    """
    from tessera.demo.seed import seed_demo

    refuse_missing_database()
    if load_settings().is_production:
        fail("demo data has well-known passwords: it is refused when APP_ENV=prod")
    with cli_runtime(start_service=True) as runtime:
        report = seed_demo(runtime)
    made = ", ".join(f"{kind}: {n}" for kind, n in report.created.items()) or "nothing new"
    out.print(f"demo data in firm {report.firm_slug}; created {made}", soft_wrap=False)
    table = Table(title="Demo logins", title_justify="left")
    for column in ("role", "email", "password", "firm"):
        table.add_column(column, no_wrap=True)
    for login in report.logins:
        table.add_row(login.role, login.email, login.password, login.firm)
    out.print(table)


@app.command()
def client(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            exists=True,
            dir_okay=False,
            help="A JSON file of steps to run; without it, the client asks what to do.",
        ),
    ] = None,
    base_url: Annotated[
        str | None, typer.Option(help="The API (default: the config's, else asked).")
    ] = None,
) -> None:
    """Sign up, log in, open accounts, move money and read a statement over HTTP."""
    from tessera.demo import client as demo_client

    if config is not None:
        try:
            plan = demo_client.load_plan(json.loads(config.read_text(encoding="utf-8")))
        except (ValueError, OSError) as exc:
            fail(f"{config}: {exc}", 2)
        if base_url:
            plan = plan.with_base_url(base_url)
    else:
        plan = demo_client.ask_plan(base_url)
    ok = demo_client.run_plan(plan, console=out)
    if not ok:
        raise typer.Exit(1)
