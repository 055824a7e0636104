"""Encodings: PEM, fingerprints and serial numbers."""

from __future__ import annotations

import secrets
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

SERIAL_BITS: Final = 128


# RFC 5280 4.1.2.2: serials and CRL numbers fit in 20 octets and are positive.
_MAX_DER_INTEGER: Final = 2**159 - 1


def fingerprint_sha256(cert: x509.Certificate) -> str:
    """The SHA-256 fingerprint of the certificate's DER, as lowercase hex without colons."""
    return cert.fingerprint(hashes.SHA256()).hex()


def serial_hex(serial: int) -> str:
    """A serial as lowercase hex padded to whole bytes, the way ``openssl`` prints it."""
    if serial < 0:
        raise ValueError("Serial numbers are never negative.")
    digits = format(serial, "x")
    return digits.zfill(len(digits) + len(digits) % 2)


def cert_to_pem(cert: x509.Certificate) -> str:
    """The certificate as PEM text."""
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def chain_pem(intermediate: x509.Certificate, root: x509.Certificate) -> str:
    """The issuing chain as PEM, intermediate first, the order TLS peers send it in."""
    return cert_to_pem(intermediate) + cert_to_pem(root)


def crl_to_pem(crl: x509.CertificateRevocationList) -> str:
    """The CRL as PEM text."""
    return crl.public_bytes(serialization.Encoding.PEM).decode("ascii")


def new_serial_number() -> int:
    """A random, positive, non-zero serial of at most 128 bits.

    ``x509.random_serial_number()`` gives 159 bits; 128 random bits are already far beyond the
    64 the CA/Browser Forum asks for, fit a UUID-sized database column and read better in hex.
    """
    while True:
        serial = secrets.randbits(SERIAL_BITS)
        if serial:
            return serial
