"""Passwords and client secrets, hashed with Argon2 (pwdlib): only hashes are stored."""

from __future__ import annotations

import secrets
import threading

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher


class Passwords:
    """Hashes and checks secrets. ``hasher`` sets Argon2's cost (pwdlib's defaults, the
    recommended ones, unless a test wants them cheaper)."""

    def __init__(self, hasher: Argon2Hasher | None = None) -> None:
        self._hash = PasswordHash((hasher or Argon2Hasher(),))
        self._dummy: str | None = None
        self._dummy_lock = threading.Lock()

    def hash(self, password: str) -> str:
        return self._hash.hash(password)

    def verify(self, password: str, password_hash: str) -> tuple[bool, str | None]:
        """Whether ``password`` matches, and a new hash to keep when the stored one was
        made with other parameters (None otherwise)."""
        return self._hash.verify_and_update(password, password_hash)

    def verify_nobody(self, password: str) -> bool:
        """Take as long as checking a real password, for a user who does not exist: the
        answer's timing must not tell whether he does. Always False."""
        self._hash.verify(password, self._dummy_hash())
        return False

    def _dummy_hash(self) -> str:
        with self._dummy_lock:
            if self._dummy is None:
                self._dummy = self._hash.hash(secrets.token_urlsafe(24))
            return self._dummy
