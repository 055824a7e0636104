"""`tessera staff ...`: firm staff roles from the command line."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from tessera.cli.common import cli_runtime, fail, fail_from, out

app = typer.Typer(help="Manage firm staff.", no_args_is_help=True)


class RoleOption(StrEnum):
    FIRM_ADMIN = "firm_admin"
    FIRM_OPERATOR = "firm_operator"


@app.command()
def grant(
    email: Annotated[str, typer.Option(help="The user's login email.")],
    firm: Annotated[str, typer.Option(help="The firm's slug.")],
    role: Annotated[RoleOption, typer.Option(help="The staff role to grant.")],
    password: Annotated[
        str | None,
        typer.Option(help="Only to create a user who does not exist yet (8 to 128 characters)."),
    ] = None,
) -> None:
    """Give a user of the firm a staff role (creating them with --password if needed)."""
    from tessera.audit.service import CLI
    from tessera.errors import TesseraError
    from tessera.firms import repository as firms
    from tessera.staff.domain import StaffRole
    from tessera.staff.service import set_staff_role

    if password is not None and not 8 <= len(password) <= 128:
        fail("the password must have 8 to 128 characters (--password)")
    with cli_runtime() as runtime:
        try:
            with runtime.db.read_scope() as reading:
                found = firms.get_by_slug(reading, firm)
            if found is None:
                fail(f"no firm has the slug {firm!r} (check --firm)")
            with runtime.db.session_scope() as session:
                granted = set_staff_role(
                    runtime.db.read_scope,
                    session,
                    runtime.passwords,
                    firm=found,
                    email=email,
                    role=StaffRole(role.value),
                    password=password,
                    actor=CLI,
                    now=runtime.now(),
                )
                user_id = granted.user.id
                created = granted.created
        except TesseraError as exc:
            fail_from(exc, flags={"email": "--email", "password": "--password"})
    verb = "created as" if created else "is now"
    out.print(f"{email} ({user_id}) {verb} {role.value} of {firm}")
