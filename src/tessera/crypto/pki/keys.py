"""Keys: the algorithms Tessera generates and accepts, and their PEM forms."""

from __future__ import annotations

from enum import StrEnum
from typing import Final, TypeAlias

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes

from tessera.errors import RuleViolation, ValidationFailed

SupportedPrivateKey: TypeAlias = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
SupportedPublicKey: TypeAlias = ec.EllipticCurvePublicKey | rsa.RSAPublicKey
MIN_RSA_KEY_BITS: Final = 2048
ACCEPTED_EC_CURVES: Final = frozenset({ec.SECP256R1.name, ec.SECP384R1.name})


# The most the PKCS#8 encryption in cryptography's OpenSSL backend accepts.
MAX_PASSPHRASE_BYTES: Final = 1023
_RSA_PUBLIC_EXPONENT: Final = 65537


class KeyAlgorithm(StrEnum):
    """The key types Tessera generates for end-entity certificates."""

    EC_P256 = "ec-p256"
    RSA_2048 = "rsa-2048"
    RSA_3072 = "rsa-3072"


DEFAULT_KEY_ALGORITHM: Final = KeyAlgorithm.EC_P256


def generate_private_key(alg: KeyAlgorithm = DEFAULT_KEY_ALGORITHM) -> SupportedPrivateKey:
    """Generate a fresh end-entity private key of the given algorithm."""
    match alg:
        case KeyAlgorithm.EC_P256:
            return ec.generate_private_key(ec.SECP256R1())
        case KeyAlgorithm.RSA_2048:
            return rsa.generate_private_key(public_exponent=_RSA_PUBLIC_EXPONENT, key_size=2048)
        case KeyAlgorithm.RSA_3072:
            return rsa.generate_private_key(public_exponent=_RSA_PUBLIC_EXPONENT, key_size=3072)


def encrypt_private_key_pem(key: SupportedPrivateKey, passphrase: str | None) -> bytes:
    """Serialise a private key as PKCS#8 PEM, encrypted when a passphrase is given."""
    if passphrase is None:
        encryption: serialization.KeySerializationEncryption = serialization.NoEncryption()
    else:
        secret = _passphrase_bytes(passphrase)
        # BestAvailableEncryption is PBES2 (PBKDF2 + AES-256-CBC) today and follows the library
        # as it improves; `openssl pkey -passin` opens it.
        encryption = serialization.BestAvailableEncryption(secret)
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=encryption,
    )


def load_private_key_pem(pem: bytes, passphrase: str | None = None) -> SupportedPrivateKey:
    """Load a PEM private key written by ``encrypt_private_key_pem`` (or any EC/RSA PEM key)."""
    password = None if passphrase is None else _passphrase_bytes(passphrase)
    key = serialization.load_pem_private_key(pem, password=password)
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ValueError("Only EC and RSA private keys are supported.")
    return key


def _passphrase_bytes(passphrase: str) -> bytes:
    secret = passphrase.encode("utf-8")
    if not secret:
        # An empty passphrase would either fail deep in the library or, worse, be mistaken for
        # "no passphrase"; the caller asked for encryption, so say it cannot be empty.
        raise ValidationFailed.single("key_passphrase", "The key passphrase must not be empty.")
    if len(secret) > MAX_PASSPHRASE_BYTES:
        raise ValidationFailed.single(
            "key_passphrase",
            f"The key passphrase must be at most {MAX_PASSPHRASE_BYTES} bytes long.",
        )
    return secret


def key_algorithm_name(public_key: CertificatePublicKeyTypes) -> str:
    """How the API names a key: ``ec-p256``, ``ec-p384``, ``rsa-2048``..."""
    if isinstance(public_key, rsa.RSAPublicKey):
        return f"rsa-{public_key.key_size}"
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return {"secp256r1": "ec-p256", "secp384r1": "ec-p384"}[public_key.curve.name]
    raise ValueError("unsupported key type")  # pragma: no cover - refused by check_csr


def public_key_pem(public_key: CertificatePublicKeyTypes) -> str:
    """A public key as SubjectPublicKeyInfo PEM text, the way certificates store it."""
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def load_public_key_pem(pem: str) -> SupportedPublicKey:
    """A public key stored by ``public_key_pem`` (always EC or RSA)."""
    public_key = serialization.load_pem_public_key(pem.encode("ascii"))
    if not isinstance(public_key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise ValueError("stored public key is not EC or RSA")  # pragma: no cover - never stored
    return public_key


def require_supported_public_key(public_key: CertificatePublicKeyTypes) -> SupportedPublicKey:
    """Return the key if Tessera certifies keys of its kind and size, else raise ``weak_key``."""
    if isinstance(public_key, rsa.RSAPublicKey):
        if public_key.key_size < MIN_RSA_KEY_BITS:
            raise RuleViolation(
                f"RSA keys must be at least {MIN_RSA_KEY_BITS} bits long.", code="weak_key"
            )
        return public_key
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        if public_key.curve.name not in ACCEPTED_EC_CURVES:
            raise RuleViolation(
                "Elliptic-curve keys must use the P-256 or P-384 curve.", code="weak_key"
            )
        return public_key
    raise _weak_key()


def _weak_key() -> RuleViolation:
    return RuleViolation(
        "The key type is not accepted; use EC P-256, EC P-384 or RSA of at least 2048 bits.",
        code="weak_key",
    )


def _signature_hash(key: SupportedPrivateKey) -> hashes.SHA256 | hashes.SHA384:
    # Match the hash to the key's strength: SHA-384 for P-384 (and larger curves), else SHA-256.
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size >= 384:
        return hashes.SHA384()
    return hashes.SHA256()


def _spki_der(public_key: CertificatePublicKeyTypes) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
