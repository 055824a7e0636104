"""X.509 primitives for the firms' PKI: CA keys, CSR checks, certificate issuance and CRLs.

Pure functions over ``cryptography``: no database, no HTTP, no clock (callers pass ``now``), no
global state. The certificates service stores CA keys encrypted by the vault and hands key objects
and PEM bytes in and out of this module.

Decisions worth knowing:

- CA keys are always EC P-384 and sign with SHA-384 (see ``create_root_ca``); end-entity keys may
  be EC P-256 / P-384 or RSA >= 2048 bits.
- From a CSR we take only the public key. Its subject and requested extensions are ignored: the
  certificate says what the API request says. A CSR that asks to become a CA is still refused,
  because that request is a sign of misuse worth telling the caller about.
- Serial numbers are 128 random bits, positive and non-zero (see ``new_serial_number``).
- Times are whole seconds in UTC: X.509 cannot store fractions, so dropping them here keeps the
  stored ``not_before`` / ``not_after`` equal to what the certificate says.
- A certificate never outlives its issuer: ``not_after`` is clamped to the issuer's ``not_after``.
- Errors are ``TesseraError`` subclasses whose messages never echo the input, as ``errors.py``
  asks; a bad subject alternative name is pointed at by its position in the list.

The package's modules: ``keys``, ``authorities``, ``requests`` (CSRs), ``certificates``,
``revocation`` (CRLs) and ``encoding``. Import the names below from ``tessera.crypto.pki``; names
with a leading underscore are the package's own, shared between its modules.
"""

from __future__ import annotations

from tessera.crypto.pki.authorities import (
    INTERMEDIATE_PATH_LENGTH,
    MAX_COMMON_NAME_LENGTH,
    ROOT_PATH_LENGTH,
    IssuedCA,
    create_intermediate_ca,
    create_root_ca,
    load_issued_ca,
)
from tessera.crypto.pki.certificates import (
    MAX_SUBJECT_ALT_NAMES,
    certificate_names,
    common_name,
    issue_certificate,
    parse_subject_alt_name,
    parse_subject_alt_names,
    subject_alt_name_values,
)
from tessera.crypto.pki.encoding import (
    SERIAL_BITS,
    cert_to_pem,
    chain_pem,
    crl_to_pem,
    fingerprint_sha256,
    new_serial_number,
    serial_hex,
)
from tessera.crypto.pki.keys import (
    ACCEPTED_EC_CURVES,
    DEFAULT_KEY_ALGORITHM,
    MAX_PASSPHRASE_BYTES,
    MIN_RSA_KEY_BITS,
    KeyAlgorithm,
    SupportedPrivateKey,
    SupportedPublicKey,
    encrypt_private_key_pem,
    generate_private_key,
    key_algorithm_name,
    load_private_key_pem,
    load_public_key_pem,
    public_key_pem,
    require_supported_public_key,
)
from tessera.crypto.pki.requests import (
    MAX_CSR_PEM_BYTES,
    check_csr,
    load_csr,
)
from tessera.crypto.pki.revocation import (
    REVOCATION_REASON_FLAGS,
    RevocationReason,
    RevokedEntry,
    build_crl,
    parse_revocation_reason,
)

__all__ = [
    "ACCEPTED_EC_CURVES",
    "DEFAULT_KEY_ALGORITHM",
    "INTERMEDIATE_PATH_LENGTH",
    "MAX_COMMON_NAME_LENGTH",
    "MAX_CSR_PEM_BYTES",
    "MAX_PASSPHRASE_BYTES",
    "MAX_SUBJECT_ALT_NAMES",
    "MIN_RSA_KEY_BITS",
    "REVOCATION_REASON_FLAGS",
    "ROOT_PATH_LENGTH",
    "SERIAL_BITS",
    "IssuedCA",
    "KeyAlgorithm",
    "RevocationReason",
    "RevokedEntry",
    "SupportedPrivateKey",
    "SupportedPublicKey",
    "build_crl",
    "cert_to_pem",
    "certificate_names",
    "chain_pem",
    "check_csr",
    "common_name",
    "create_intermediate_ca",
    "create_root_ca",
    "crl_to_pem",
    "encrypt_private_key_pem",
    "fingerprint_sha256",
    "generate_private_key",
    "issue_certificate",
    "key_algorithm_name",
    "load_csr",
    "load_issued_ca",
    "load_private_key_pem",
    "load_public_key_pem",
    "new_serial_number",
    "parse_revocation_reason",
    "parse_subject_alt_name",
    "parse_subject_alt_names",
    "public_key_pem",
    "require_supported_public_key",
    "serial_hex",
    "subject_alt_name_values",
]
