"""The certificates feature's background jobs: expiry notices and CRL refreshes."""

from __future__ import annotations

from tessera.certificates import authority, service
from tessera.runtime import Runtime

EXPIRY_SCAN_INTERVAL_SECONDS = 600
CRL_REFRESH_INTERVAL_SECONDS = 1800


def scan_expiring_certificates(runtime: Runtime) -> int:
    """Announce the certificates that crossed an expiry threshold (one batch)."""
    with runtime.db.session_scope() as session:
        return service.announce_expiring(session, now=runtime.now())


def refresh_crls(runtime: Runtime) -> int:
    """Re-sign the CRLs that are close to their nextUpdate."""
    with runtime.db.session_scope() as session:
        return authority.refresh_due_crls(session, runtime.keyring, now=runtime.now())
