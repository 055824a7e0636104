"""`tessera tls ...`: the server certificate that `tessera serve --tls` presents.

The certificate comes from the deployment's own certificate authority (the default firm's
issuing intermediate, `tessera pki show`), so clients trust the service by the one root
certificate written beside it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from tessera.cli.common import cli_runtime, err, fail, load_settings, out, refuse_missing_database

app = typer.Typer(help="The service's own TLS certificate.", no_args_is_help=True)

DEFAULT_NAMES = ("localhost", "127.0.0.1")
KEY_FILE = "server.key"
CHAIN_FILE = "server.crt"
CA_FILE = "ca.crt"


@dataclass(frozen=True, slots=True)
class TlsFiles:
    """Where the server's key, its certificate chain and the root certificate live."""

    directory: Path

    @property
    def key(self) -> Path:
        return self.directory / KEY_FILE

    @property
    def chain(self) -> Path:
        return self.directory / CHAIN_FILE

    @property
    def ca(self) -> Path:
        return self.directory / CA_FILE

    def exist(self) -> bool:
        return self.key.exists() and self.chain.exists()


def tls_files(var_dir: Path) -> TlsFiles:
    """The TLS files under ``var_dir`` (``var/tls/`` by default)."""
    return TlsFiles(var_dir / "tls")


def _write(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to ``path`` with ``mode`` from the first byte (never readable by others
    in between), replacing any older file atomically."""
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(partial, mode)  # the umask may have removed bits the file should have
    partial.replace(path)


@app.command()
def init(
    name: Annotated[
        list[str] | None,
        typer.Option(
            "--name",
            help="A DNS name or IP address the certificate is for (repeat the flag); "
            "default localhost and 127.0.0.1.",
        ),
    ] = None,
    validity_days: Annotated[
        int, typer.Option(min=1, max=397, help="Days the certificate is valid.")
    ] = 397,
    force: Annotated[
        bool, typer.Option(help="Replace a certificate that is already there.")
    ] = False,
) -> None:
    """Issue a server certificate from the built-in CA into var/tls/ (key mode 0600)."""
    from cryptography.hazmat.primitives import serialization

    from tessera.certificates import authority, repository
    from tessera.crypto import pki
    from tessera.errors import TesseraError

    refuse_missing_database()  # before the settings: dev would generate its secrets here
    settings = load_settings()
    files = tls_files(settings.var_dir)
    if files.exist() and not force:
        fail(f"{files.chain} already exists (add --force to replace it)")
    names = list(dict.fromkeys(n.strip() for n in (name or DEFAULT_NAMES) if n.strip()))
    with cli_runtime() as runtime, runtime.db.session_scope() as session:
        try:
            state = authority.ensure_authority(session, runtime.keyring, now=runtime.now())
            issuer = authority.signing_authority(session, runtime.keyring, state.intermediate.id)
            key = pki.generate_private_key()
            certificate = pki.issue_certificate(
                issuer=issuer,
                public_key=key.public_key(),
                common_name=names[0],
                subject_alt_names=names,
                not_before=runtime.now(),
                validity_days=validity_days,
                organization=authority.ORGANIZATION,
            )
        except TesseraError as exc:
            fail(exc.message)
        root = repository.get_root(session)
        if root is None:  # pragma: no cover - ensure_authority has just made it
            fail("no certificate authority: run `tessera pki init`")
        root_pem = root.certificate_pem
        intermediate_pem = state.intermediate.certificate_pem
    files.directory.mkdir(parents=True, exist_ok=True)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,  # what every server reads, granian included
        serialization.NoEncryption(),
    )
    chain = pki.cert_to_pem(certificate) + intermediate_pem
    _write(files.key, key_pem, 0o600)
    _write(files.chain, chain.encode("ascii"), 0o644)
    _write(files.ca, root_pem.encode("ascii"), 0o644)
    out.print(f"server certificate for {', '.join(names)}, valid {validity_days} days")
    out.print(f"  key        {files.key} (mode 0600)")
    out.print(f"  chain      {files.chain}")
    out.print(f"  CA         {files.ca} (give this to clients)")
    err.print("serve it with `tessera serve --tls` (or `--prod --tls`)")
