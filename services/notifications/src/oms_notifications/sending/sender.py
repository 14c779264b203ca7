"""The sender: claims each due notification, sends it, records the outcome.

Exactly once, as far as SMTP allows: the claim (``SendingStarted``, with the message and
its Message-ID) is recorded before the SMTP transaction and the outcome after it. A
redelivered event queues nothing new (the notification's id comes from its idempotency
key); two senders racing for one notification are decided by the aggregate's version (the
loser skips it); a server that refuses for now (4xx) or does not answer is retried with
back-off, the same message; a permanent refusal (5xx) is ``failed`` with the answer.

The limit of the protocol: a sender that dies after the server accepted the message and
before ``Sent`` is recorded leaves the claim in flight; after the lease the message is sent
again, with the SAME Message-ID and ``X-OMS-Idempotency-Key``. SMTP has no way to ask a
server whether it already took a message (and the server cannot refuse a duplicate: the
DATA answer is the only acknowledgement), so this in-doubt case is not avoidable here; the
duplicate is recognisable by its Message-ID, which mail clients and most servers already
use to drop a repeat. The window is the time between the server's "250" and one write to
the event store."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from email import charset, encoders
from email.header import Header
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.policy import compat32
from email.utils import format_datetime, formataddr, parseaddr
from typing import NamedTuple, Protocol
from uuid import UUID

from oms_notifications.application import NotificationsApplication
from oms_notifications.domain.notification import Attempt

log = logging.getLogger(__name__)

#: How many due notifications one pass takes (the rest wait for the next pass).
PASS_SIZE = 100
IDEMPOTENCY_HEADER = "X-OMS-Idempotency-Key"


class TemporaryMailError(Exception):
    """No server, a timeout, or a 4xx answer: tried again after the back-off."""


class PermanentMailError(Exception):
    """A 5xx answer: the server will never take this message."""


class DocumentUnavailable(Exception):
    """An attachment could not be fetched now: tried again after the back-off."""


@dataclass(frozen=True)
class Document:
    filename: str
    content_type: str
    data: bytes


class Mailer(Protocol):
    def send(self, message: Message) -> str:
        """Hand ``message`` to the server; its answer ("250 ..."). Raises
        ``TemporaryMailError`` or ``PermanentMailError``."""
        ...

    def close(self) -> None:
        """End what is kept open for the next message (nothing is due for now)."""
        ...


class DocumentSource(Protocol):
    def fetch(self, kind: str, attempt: Attempt) -> Document:
        """The document ``kind`` of the attempt's document; ``DocumentUnavailable``."""
        ...


class Due(NamedTuple):
    """A notification due now, and the document it is about (a pass sends the messages
    about one document one after another)."""

    notification_id: UUID
    document_id: str


Clock = Callable[[], datetime]
#: The notifications due at a time, oldest first (a read model: it may lag; each is
#: reloaded before it is claimed).
DueLister = Callable[[datetime, int], Sequence[Due]]


def utc_now() -> datetime:
    return datetime.now(UTC)


#: How a message is written for SMTP: the policy it is built with (``compat32``), with
#: CRLF line ends, and no header folded below SMTP's limit of 998 characters (compat32
#: would fold an ASCII value without spaces, such as the idempotency key, onto the next
#: line, and a reader would take the fold's space as part of the value; the non-ASCII ones
#: are folded between their encoded words already).
SMTP_WIRE = compat32.clone(linesep="\r\n", max_line_length=998)
#: UTF-8 text, quoted-printable (readable in the raw message for our languages).
_UTF8_QP = charset.Charset("utf-8")
_UTF8_QP.body_encoding = charset.QP


def build_message(attempt: Attempt, mail_from: str, documents: list[Document]) -> Message:
    """The e-mail of an attempt: text/plain, its documents attached, the cycle's
    Message-ID and the idempotency key in a header.

    Built with the ``email`` package's classic classes, the headers encoded here (RFC 2047
    where they are not ASCII): its modern ``EmailMessage`` parses every header it is given
    again through its header registry, which was most of the CPU a message cost (about
    2.3 against 0.9 ms for an invoice's mail with its two documents)."""
    message = attempt.message
    text = MIMEBase("text", "plain")
    text.set_payload(message.body, _UTF8_QP)
    email: Message = text
    if documents:
        email = MIMEMultipart("mixed")
        email.attach(text)
        for document in documents:
            maintype, _, subtype = document.content_type.partition("/")
            part = MIMEBase(maintype or "application", subtype or "octet-stream")
            part.set_payload(document.data)
            encoders.encode_base64(part)
            part.add_header("Content-Disposition", "attachment", filename=document.filename)
            email.attach(part)
    email["From"] = _address(*parseaddr(mail_from)) if parseaddr(mail_from)[1] else mail_from
    _, address = parseaddr(message.recipient)
    name = " ".join(message.recipient_name.split())  # a header holds one line
    email["To"] = _address(name, address) if address else message.recipient
    email["Subject"] = _text("Subject", " ".join(message.subject.splitlines()))
    email["Message-ID"] = message.message_id
    email["Date"] = format_datetime(utc_now())
    email[IDEMPOTENCY_HEADER] = attempt.idempotency_key
    email["Content-Language"] = message.language
    return email


