"""Webhook secrets and the ``Tessera-Signature`` header.

``Tessera-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>``. The
HMAC key is the secret exactly as it was shown (``whsec_...``, as UTF-8 bytes). While a rotated
secret is still valid the header carries one ``v1=`` per secret, newest first; a receiver
accepts the request when any of them matches the secret it holds.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence

HEADER = "Tessera-Signature"
SECRET_PREFIX = "whsec_"
SCHEME = "v1"


def new_secret() -> str:
    """A new random endpoint secret (256 bits)."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>.<body>"`` under ``secret``."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secrets_in_use: Sequence[str], timestamp: int, body: bytes) -> str:
    """The header value: the timestamp and one ``v1=`` signature per secret."""
    if not secrets_in_use:
        raise ValueError("at least one secret is needed to sign")
    parts = [f"t={timestamp}"]
    parts.extend(f"{SCHEME}={sign(secret, timestamp, body)}" for secret in secrets_in_use)
    return ",".join(parts)
