"""Scenario 9, mail: orders flow to stamped invoices while the SMTP server refuses every
message for a while (451, try again later) and the notifications worker (consumer, sender
and relay) is SIGKILLed at random moments and started again. Once the server accepts, every
stamped invoice's e-mail must reach it once, with the invoice's PDF and XML: none lost, none
doubled. Every other message (order confirmed, status changes, payments) is counted too: no
idempotency key may reach the server twice.

A worker killed after the server accepted a message and before the sender recorded it leaves
the sender in doubt; it sends again with the same Message-ID (SMTP cannot be asked what it
already has). Such a copy is counted as a duplicate here, and named apart by its Message-ID."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from typing import Any

from oms_dev.mailsink import KeptMessage, MailSink

from reliability.harness import Harness
from reliability.scenario import RECOVERY_DEADLINE_S, Outcome, Settings
from reliability.workload import Client, Workload, all_invoices, verify, wait_converged

NAME = "mail"
SERVICE = "notifications"
#: The flow up to a stamped invoice, and the service that e-mails it.
SERVICES = ["orders", "inventory", "billing", SERVICE]
#: The header the sender puts the message's idempotency key in (document type first).
IDEMPOTENCY_HEADER = "X-OMS-Idempotency-Key"
INVOICE_STAMPED = "invoice_stamped"
POLL_S = 0.5


def run(harness: Harness, settings: Settings) -> Outcome:
    out = Outcome(NAME, orders=settings.orders)
    rng = random.Random(20261203)  # noqa: S311 - chaos, not crypto
    sink = MailSink(settings.log_dir / NAME / "mail")
    sink.start()
    # Refused at first: every message the flow makes early on waits for the server.
    refusals = max(30, settings.orders)
    sink.refuse(refusals)
    client: Client | None = None
    try:
        harness.start_services(
            settings.log_dir / NAME,
            env={
                **sink.env(),
                # Short back-off and lease: the scenario is about minutes, not hours.
                "OMS_MAIL_RETRY_BASE_S": "0.5",
                "OMS_MAIL_RETRY_CAP_S": "4",
                "OMS_MAIL_LEASE_S": "15",
                "OMS_MAIL_POLL_S": "0.2",
            },
            only=SERVICES,
        )
        client = Client(harness)
        work = Workload()
        work.setup(client, settings.orders)
        kills = _drive_while_killing(harness, work, settings, rng)
        out.notes.append(f"{kills} notifications workers SIGKILLed and restarted")
        took = wait_converged(client, work, RECOVERY_DEADLINE_S)
        if took is None:
            out.failures.append(f"orders did not converge within {RECOVERY_DEADLINE_S:.0f} s")
        out.take(verify(client, work))
        stamped = [i for i in all_invoices(client) if i.get("stamp")]
        out.check(bool(stamped), "no invoice was stamped")
        started = time.monotonic()
        delivered = _wait_delivered(sink, {i["invoice_id"] for i in stamped})
        out.recover_s = time.monotonic() - started
        pending = _wait_none_pending(client)
        out.check(not pending, f"notifications still pending: {pending[:3]}")
        failed = client.json("GET", SERVICE, "/notifications", params={"status": "failed"})
        out.check(not failed["items"], f"notifications failed: {failed['items'][:3]}")
        _count(out, sink.messages(), stamped, delivered)
        refused = sum(sink.refused.values())
        out.notes.append(f"{refused} deliveries refused with 451 first")
        out.check(refused == refusals, f"the server refused {refused} of {refusals} on purpose")
        if client.server_errors:
            out.notes.append(f"5xx answered meanwhile: {dict(client.server_errors)}")
    finally:
        if client is not None:
            client.close()
        harness.stop_services()
        sink.stop()
    return out


def _drive_while_killing(
    harness: Harness, work: Workload, settings: Settings, rng: random.Random
) -> int:
    """Run the orders; meanwhile SIGKILL the notifications worker every few seconds (at
    least three times, the last after the orders are through, while mail still waits)."""
    driving = threading.Event()
    driving.set()

    def drive() -> None:
        try:
            work.drive(harness, settings.orders, 6)
        finally:
            driving.clear()

    driver = threading.Thread(target=drive, name="driver")
    driver.start()
    kills = 0
    gap = (1.0, 3.0) if settings.quick else (2.0, 6.0)
    try:
        while driving.is_set() or kills < 3:
            time.sleep(rng.uniform(*gap))
            harness.restart(SERVICE, "worker")
            kills += 1
    finally:
        driver.join()
    return kills


def _key(message: KeptMessage) -> str:
    return message.header(IDEMPOTENCY_HEADER)


def _invoice_of(message: KeptMessage) -> str | None:
    """The invoice a message is the stamped e-mail of (its key: type, document, ...)."""
    parts = _key(message).split(":")
    return parts[1] if len(parts) > 1 and parts[0] == INVOICE_STAMPED else None


def _wait_delivered(sink: MailSink, invoice_ids: set[str]) -> dict[str, list[KeptMessage]]:
    """Each stamped invoice's e-mails, once every one has arrived (or the deadline)."""
    deadline = time.monotonic() + RECOVERY_DEADLINE_S
    while True:
        by_invoice: dict[str, list[KeptMessage]] = defaultdict(list)
        for message in sink.messages():
            invoice_id = _invoice_of(message)
            if invoice_id is not None:
                by_invoice[invoice_id].append(message)
        if invoice_ids <= set(by_invoice) or time.monotonic() > deadline:
            return by_invoice
        time.sleep(POLL_S)


def _wait_none_pending(client: Client) -> list[dict[str, Any]]:
    """Wait until the log has no message left to send; what is still pending at the
    deadline."""
    deadline = time.monotonic() + RECOVERY_DEADLINE_S
    while True:
        body = client.json("GET", SERVICE, "/notifications", params={"status": "pending"})
        items: list[dict[str, Any]] = body["items"]
        if not items or time.monotonic() > deadline:
            return items
        time.sleep(POLL_S)


def _count(
    out: Outcome,
    messages: list[KeptMessage],
    stamped: list[dict[str, Any]],
    delivered: dict[str, list[KeptMessage]],
) -> None:
    for invoice in stamped:
        got = delivered.get(invoice["invoice_id"], [])
        if not got:
            out.lose(1, f"invoice {invoice['number']}: no e-mail reached the server")
            continue
        names = {name for message in got for name, _ in message.attachments}
        number = invoice["number"]
        out.check(
            {f"{number}.pdf", f"{number}.xml"} <= names,
            f"invoice {number}: attachments {sorted(names)}, not its PDF and XML",
        )
    keys = Counter(_key(message) for message in messages if _key(message))
    ids = Counter(message.message_id for message in messages)
    for key, times in keys.items():
        if times > 1:
            same_id = {m.message_id for m in messages if _key(m) == key}
            how = "the same Message-ID (in doubt)" if len(same_id) == 1 else "new Message-IDs"
            out.double(times - 1, f"{key} reached the server {times} times, {how}")
    unkeyed = sum(1 for message in messages if not _key(message))
    out.check(unkeyed == 0, f"{unkeyed} messages without an idempotency key")
    mailed = sum(1 for invoice in stamped if delivered.get(invoice["invoice_id"]))
    out.notes.append(
        f"{len(messages)} messages kept ({len(ids)} Message-IDs); "
        f"{mailed} of {len(stamped)} stamped invoices e-mailed"
    )
