"""The key ring: which master key seals new values, and the unwrapped keys that open old ones.

Master keys live in the database (wrapped by the root key), so every API process and worker
sees a rotation as soon as it is committed: sealing asks the database for the active version
(one indexed row, share-locked until the sealing transaction ends) and unwraps a version once,
then keeps it in memory.

Why the lock: a rotation starts by adding a version, then moves every row sealed under an older
one. A request that read the old active version and committed after the rotation's last pass
would leave a row behind. Adding a version takes the active key row exclusively, so it waits for
every transaction that sealed under it (PostgreSQL; on SQLite writers are serialised anyway).
"""

from __future__ import annotations

import threading

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tessera.crypto.vault import EnvelopeCipher, Sealed, VaultError, open_sealed, rewrap, seal
from tessera.kit.keyring import repository


class KeyRing:
    """Seals and opens values with the deployment's versioned master keys."""

    def __init__(self, cipher: EnvelopeCipher) -> None:
        self.cipher = cipher
        self._keys: dict[int, bytes] = {}
        self._lock = threading.Lock()

    def _master(self, session: Session, version: int) -> bytes:
        key = self._keys.get(version)
        if key is not None:
            return key
        row = repository.get_key(session, version)
        if row is None:
            raise VaultError(f"master key version {version} does not exist")
        key = self.cipher.unwrap_master_key(version, row.wrapped_key)
        with self._lock:
            self._keys[version] = key
        return key

    def active_version(self, session: Session) -> int:
        """The version new values are sealed under, share-locked; creates version 1 on first use."""
        version = repository.lock_active_version(session)
        if version is not None:
            return version
        # First use: two processes starting together may both get here. The loser's insert
        # waits on the primary key, fails once the winner commits, and then reads its version.
        try:
            with session.begin_nested():
                return self._add(session, version=1)
        except IntegrityError:
            row = repository.lock_active_key(session)
            if row is None:  # pragma: no cover - the conflicting row cannot vanish
                raise
            return row.version

    def add_version(self, session: Session) -> int:
        """Create the next master key version (the caller commits).

        Waits for transactions that are sealing under the current version (see the module doc).
        """
        repository.lock_active_key(session, exclusive=True)
        current = max((k.version for k in repository.list_keys(session)), default=0)
        return self._add(session, version=current + 1)

    def _add(self, session: Session, *, version: int) -> int:
        master = self.cipher.new_master_key()
        repository.add_key(
            session, version=version, wrapped_key=self.cipher.wrap_master_key(version, master)
        )
        with self._lock:
            self._keys[version] = master
        return version

    def seal(self, session: Session, plaintext: bytes, *, aad: bytes) -> Sealed:
        """Encrypt ``plaintext`` under a new data key and the active master key."""
        version = self.active_version(session)
        return seal(plaintext, version=version, master_key=self._master(session, version), aad=aad)

    def open(self, session: Session, sealed: Sealed, *, aad: bytes) -> bytes:
        """Decrypt a sealed value, whichever master key version wraps it."""
        return open_sealed(sealed, master_key=self._master(session, sealed.key_version), aad=aad)

    def rewrap(self, session: Session, sealed: Sealed, *, to_version: int, aad: bytes) -> Sealed:
        """Re-wrap a value's data key under ``to_version``."""
        return rewrap(
            sealed,
            old_master=self._master(session, sealed.key_version),
            new_version=to_version,
            new_master=self._master(session, to_version),
            aad=aad,
        )

    def reseal(self, session: Session, sealed: Sealed, *, to_version: int, aad: bytes) -> Sealed:
        """Decrypt a value and encrypt it again under a fresh data key wrapped by ``to_version``."""
        plaintext = self.open(session, sealed, aad=aad)
        return seal(
            plaintext, version=to_version, master_key=self._master(session, to_version), aad=aad
        )

    def fingerprint(self, value: str, *, purpose: str) -> str:
        """A keyed fingerprint of ``value`` for lookups and duplicate checks."""
        return self.cipher.fingerprint(value, purpose=purpose)