def wire_bytes(message: Message) -> bytes:
    """The message as it goes over SMTP."""
    return message.as_bytes(policy=SMTP_WIRE)


def _address(name: str, address: str) -> str:
    return formataddr((name, address), charset="utf-8")


def _text(name: str, value: str) -> str:
    """A header's text, RFC 2047 encoded words (folded to 78 characters with the header's
    name) where it is not ASCII."""
    return value if value.isascii() else Header(value, "utf-8", header_name=name).encode()


class Sender:
    """Claims due notifications and sends them until stopped: ``parallel`` at a time, and
    the messages of a pass about one document one after another, in the order they were
    queued (a shipment's mail does not overtake its order's confirmation when both are due;
    one waiting for a retry, or claimed by another worker's sender, is not waited for).
    Most of an attempt is waiting (the documents' HTTP requests, the SMTP conversation, two
    writes to the event store), so one message at a time could not keep up with a few
    orders a second."""

    def __init__(
        self,
        app: NotificationsApplication,
        due: DueLister,
        mailer: Mailer,
        documents: DocumentSource,
        mail_from: str,
        *,
        clock: Clock = utc_now,
        poll_s: float = 1.0,
        parallel: int = 1,
    ) -> None:
        self.app = app
        self.due = due
        self.mailer = mailer
        self.documents = documents
        self.mail_from = mail_from
        self.clock = clock
        self.poll_s = poll_s
        self.parallel = parallel

    def send_due(self) -> int:
        """One pass over what is due now; how many were sent."""
        return sum(outcome == "sent" for outcome in self._pass())

    def _pass(self) -> list[str | None]:
        """Every notification due now, attempted once: each one's outcome."""
        chains: dict[str, list[UUID]] = {}
        for due in self.due(self.clock(), PASS_SIZE):
            chains.setdefault(due.document_id, []).append(due.notification_id)
        if len(chains) <= 1 or self.parallel == 1:
            done = [self._chain(chain) for chain in chains.values()]
        else:
            threads = min(self.parallel, len(chains))
            with ThreadPoolExecutor(threads, thread_name_prefix="mail-sender") as pool:
                done = list(pool.map(self._chain, chains.values()))
        return [outcome for chain in done for outcome in chain]

    def _chain(self, notification_ids: list[UUID]) -> list[str | None]:
        outcomes: list[str | None] = []
        for notification_id in notification_ids:
            try:
                outcomes.append(self.attempt(notification_id))
            except Exception:
                log.exception("sending notification %s failed", notification_id)
                outcomes.append(None)
        return outcomes

    def attempt(self, notification_id: UUID) -> str | None:
        """Claim, send and record one notification: "sent", "retrying", "failed", or None
        when it was not claimed (not due, postponed, failed to compose, or claimed by
        another sender)."""
        claimed = self.app.claim(notification_id, self.clock())
        if claimed is None:
            return None
        try:
            documents = [self.documents.fetch(kind, claimed) for kind in claimed.attachments]
            answer = self.mailer.send(build_message(claimed, self.mail_from, documents))
        except PermanentMailError as exc:
            log.warning("notification %s refused: %s", notification_id, exc)
            self.app.record_failure(claimed, str(exc), self.clock())
            return "failed"
        except Exception as exc:  # temporary: no server, 4xx, a document not available
            log.info("notification %s attempt %s: %s", notification_id, claimed.attempt, exc)
            error = str(exc) or type(exc).__name__
            self.app.record_attempt_failed(claimed, error, self.clock())
            return "retrying"
        self.app.record_sent(claimed, self.clock(), answer)
        return "sent"

    def run(self, stop: threading.Event) -> None:
        """Send what is due until ``stop`` is set: at once again after a pass that
        attempted something (more may have become due meanwhile), else after ``poll_s``."""
        try:
            while not stop.is_set():
                attempted = False
                try:
                    attempted = any(outcome is not None for outcome in self._pass())
                except Exception:
                    log.exception("sending pass failed")
                if not attempted:
                    self.mailer.close()  # no connection held open while nothing is due
                    stop.wait(self.poll_s)
        finally:
            self.mailer.close()
