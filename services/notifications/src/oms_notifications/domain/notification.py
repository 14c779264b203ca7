"""One e-mail: a document, to one recipient, caused by one event, sent once.

Its id is derived from its idempotency key (the document, the contract event that caused
it, and the audience), so a redelivered event finds it exists and queues nothing.

The message (recipient, language, subject, body, Message-ID) is composed at the first
attempt of a cycle, not at queue time (a customer's e-mail may arrive on another topic
later), and kept in ``SendingStarted``: every retry of the cycle sends the very same
message with the same Message-ID. ``SendingStarted`` is the claim, recorded before the SMTP
transaction; an outcome follows it: ``Sent``, ``AttemptFailed`` (a temporary refusal or no
server: retried with back-off) or ``Failed`` (a permanent refusal). A claim with no outcome
is in flight; after a lease it is due again (its sender may have died). ``Postponed``: the
recipient cannot be known yet, tried again later. ``ResendRequested`` starts a new cycle (a
new message, a new Message-ID).

Status: ``pending`` (queued, retrying or in flight), ``sent`` or ``failed``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

PENDING = "pending"
SENT = "sent"
FAILED = "failed"

#: The namespace of notification ids (fixed: an id must come out the same forever).
NAMESPACE = uuid5(NAMESPACE_URL, "oms/notifications/notification")


def idempotency_key(
    document_type: str,
    document_id: str,
    source: str,
    aggregate_id: str,
    aggregate_version: int,
    audience: str,
) -> str:
    """The document, the contract event that caused the notification (its source, aggregate
    and version: the same event redelivered or republished says the same), and for whom."""
    return f"{document_type}:{document_id}:{source}:{aggregate_id}:{aggregate_version}:{audience}"


def notification_id(key: str) -> UUID:
    return uuid5(NAMESPACE, key)


def backoff(number: int, base_s: float, cap_s: float) -> timedelta:
    """How long to wait after the ``number``-th setback: doubling from ``base_s``, at most
    ``cap_s``."""
    return timedelta(seconds=min(base_s * 2 ** max(number - 1, 0), cap_s))


@dataclass(frozen=True)
class Message:
    """What is sent, composed once per cycle."""

    recipient: str
    recipient_name: str
    language: str
    subject: str
    body: str
    message_id: str


@dataclass(frozen=True)
class Attempt:
    """A claim of a notification by a sender: the message to send as attempt ``attempt``."""

    notification_id: UUID
    attempt: int
    message: Message
    idempotency_key: str
    document_type: str
    document_id: str
    facts: dict[str, str]
    attachments: tuple[str, ...]
    #: The notification as this claim left it: the attempt's outcome is recorded on it
    #: without loading it again (and on the stored one if it moved on meanwhile).
    claimed: Notification | None = field(default=None, compare=False, repr=False)


class Notification(Aggregate):
    class Queued(Aggregate.Created):
        idempotency_key: str
        document_type: str
        document_id: str
        customer_id: str | None
        sales_rep_id: str | None
        audience: str
        #: Known at queue time only for a requester or a copy.
        address: str | None
        #: The raw facts of the event that the template needs.
        facts: dict[str, str]
        attachments: list[str]
        queued_at: datetime

    class SendingStarted(Aggregate.Event):
        attempt: int
        cycle: int
        at: datetime
        recipient: str
        recipient_name: str
        language: str
        subject: str
        body: str
        message_id: str
        #: The document's customer as known at this attempt (an event that does not name
        #: him may arrive before the one that does).
        customer_id: str | None

    class AttemptFailed(Aggregate.Event):
        attempt: int
        error: str
        retry_at: datetime

    class Postponed(Aggregate.Event):
        reason: str
        retry_at: datetime

    class Sent(Aggregate.Event):
        attempt: int
        sent_at: datetime
        answer: str
        document_type: str
        document_id: str
        customer_id: str | None
        recipient: str
        message_id: str

    class Failed(Aggregate.Event):
        attempt: int
        failed_at: datetime
        error: str
        document_type: str
        document_id: str
        customer_id: str | None
        recipient: str
        message_id: str | None

    class ResendRequested(Aggregate.Event):
        requested_by: str
        at: datetime
        cycle: int

    @event(Queued)
    def __init__(
        self,
        idempotency_key: str,
        document_type: str,
        document_id: str,
        customer_id: str | None,
        sales_rep_id: str | None,
        audience: str,
        address: str | None,
        facts: dict[str, str],
        attachments: list[str],
        queued_at: datetime,
    ) -> None:
        self.idempotency_key = idempotency_key
        self.document_type = document_type
        self.document_id = document_id
        self.customer_id = customer_id
        self.sales_rep_id = sales_rep_id
        self.audience = audience
        self.address = address
        self.facts = dict(facts)
        self.attachments = tuple(attachments)
        self.queued_at = queued_at
        self.status = PENDING
        #: Attempts over every cycle (each claim counts).
        self.attempts = 0
        self.cycle = 1
        #: Claims and postponements in this cycle (the back-off counts them).
        self.cycle_attempts = 0
        self.postponements = 0
        self.message: Message | None = None
        self.in_flight_since: datetime | None = None
        self.retry_at: datetime | None = queued_at
        self.sent_at: datetime | None = None
        self.error: str | None = None
        #: Every attempt and its outcome, oldest first (the log's detail).
        self.history: list[dict[str, Any]] = []

    @classmethod
    def create_id(cls, idempotency_key: str) -> UUID:
        return notification_id(idempotency_key)

    # --- queries --------------------------------------------------------------------------

    @property
    def in_flight(self) -> bool:
        return self.in_flight_since is not None

    def is_due(self, now: datetime, lease: timedelta) -> bool:
        """Whether a sender may claim it now: pending, and either its time has come or
        the claim in flight is older than the lease (its sender is presumed dead)."""
        if self.status != PENDING:
            return False
        if self.in_flight_since is not None:
            return self.in_flight_since + lease <= now
        return self.retry_at is not None and self.retry_at <= now

    @property
    def recipient(self) -> str:
        if self.message is not None:
            return self.message.recipient
        return self.address or ""

    # --- the claim and its outcomes -------------------------------------------------------

    def start_sending(
        self, now: datetime, message: Message | None = None, customer_id: str | None = None
    ) -> int:
        """Claim it for a new attempt, with ``message`` at the first attempt of a cycle (the
        cycle's message afterwards); the attempt's number."""
        message = self.message or message
        if message is None:
            raise ValueError("the first attempt of a cycle needs its message")
        self._sending_started(
            attempt=self.attempts + 1,
            cycle=self.cycle,
            at=now,
            recipient=message.recipient,
            recipient_name=message.recipient_name,
            language=message.language,
            subject=message.subject,
            body=message.body,
            message_id=message.message_id,
            customer_id=self.customer_id or customer_id,
        )
        return self.attempts

    @event(SendingStarted)
    def _sending_started(
        self,
        attempt: int,
        cycle: int,
        at: datetime,
        recipient: str,
        recipient_name: str,
        language: str,
        subject: str,
        body: str,
        message_id: str,
        customer_id: str | None,
    ) -> None:
        self.attempts = attempt
        self.customer_id = customer_id
        self.cycle_attempts += 1
        self.message = Message(recipient, recipient_name, language, subject, body, message_id)
        self.in_flight_since = at
        self.retry_at = None
        self.history.append({"attempt": attempt, "started_at": at, "outcome": "in_flight"})

    def mark_sent(self, attempt: int, now: datetime, answer: str) -> bool:
        """The server accepted attempt ``attempt``; False when it was sent or failed
        already (a late answer of an attempt given up on after the lease)."""
        if self.status != PENDING or self.message is None:
            return False
        self._sent(
            attempt=attempt,
            sent_at=now,
            answer=answer,
            document_type=self.document_type,
            document_id=self.document_id,
            customer_id=self.customer_id,
            recipient=self.message.recipient,
            message_id=self.message.message_id,
        )
        return True

    @event(Sent)
    def _sent(
        self,
        attempt: int,
        sent_at: datetime,
        answer: str,
        document_type: str,
        document_id: str,
        customer_id: str | None,
        recipient: str,
        message_id: str,
    ) -> None:
        self.status = SENT
        self.sent_at = sent_at
        self.error = None
        self.in_flight_since = None
        self.retry_at = None
        self._outcome(attempt, "sent", sent_at, answer)

    def _current(self, attempt: int) -> bool:
        return self.status == PENDING and self.in_flight and attempt == self.attempts

    def attempt_failed(
        self, attempt: int, error: str, now: datetime, base_s: float, cap_s: float
    ) -> bool:
        """A temporary refusal or no server: retried after the back-off. False for an
        attempt that is no longer the one in flight."""
        if not self._current(attempt):
            return False
        self._attempt_failed(attempt, error, now + backoff(self.cycle_attempts, base_s, cap_s))
        return True

    @event(AttemptFailed)
    def _attempt_failed(self, attempt: int, error: str, retry_at: datetime) -> None:
        self.in_flight_since = None
        self.retry_at = retry_at
        self.error = error
        self._outcome(attempt, "retrying", None, error)

    def fail(self, attempt: int, error: str, now: datetime) -> bool:
        """A permanent refusal of attempt ``attempt``: failed with the server's answer."""
        if not self._current(attempt):
            return False
        self._fail(attempt, error, now)
        return True

    def cannot_compose(self, error: str, now: datetime) -> bool:
        """The message cannot be made (a template that does not render): failed, with no
        attempt made."""
        if self.status != PENDING or self.in_flight:
            return False
        self._fail(self.attempts, error, now)
        return True

    def _fail(self, attempt: int, error: str, now: datetime) -> None:
        self._failed(
            attempt=attempt,
            failed_at=now,
            error=error,
            document_type=self.document_type,
            document_id=self.document_id,
            customer_id=self.customer_id,
            recipient=self.recipient,
            message_id=self.message.message_id if self.message else None,
        )

    @event(Failed)
    def _failed(
        self,
        attempt: int,
        failed_at: datetime,
        error: str,
        document_type: str,
        document_id: str,
        customer_id: str | None,
        recipient: str,
        message_id: str | None,
    ) -> None:
        self.status = FAILED
        self.error = error
        self.in_flight_since = None
        self.retry_at = None
        self._outcome(attempt, "failed", failed_at, error)

    def postpone(self, reason: str, now: datetime, base_s: float, cap_s: float) -> bool:
        """The recipient cannot be known yet (the customer not seen yet): try later."""
        if self.status != PENDING or self.in_flight:
            return False
        self._postponed(reason, now + backoff(self.postponements + 1, base_s, cap_s))
        return True

    @event(Postponed)
    def _postponed(self, reason: str, retry_at: datetime) -> None:
        self.postponements += 1
        self.retry_at = retry_at
        self.error = reason

    def request_resend(self, requested_by: str, now: datetime) -> bool:
        """Send it again on purpose, as a new message (a new Message-ID); False while it
        is still pending (it is going out anyway)."""
        if self.status == PENDING:
            return False
        self._resend_requested(requested_by, now, self.cycle + 1)
        return True

    @event(ResendRequested)
    def _resend_requested(self, requested_by: str, at: datetime, cycle: int) -> None:
        self.status = PENDING
        self.cycle = cycle
        self.cycle_attempts = 0
        self.postponements = 0
        self.message = None
        self.in_flight_since = None
        self.retry_at = at
        self.sent_at = None
        self.error = None

    def _outcome(self, attempt: int, outcome: str, at: datetime | None, detail: str) -> None:
        for entry in reversed(self.history):
            if entry["attempt"] == attempt:
                entry.update(outcome=outcome, detail=detail, **({"at": at} if at else {}))
                return
