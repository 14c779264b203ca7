"""The token signing keys: Ed25519 (EdDSA) key pairs kept in the orders database, in a
table of their own (never in events), each private key a PKCS#8 PEM encrypted with the
keys' password (``OMS_AUTH_KEY_PASSWORD``).

One key is current: new tokens are signed with it. Rotating makes a new current key and
retires the old one, which still verifies (and stays in the JWKS) until the last token it
signed has expired: ``retired_at`` + the token lifetime (+ the verifiers' clock leeway);
then it drops out, and is deleted at a later rotation.

The first key is made on first use (at the API's start), under an advisory lock: the
service's processes start together. Public keys are kept as JWKs, so verifying and
publishing them never needs the password."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.postgres import PostgresDatastore
from jwt.algorithms import OKPAlgorithm
from oms_kit.auth import LEEWAY_S, KeysVerifier

#: Advisory lock serialising changes of the key table (and the first admin) across the
#: service's processes.
IDENTITY_LOCK = 0x0A5_1D3

TABLE = "orders_signing_keys"

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class KeyPasswordWrong(RuntimeError):
    """A stored private key does not open with the configured password."""


@dataclass(frozen=True)
class KeyRecord:
    kid: str
    #: The private key: PKCS#8 PEM, encrypted with the keys' password.
    private_pem: bytes
    #: The public key as a JWK (with ``kid``, ``alg`` and ``use``).
    public_jwk: dict[str, Any]
    created_at: datetime
    retired_at: datetime | None = None


class KeyTable(Protocol):
    """Where the keys are kept."""

    def records(self) -> list[KeyRecord]:
        """Every key kept, current or retired."""
        ...

    def current(self) -> KeyRecord | None: ...

    def replace_current(
        self,
        make: Callable[[], KeyRecord],
        *,
        now: datetime,
        only_if_none: bool,
        forget_retired_before: datetime,
    ) -> KeyRecord:
        """Atomically (one process at a time): retire the current key at ``now`` and add
        ``make()`` as the current one; with ``only_if_none``, keep a current key if there
        is one. Keys retired before ``forget_retired_before`` are deleted. Returns the
        current key."""
        ...


class PostgresKeyTable:
    ddl = f"""
        CREATE TABLE IF NOT EXISTS {TABLE} (
            kid text PRIMARY KEY,
            private_pem bytea NOT NULL,
            public_jwk text NOT NULL,
            created_at timestamptz NOT NULL,
            retired_at timestamptz
        );
        CREATE UNIQUE INDEX IF NOT EXISTS {TABLE}_one_current
            ON {TABLE} ((retired_at IS NULL)) WHERE retired_at IS NULL;
    """
    columns = "kid, private_pem, public_jwk, created_at, retired_at"

    def __init__(self, datastore: PostgresDatastore) -> None:
        self.datastore = datastore

    def create(self) -> None:
        with self.datastore.transaction(commit=True) as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (IDENTITY_LOCK,))
            cur.execute(self.ddl)

    def records(self) -> list[KeyRecord]:
        with self.datastore.transaction(commit=False) as cur:
            cur.execute(f"SELECT {self.columns} FROM {TABLE} ORDER BY created_at")
            return [self._record(row) for row in cur.fetchall()]

    def current(self) -> KeyRecord | None:
        with self.datastore.transaction(commit=False) as cur:
            cur.execute(f"SELECT {self.columns} FROM {TABLE} WHERE retired_at IS NULL")
            row = cur.fetchone()
        return self._record(row) if row else None

    def replace_current(
        self,
        make: Callable[[], KeyRecord],
        *,
        now: datetime,
        only_if_none: bool,
        forget_retired_before: datetime,
    ) -> KeyRecord:
        with self.datastore.transaction(commit=True) as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (IDENTITY_LOCK,))
            cur.execute(f"SELECT {self.columns} FROM {TABLE} WHERE retired_at IS NULL")
            row = cur.fetchone()
            if row and only_if_none:
                return self._record(row)
            cur.execute(f"UPDATE {TABLE} SET retired_at = %s WHERE retired_at IS NULL", (now,))
            cur.execute(f"DELETE FROM {TABLE} WHERE retired_at < %s", (forget_retired_before,))
            record = make()
            cur.execute(
                f"INSERT INTO {TABLE} ({self.columns}) VALUES (%s, %s, %s, %s, NULL)",
                (record.kid, record.private_pem, json.dumps(record.public_jwk), record.created_at),
            )
            return record

    @staticmethod
    def _record(row: dict[str, Any]) -> KeyRecord:
        return KeyRecord(
            kid=row["kid"],
            private_pem=bytes(row["private_pem"]),
            public_jwk=json.loads(row["public_jwk"]),
            created_at=row["created_at"],
            retired_at=row["retired_at"],
        )


class MemoryKeyTable:
    """The same, in this process (the use-case tests)."""

    def __init__(self) -> None:
        self._records: list[KeyRecord] = []
        self._lock = threading.Lock()

    def records(self) -> list[KeyRecord]:
        with self._lock:
            return list(self._records)

    def current(self) -> KeyRecord | None:
        with self._lock:
            return next((r for r in self._records if r.retired_at is None), None)

    def replace_current(
        self,
        make: Callable[[], KeyRecord],
        *,
        now: datetime,
        only_if_none: bool,
        forget_retired_before: datetime,
    ) -> KeyRecord:
        with self._lock:
            current = next((r for r in self._records if r.retired_at is None), None)
            if current is not None and only_if_none:
                return current
            kept = [
                r if r.retired_at is not None else _retired(r, now)
                for r in self._records
                if r.retired_at is None or r.retired_at >= forget_retired_before
            ]
            record = make()
            self._records = [*kept, record]
            return record


def _retired(record: KeyRecord, at: datetime) -> KeyRecord:
    return KeyRecord(record.kid, record.private_pem, record.public_jwk, record.created_at, at)


class SigningKeys:
    """The key ring: the current key to sign with, and the public keys that still verify
    (for the JWKS and this service's own verifier, read through a short cache)."""

    #: How long the public keys read are used before being read again.
    keep_s = 60.0
    #: Least time between two reads for a key id not seen yet (a rotation in another
    #: process, or a made-up id: a flood of those must not become a flood of queries).
    reread_s = 0.5

    def __init__(
        self,
        table: KeyTable,
        password: Callable[[], bytes],
        token_lifetime: timedelta,
        clock: Clock = utc_now,
    ) -> None:
        self.table = table
        self._password = password
        self.token_lifetime = token_lifetime
        self.clock = clock
        self._private: dict[str, Ed25519PrivateKey] = {}
        self._public: dict[str, tuple[Any, datetime | None]] = {}
        self._read_at = -1e9
        self._lock = threading.Lock()

    # Signing -----------------------------------------------------------------------------

    def ensure(self) -> str:
        """The current key's id, made now if there is none. Opens it, so that a wrong or
        missing password fails here (at start) rather than at the first sign-in."""
        return self.signing_key()[0]

    def signing_key(self) -> tuple[str, Ed25519PrivateKey]:
        """The current key (read each time: another process may have rotated it)."""
        record = self.table.current() or self._replace(only_if_none=True)
        return record.kid, self._open(record)

    def rotate(self) -> str:
        """Make a new current key; the old one verifies until its tokens have expired."""
        record = self._replace(only_if_none=False)
        with self._lock:
            self._read_at = -1e9  # read the public keys again
        return record.kid

    def _replace(self, *, only_if_none: bool) -> KeyRecord:
        now = self.clock()
        return self.table.replace_current(
            self._new_key,
            now=now,
            only_if_none=only_if_none,
            forget_retired_before=now - self.verifies_for,
        )

    def _new_key(self) -> KeyRecord:
        now = self.clock()
        key = Ed25519PrivateKey.generate()
        kid = f"{now:%Y%m%d}-{secrets.token_hex(6)}"
        jwk: dict[str, Any] = json.loads(OKPAlgorithm.to_jwk(key.public_key()))
        jwk.update({"kid": kid, "alg": "EdDSA", "use": "sig"})
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self._password()),
        )
        return KeyRecord(kid=kid, private_pem=pem, public_jwk=jwk, created_at=now)

    def _open(self, record: KeyRecord) -> Ed25519PrivateKey:
        key = self._private.get(record.kid)
        if key is None:
            try:
                opened = serialization.load_pem_private_key(record.private_pem, self._password())
            except (ValueError, TypeError) as exc:
                raise KeyPasswordWrong(
                    f"the signing key {record.kid} does not open with the configured "
                    "password (OMS_AUTH_KEY_PASSWORD): it was stored under another one"
                ) from exc
            if not isinstance(opened, Ed25519PrivateKey):
                raise KeyPasswordWrong(f"the signing key {record.kid} is not an Ed25519 key")
            key = self._private[record.kid] = opened
        return key

    # Verifying and publishing ------------------------------------------------------------

    @property
    def verifies_for(self) -> timedelta:
        """How long a retired key still verifies: its last token's lifetime, and the
        leeway verifiers give an expiry."""
        return self.token_lifetime + timedelta(seconds=LEEWAY_S)

    def still_verifies(self, retired_at: datetime | None) -> bool:
        return retired_at is None or self.clock() < retired_at + self.verifies_for

    def published(self) -> list[dict[str, Any]]:
        """The public keys (JWKs) that still verify, the current one first; read afresh,
        so that other services learn a new key as soon as it signs."""
        if self.table.current() is None:
            self._replace(only_if_none=True)
        records = sorted(
            self.table.records(), key=lambda r: (r.retired_at is not None, r.created_at)
        )
        return [dict(r.public_jwk) for r in records if self.still_verifies(r.retired_at)]

    def public_key(self, kid: str) -> Any:
        """The public key of ``kid`` while it verifies (KeyError otherwise)."""
        with self._lock:
            since = time.monotonic() - self._read_at
            if since > self.keep_s or (kid not in self._public and since > self.reread_s):
                self._public = {
                    r.kid: (OKPAlgorithm.from_jwk(r.public_jwk), r.retired_at)
                    for r in self.table.records()
                }
                self._read_at = time.monotonic()
            key, retired_at = self._public[kid]
        if not self.still_verifies(retired_at):
            raise KeyError(kid)
        return key

    def verifier(self, issuer: str) -> KeysVerifier:
        """Verifies this service's own tokens with these keys (no HTTP round trip)."""
        return KeysVerifier(self.public_key, issuer)
