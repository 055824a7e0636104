"""Envelope encryption and keyed fingerprints, the primitives under the card vault.

Three layers of keys:

- the **root key** (``TESSERA_MASTER_KEY``) never touches data; HKDF derives from it the key that
  wraps master keys and, separately, the fingerprint key;
- **master keys** are versioned, random, and stored wrapped by the root key (``vault_keys``);
  rotating adds a version;
- each record gets its own random **data key** (AES-256-GCM), wrapped by the current master key.

A sealed record is ``version(4) | wrapped data key (60) | nonce (12) | ciphertext+tag``. The
``aad`` binds a ciphertext to its row and purpose, so a value copied to another row will not
decrypt. Fingerprints are HMAC-SHA256 under their own key: equal inputs give equal fingerprints,
which is what duplicate checks and lookups need, without storing the value.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32
NONCE_BYTES = 12
_WRAPPED_DEK_BYTES = NONCE_BYTES + KEY_BYTES + 16
_HEADER = struct.Struct(">I")


class VaultError(Exception):
    """A value could not be decrypted: wrong key, wrong row, or tampered with."""


def _derive(root_key: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=purpose).derive(
        root_key
    )


@dataclass(frozen=True, slots=True)
class Sealed:
    """An encrypted value and the master key version its data key is wrapped under."""

    key_version: int
    wrapped_dek: bytes
    ciphertext: bytes

    def to_bytes(self) -> bytes:
        """The storage form of this value."""
        return _HEADER.pack(self.key_version) + self.wrapped_dek + self.ciphertext

    @classmethod
    def from_bytes(cls, blob: bytes) -> Sealed:
        """Parse the storage form; raises VaultError when it is truncated."""
        if len(blob) < _HEADER.size + _WRAPPED_DEK_BYTES + NONCE_BYTES + 16:
            raise VaultError("sealed value is truncated")
        (version,) = _HEADER.unpack_from(blob)
        start = _HEADER.size
        return cls(
            key_version=version,
            wrapped_dek=blob[start : start + _WRAPPED_DEK_BYTES],
            ciphertext=blob[start + _WRAPPED_DEK_BYTES :],
        )


class EnvelopeCipher:
    """The operations that need the root key; holds no master key itself."""

    def __init__(self, root_key: bytes) -> None:
        if len(root_key) != KEY_BYTES:
            raise ValueError("the root key must be 32 bytes")
        self._kek = AESGCM(_derive(root_key, b"tessera/vault/master-key-wrapping/v1"))
        self._fingerprint_key = _derive(root_key, b"tessera/vault/fingerprint/v1")

    @staticmethod
    def new_master_key() -> bytes:
        """A fresh random master key."""
        return os.urandom(KEY_BYTES)

    def wrap_master_key(self, version: int, master_key: bytes) -> bytes:
        """Encrypt a master key under the root key, bound to its version number."""
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._kek.encrypt(nonce, master_key, _HEADER.pack(version))

    def unwrap_master_key(self, version: int, wrapped: bytes) -> bytes:
        """Decrypt a stored master key; raises VaultError with the wrong root key."""
        try:
            return self._kek.decrypt(
                wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _HEADER.pack(version)
            )
        except InvalidTag as exc:
            raise VaultError(
                f"master key version {version} does not open with this TESSERA_MASTER_KEY"
            ) from exc

    def fingerprint(self, value: str, *, purpose: str) -> str:
        """A keyed HMAC-SHA256 of ``value``, namespaced by ``purpose`` (hex)."""
        message = purpose.encode() + b"\x00" + value.encode()
        return hmac.new(self._fingerprint_key, message, hashlib.sha256).hexdigest()


def seal(plaintext: bytes, *, version: int, master_key: bytes, aad: bytes) -> Sealed:
    """Encrypt under a fresh data key wrapped by the given master key."""
    dek = AESGCM.generate_key(bit_length=256)
    dek_nonce = os.urandom(NONCE_BYTES)
    wrapped = dek_nonce + AESGCM(master_key).encrypt(dek_nonce, dek, _HEADER.pack(version) + aad)
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = nonce + AESGCM(dek).encrypt(nonce, plaintext, aad)
    return Sealed(key_version=version, wrapped_dek=wrapped, ciphertext=ciphertext)


def _unwrap_dek(sealed: Sealed, master_key: bytes, aad: bytes) -> bytes:
    try:
        return AESGCM(master_key).decrypt(
            sealed.wrapped_dek[:NONCE_BYTES],
            sealed.wrapped_dek[NONCE_BYTES:],
            _HEADER.pack(sealed.key_version) + aad,
        )
    except InvalidTag as exc:
        raise VaultError("data key does not unwrap: wrong master key or wrong record") from exc


def open_sealed(sealed: Sealed, *, master_key: bytes, aad: bytes) -> bytes:
    """Decrypt a sealed value; raises VaultError when anything does not match."""
    dek = _unwrap_dek(sealed, master_key, aad)
    try:
        return AESGCM(dek).decrypt(
            sealed.ciphertext[:NONCE_BYTES], sealed.ciphertext[NONCE_BYTES:], aad
        )
    except InvalidTag as exc:
        raise VaultError("ciphertext does not decrypt: tampered with or wrong record") from exc


def rewrap(
    sealed: Sealed, *, old_master: bytes, new_version: int, new_master: bytes, aad: bytes
) -> Sealed:
    """Move a value to another master key by re-wrapping its data key (the data stays put)."""
    dek = _unwrap_dek(sealed, old_master, aad)
    nonce = os.urandom(NONCE_BYTES)
    wrapped = nonce + AESGCM(new_master).encrypt(nonce, dek, _HEADER.pack(new_version) + aad)
    return Sealed(key_version=new_version, wrapped_dek=wrapped, ciphertext=sealed.ciphertext)
