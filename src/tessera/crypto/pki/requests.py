"""Certificate signing requests: parsing them and refusing the ones Tessera will not sign."""

from __future__ import annotations

from typing import Final

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm

from tessera.crypto.pki.keys import _weak_key, require_supported_public_key
from tessera.errors import RuleViolation

# A PEM CSR for an RSA-8192 key is about 3 KiB; anything far beyond is not a CSR worth parsing.
MAX_CSR_PEM_BYTES: Final = 64 * 1024


def load_csr(pem: bytes | str) -> x509.CertificateSigningRequest:
    """Parse a PEM certificate signing request, or raise ``invalid_csr``."""
    if isinstance(pem, str):
        try:
            pem = pem.encode("ascii")
        except UnicodeEncodeError:
            raise _invalid_csr() from None
    if len(pem) > MAX_CSR_PEM_BYTES:
        raise _invalid_csr()
    try:
        return x509.load_pem_x509_csr(pem)
    except ValueError:
        raise _invalid_csr() from None


def check_csr(csr: x509.CertificateSigningRequest) -> None:
    """Refuse a CSR that is forged, carries a weak key or asks to become a CA."""
    try:
        public_key = csr.public_key()
    except (ValueError, UnsupportedAlgorithm):
        # A key the library cannot even load (an unknown algorithm or curve) is not one we use.
        raise _weak_key() from None
    try:
        signature_valid = csr.is_signature_valid
    except (ValueError, UnsupportedAlgorithm):
        signature_valid = False
    # Checked before the key: a request whose signature fails proves nothing about who sent it,
    # so nothing else in it deserves an answer.
    if not signature_valid:
        raise RuleViolation(
            "The CSR signature does not verify against its public key; it was altered or "
            "signed with another key.",
            code="csr_signature_invalid",
        )
    require_supported_public_key(public_key)
    try:
        extensions = csr.extensions
    except ValueError:
        # Duplicate or malformed requested extensions.
        raise _invalid_csr() from None
    for extension in extensions:
        if isinstance(extension.value, x509.BasicConstraints) and extension.value.ca:
            raise RuleViolation(
                "The CSR asks for a CA certificate; only end-entity certificates are issued.",
                code="csr_requests_ca",
            )


def _invalid_csr() -> RuleViolation:
    return RuleViolation(
        "The CSR is not a PEM-encoded certificate signing request.", code="invalid_csr"
    )
