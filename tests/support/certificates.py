"""Certificates through the API, and the real ``openssl`` to check what the API hands out."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography import x509

from tessera.events import repository as events
from tessera.models import DEFAULT_FIRM_ID, Event, Role
from tessera.runtime import Runtime
from tests.support.api import Api, Caller


def openssl(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the real ``openssl`` in ``cwd``; fails the test on a non-zero exit when ``check``."""
    return subprocess.run(
        ["openssl", *args], check=check, capture_output=True, text=True, cwd=cwd, timeout=60
    )


def write(cwd: Path, name: str, text: str | bytes) -> str:
    """Write a file in ``cwd`` and return its name (for openssl arguments)."""
    path = cwd / name
    if isinstance(text, str):
        path.write_text(text)
    else:
        path.write_bytes(text)
    return name


def openssl_csr(
    cwd: Path, *new_key: str, subject: str = "/CN=ignored.example", extra: tuple[str, ...] = ()
) -> str:
    """Have openssl make a key (``key.pem``) and a CSR for it; return the CSR PEM."""
    openssl(
        cwd,
        "req", "-new", *new_key, "-nodes", "-subj", subject,
        "-keyout", "key.pem", "-out", "csr.pem", *extra,
    )  # fmt: skip
    return (cwd / "csr.pem").read_text()


def p256_csr(cwd: Path, **kwargs: Any) -> str:
    """A CSR for a fresh EC P-256 key made by openssl."""
    return openssl_csr(cwd, "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", **kwargs)


def allow_ip_sans(api: Api, firm_id: str = DEFAULT_FIRM_ID) -> None:
    """Let a firm's certificates carry IP address SANs, as a platform admin does."""
    admin = api.staff(Role.PLATFORM_ADMIN)
    response = admin.patch(f"/v1/firms/{firm_id}", json={"allow_ip_sans": True})
    assert response.status_code == 200, response.text


def issue(caller: Caller, **body: Any) -> dict[str, Any]:
    """Create a certificate as ``caller`` (a generated EC key unless told otherwise)."""
    body.setdefault("common_name", "client.example.com")
    response = caller.post("/v1/certificates", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def patch(caller: Caller, certificate_id: str, **body: Any) -> dict[str, Any]:
    """PATCH a certificate, asserting 200."""
    response = caller.patch(f"/v1/certificates/{certificate_id}", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def fetch_ca(caller_or_client: Any, cwd: Path) -> str:
    """Download ``/v1/pki/ca.pem`` into ``cwd/ca.pem`` (no credentials) and return its name."""
    client = getattr(caller_or_client, "api", None)
    http = client.client if client is not None else caller_or_client
    response = http.get("/v1/pki/ca.pem")
    assert response.status_code == 200, response.text
    return write(cwd, "ca.pem", response.text)


def fetch_crl(caller_or_client: Any, cwd: Path) -> str:
    """Download ``/v1/pki/crl.pem`` into ``cwd/crl.pem`` (no credentials) and return its name."""
    client = getattr(caller_or_client, "api", None)
    http = client.client if client is not None else caller_or_client
    response = http.get("/v1/pki/crl.pem")
    assert response.status_code == 200, response.text
    return write(cwd, "crl.pem", response.text)


def load_certificate(created: dict[str, Any]) -> x509.Certificate:
    """The certificate of an API answer, parsed."""
    return x509.load_pem_x509_certificate(created["certificate_pem"].encode())


def events_of(runtime: Runtime, firm_id: str, type: str) -> list[Event]:
    """A firm's outbox events of one type, oldest first."""
    with runtime.db.session_scope(write=False) as session:
        return events.list_by_type(session, firm_id=firm_id, type=type)


def event_ids_for(runtime: Runtime, firm_id: str, type: str, certificate_id: str) -> list[str]:
    """The ids of the events of one type about one certificate."""
    return [e.id for e in events_of(runtime, firm_id, type) if e.data["id"] == certificate_id]


def all_stored_text(runtime: Runtime) -> str:
    """Every value of every row of every table, as one string (to prove what is not stored)."""
    chunks: list[str] = []
    meta = sa.MetaData()
    with runtime.db.engine.connect() as conn:
        meta.reflect(conn)
        for table in meta.sorted_tables:
            for row in conn.execute(sa.select(table)):
                chunks.extend(
                    value.decode("latin-1") if isinstance(value, bytes) else str(value)
                    for value in row
                )
        conn.rollback()
    return "\n".join(chunks)
