"""Stamping (CFDI "timbrado", NF-e): the port to the tax authority's provider, and the
loop that retries failed stampings with backoff."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable
from uuid import UUID

from oms_kit.paging import Page, PageRequest

if TYPE_CHECKING:
    from oms_billing.application import BillingApplication

log = logging.getLogger(__name__)

#: Failed stampings read from the read model at a time.
PASS_PAGE = 100


@dataclass(frozen=True)
class Stamp:
    """The provider's seal on an invoice document: its folio UUID, time and signature."""

    uuid: str
    stamped_at: datetime
    signature: str
    provider: str
    #: The stamped document, when the provider adds its stamp to it (a CFDI's
    #: TimbreFiscalDigital); None: the document as sent, the stamp kept beside it.
    document: bytes | None = None


class StampingFailed(Exception):
    """The provider could not stamp the document now; it may be tried again later."""


class StampingProvider(Protocol):
    def stamp(self, invoice_xml: bytes) -> Stamp:
        """Stamp the invoice document; raise StampingFailed when it cannot."""
        ...


@runtime_checkable
class CancellingProvider(Protocol):
    """A provider that also cancels what it stamped (a CFDI's cancellation at the PAC)."""

    def stamp(self, invoice_xml: bytes) -> Stamp: ...

    def cancel(self, stamp_uuid: str, reason: str) -> None:
        """Cancel the stamped document ``stamp_uuid``; StampingFailed when it cannot."""
        ...


class StampingRetrier:
    """Tries failed stampings again until they succeed. ``failed`` pages through the
    invoices whose stamping failed (a read model, which may lag: each invoice is reloaded
    and its own backoff checked before a new attempt)."""

    def __init__(
        self,
        app: BillingApplication,
        failed: Callable[[PageRequest], Page[UUID]],
        poll_interval: float = 1.0,
    ) -> None:
        self.app = app
        self.failed = failed
        self.poll_interval = poll_interval

    def retry_due(self) -> int:
        """One pass: try every failed stamping whose backoff has passed; returns how many
        were stamped."""
        stamped = 0
        page = self.failed(PageRequest(limit=PASS_PAGE))
        while True:
            for invoice_id in page.items:
                try:
                    if self.app.retry_stamping(invoice_id):
                        stamped += 1
                except Exception:
                    log.exception("stamping retry of invoice %s failed", invoice_id)
            if page.next_cursor is None:
                return stamped
            page = self.failed(PageRequest(limit=PASS_PAGE, cursor=page.next_cursor))

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.retry_due()
            except Exception:
                log.exception("stamping retry pass failed")
            stop.wait(self.poll_interval)
