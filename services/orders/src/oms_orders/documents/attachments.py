"""Attached files: what kind of file an upload is (by its first bytes, not its name), the
limits, and where the bytes are kept. The bytes are stored before the event that lists
the file is saved; a file whose event was never saved is listed nowhere and never served
(``GET /attachments/{id}`` serves only files a quote lists)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Protocol

from eventsourcing.postgres import PostgresDatastore
from oms_kit.domain import DomainError, InvalidInput

TABLE = "orders_attachments"
#: Serialises the table's creation between the service's processes.
DOCUMENTS_LOCK = 0x0D0C_5A7E

#: The file types accepted, by their signature (the first bytes).
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


class TooLarge(DomainError):
    """A file above the size limit (413)."""

    status: ClassVar[int] = 413
    title: ClassVar[str] = "Payload too large"


def content_type_of(data: bytes) -> str | None:
    """PDF, PNG or JPEG by the file's signature; None for anything else."""
    return next((kind for magic, kind in SIGNATURES if data.startswith(magic)), None)


def checked_upload(data: bytes, max_bytes: int, field: str = "file") -> str:
    """The content type of an acceptable upload; ``TooLarge`` (413) above ``max_bytes``,
    ``InvalidInput`` (422) when empty or not a PDF, PNG or JPEG, whatever its name says."""
    if len(data) > max_bytes:
        raise TooLarge(f"{field} is larger than {max_bytes} bytes", field=field)
    if not data:
        raise InvalidInput(f"{field} is empty", field=field)
    content_type = content_type_of(data)
    if content_type is None:
        raise InvalidInput(f"{field} must be a PDF, PNG or JPEG file", field=field)
    return content_type


@dataclass(frozen=True)
class StoredFile:
    attachment_id: str
    quote_id: str
    name: str
    content_type: str
    data: bytes
    uploaded_at: datetime


class AttachmentStore(Protocol):
    def put(self, stored: StoredFile) -> None: ...

    def get(self, attachment_id: str) -> StoredFile | None: ...


class PostgresAttachments:
    """The files in a table of the orders database: kept across restarts, backed up with
    the events that list them."""

    ddl = f"""
        CREATE TABLE IF NOT EXISTS {TABLE} (
            attachment_id text PRIMARY KEY,
            quote_id text NOT NULL,
            name text NOT NULL,
            content_type text NOT NULL,
            data bytea NOT NULL,
            uploaded_at timestamptz NOT NULL
        );
    """

    def __init__(self, datastore: PostgresDatastore) -> None:
        self.datastore = datastore

    def create(self) -> None:
        """The table, made by whichever process starts first (the api and the worker
        start together: without the lock both may create it and one fails)."""
        with self.datastore.transaction(commit=True) as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (DOCUMENTS_LOCK,))
            cur.execute(self.ddl)

    def put(self, stored: StoredFile) -> None:
        with self.datastore.transaction(commit=True) as cur:
            cur.execute(
                f"INSERT INTO {TABLE} (attachment_id, quote_id, name, content_type, data, "
                "uploaded_at) VALUES (%s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (attachment_id) DO NOTHING",
                (
                    stored.attachment_id,
                    stored.quote_id,
                    stored.name,
                    stored.content_type,
                    stored.data,
                    stored.uploaded_at,
                ),
            )

    def get(self, attachment_id: str) -> StoredFile | None:
        with self.datastore.transaction(commit=False) as cur:
            cur.execute(
                f"SELECT attachment_id, quote_id, name, content_type, data, uploaded_at "
                f"FROM {TABLE} WHERE attachment_id = %s",
                (attachment_id,),
            )
            row = cur.fetchone()
        if row is None:
            return None
        return StoredFile(
            attachment_id=row["attachment_id"],
            quote_id=row["quote_id"],
            name=row["name"],
            content_type=row["content_type"],
            data=bytes(row["data"]),
            uploaded_at=row["uploaded_at"],
        )


class MemoryAttachments:
    """Beside the in-memory event store (the use-case tests)."""

    def __init__(self) -> None:
        self._files: dict[str, StoredFile] = {}
        self._lock = threading.Lock()

    def put(self, stored: StoredFile) -> None:
        with self._lock:
            self._files.setdefault(stored.attachment_id, stored)

    def get(self, attachment_id: str) -> StoredFile | None:
        with self._lock:
            return self._files.get(attachment_id)
