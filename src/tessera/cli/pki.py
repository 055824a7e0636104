"""`tessera pki ...`: the deployment's certificate authority."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from tessera.cli.common import cli_runtime, fail, fail_from, out

if TYPE_CHECKING:
    from tessera.models import CertificateAuthority

app = typer.Typer(help="Manage the certificate authority.", no_args_is_help=True)


def _describe(ca: CertificateAuthority) -> str:
    issues_for = (
        ""
        if ca.kind == "root"
        else f"  firm {ca.firm_id}"
        if ca.firm_id
        else "  every firm (legacy)"
    )
    return (
        f"{ca.kind:<12} {ca.status:<8} {ca.id}  {ca.common_name}  "
        f"valid {ca.not_before:%Y-%m-%d} to {ca.not_after:%Y-%m-%d}{issues_for}\n"
        f"{'':<22}sha256 {ca.fingerprint_sha256}"
    )


@app.command()
def init() -> None:
    """Create the root and the default firm's issuing intermediate, unless they exist (the
    service also does this on start; other firms get theirs on their first issuance)."""
    from tessera.certificates import authority

    with cli_runtime() as runtime, runtime.db.session_scope() as session:
        state = authority.ensure_authority(session, runtime.keyring, now=runtime.now())
        lines = [_describe(state.root), _describe(state.intermediate)]
    out.print(
        "certificate authority created" if state.created else "certificate authority already exists"
    )
    for line in lines:
        out.print(line)


@app.command("rotate-intermediate")
def rotate_intermediate(
    validity_days: Annotated[
        int, typer.Option(min=30, max=3650, help="Days the new intermediate is valid.")
    ] = 1825,
    firm: Annotated[
        str, typer.Option(help="The slug of the firm whose intermediate to rotate.")
    ] = "default",
) -> None:
    """Issue a firm's certificates from a new intermediate; the old one keeps signing the CRL
    of what it issued."""
    from tessera.certificates import authority
    from tessera.errors import TesseraError
    from tessera.firms import repository as firms

    with cli_runtime() as runtime:
        try:
            with runtime.db.session_scope() as session:
                found = firms.get_by_slug(session, firm)
                if found is None:
                    fail(f"no firm has the slug {firm!r} (check --firm)")
                rotation = authority.rotate_intermediate(
                    session,
                    runtime.keyring,
                    firm_id=found.id,
                    now=runtime.now(),
                    validity_days=validity_days,
                )
                new = _describe(rotation.new)
                retired = _describe(rotation.retired) if rotation.retired else None
        except TesseraError as exc:
            fail_from(exc)
    out.print("new issuing intermediate:")
    out.print(new)
    if retired:
        out.print("retired (still signs its CRL until it expires):")
        out.print(retired)


@app.command()
def show() -> None:
    """List the certificate authorities: the root, then intermediates newest first."""
    from tessera.certificates import authority

    with cli_runtime() as runtime, runtime.db.session_scope(write=False) as session:
        lines = [_describe(ca) for ca in authority.list_authorities(session)]
    if not lines:
        fail("no certificate authority yet: run `tessera pki init`")
    for line in lines:
        out.print(line)
