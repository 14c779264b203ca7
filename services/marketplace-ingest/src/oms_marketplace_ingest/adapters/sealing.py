"""The connections' credentials at rest: sealed with Fernet (AES-128-CBC + HMAC-SHA256)
under the key from the settings; what is stored (and in the event store) is ciphertext."""

from __future__ import annotations

import json

from cryptography.fernet import Fernet, InvalidToken


class FernetSealer:
    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    def seal(self, secrets: dict[str, str]) -> str:
        return self._fernet.encrypt(json.dumps(secrets).encode()).decode()

    def open(self, sealed: str) -> dict[str, str]:
        try:
            opened: dict[str, str] = json.loads(self._fernet.decrypt(sealed.encode()))
        except InvalidToken as exc:
            raise ValueError("the credentials do not open with the configured key") from exc
        return opened
