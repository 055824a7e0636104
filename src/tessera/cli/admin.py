"""`tessera admin ...`: platform administrators."""

from __future__ import annotations

from typing import Annotated

import typer

from tessera.cli.common import cli_runtime, fail, fail_from, out

app = typer.Typer(help="Manage platform admins.", no_args_is_help=True)


@app.command()
def create(
    email: Annotated[str, typer.Option(help="The admin's login email.")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Create a platform admin (in the default firm; they see every firm)."""
    from tessera.auth.service import create_staff_user
    from tessera.errors import TesseraError
    from tessera.models import DEFAULT_FIRM_ID, Role

    if len(password) < 12:
        fail("a platform admin's password needs at least 12 characters (--password)")
    with cli_runtime() as runtime:
        try:
            with runtime.db.session_scope() as session:
                user = create_staff_user(
                    session,
                    runtime.passwords,
                    email=email,
                    password=password,
                    firm_id=DEFAULT_FIRM_ID,
                    role=Role.PLATFORM_ADMIN,
                    now=runtime.now(),
                )
                user_id = user.id
        except TesseraError as exc:
            fail_from(exc, flags={"email": "--email", "password": "--password"})
    out.print(f"platform admin {email} created ({user_id})")
