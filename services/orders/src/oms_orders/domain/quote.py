"""Quotes (orcamento / cotizacion / oferta): drafted, revised, sent, then accepted (which
places an order), rejected or expired."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from oms_kit.domain import Conflict, InvalidInput

from oms_orders.domain.pricing import totals

DRAFT, SENT, ACCEPTED, REJECTED, EXPIRED = "draft", "sent", "accepted", "rejected", "expired"
#: States in which a quote can still change.
OPEN = frozenset({DRAFT, SENT})

#: Kinds of a quote's attachments: its proposal PDF (made, not kept), the contract the
#: back office attaches, its copy signed by the customer, anything else.
PROPOSAL, CONTRACT, SIGNED_CONTRACT, OTHER = "proposal", "contract", "signed_contract", "other"
#: What the back office may upload.
UPLOADED_KINDS = (CONTRACT, OTHER)

#: The name the signed contract is given, in the customer's language (seed 001: "Contrato
#: Assinado"); the uploaded file's extension is kept.
SIGNED_CONTRACT_NAMES = {
    "pt": "Contrato Assinado",
    "es": "Contrato Firmado",
    "pl": "Podpisana umowa",
    "en": "Signed contract",
    "de": "Unterschriebener Vertrag",
}


def signed_contract_name(language: str, uploaded_name: str) -> str:
    """ "Contrato Assinado.pdf" for a Portuguese customer's "scan 12.PDF"."""
    stem = SIGNED_CONTRACT_NAMES.get(language, SIGNED_CONTRACT_NAMES["en"])
    _, dot, extension = uploaded_name.rpartition(".")
    return f"{stem}.{extension.lower()}" if dot and extension and "/" not in extension else stem


class Quote(Aggregate):
    # Events (their names are part of the stored events' topics: never rename one) ------

    class QuoteCreated(Aggregate.Created):
        customer_id: str
        currency: str
        lines: list[dict[str, Any]]
        net_total: Decimal
        tax_total: Decimal
        total: Decimal
        valid_until: str | None
        duplicated_from: str | None = None

    class QuoteRevised(Aggregate.Event):
        revision: int
        lines: list[dict[str, Any]]
        net_total: Decimal
        tax_total: Decimal
        total: Decimal

    class QuoteSent(Aggregate.Event):
        customer_id: str
        email: str

    class QuoteAccepted(Aggregate.Event):
        order_id: str

    class QuoteRejected(Aggregate.Event):
        reason: str | None

    class QuoteExpired(Aggregate.Event):
        pass

    class AttachmentAdded(Aggregate.Event):
        """A file the back office attached; the bytes are kept apart (the attachments
        table), the event only says what it is."""

        attachment_id: str
        kind: str
        name: str
        content_type: str
        size: int
        uploaded_at: datetime
        uploaded_by: str | None

    class ContractAttached(AttachmentAdded):
        """The sales contract: the customer must sign it before approving."""

    class ContractSigned(AttachmentAdded):
        """The customer's signed copy of the contract."""

    class QuoteApproved(Aggregate.Event):
        """The customer approved the proposal: its order awaits invoicing (APR)."""

        order_id: str
        approved_by: str | None

    @event(QuoteCreated)
    def __init__(
        self,
        customer_id: str,
        currency: str,
        lines: list[dict[str, Any]],
        net_total: Decimal,
        tax_total: Decimal,
        total: Decimal,
        valid_until: str | None,
        duplicated_from: str | None = None,
    ) -> None:
        self.customer_id = customer_id
        self.currency = currency
        self.lines = [dict(line) for line in lines]
        self.net_total = net_total
        self.tax_total = tax_total
        self.total = total
        self.valid_until = valid_until
        self.duplicated_from = duplicated_from
        self.revision = 1
        self.status = DRAFT
        self.order_id: str | None = None
        self.status_reason: str | None = None
        self.attachments: list[dict[str, Any]] = []
        self.approved_by: str | None = None

    @classmethod
    def draft(
        cls,
        customer_id: str,
        currency: str,
        lines: list[dict[str, Any]],
        valid_until: date | None,
        today: date,
        duplicated_from: str | None = None,
        quote_id: UUID | None = None,
    ) -> Quote:
        """A new draft of priced ``lines``. ``quote_id`` fixes its id (an idempotent
        request); random otherwise."""
        if not lines:
            raise InvalidInput("a quote needs at least one line", field="lines")
        if valid_until is not None and valid_until < today:
            raise InvalidInput("valid_until is in the past", field="valid_until")
        amounts = totals(lines)
        return cls._create(
            cls.QuoteCreated,
            id=quote_id or cls.create_id(),
            customer_id=customer_id,
            currency=currency,
            lines=lines,
            net_total=amounts.net,
            tax_total=amounts.tax,
            total=amounts.total,
            valid_until=valid_until.isoformat() if valid_until else None,
            duplicated_from=duplicated_from,
        )

    @property
    def quote_id(self) -> str:
        return str(self.id)

    def is_past_validity(self, today: date) -> bool:
        return self.valid_until is not None and date.fromisoformat(self.valid_until) < today

    def _require_open(self, action: str) -> None:
        if self.status not in OPEN:
            raise Conflict(f"quote is {self.status} and cannot be {action}", field="status")

    def revise(self, lines: list[dict[str, Any]]) -> None:
        self._require_open("revised")
        if not lines:
            raise InvalidInput("a quote needs at least one line", field="lines")
        amounts = totals(lines)
        self._revise(
            revision=self.revision + 1,
            lines=lines,
            net_total=amounts.net,
            tax_total=amounts.tax,
            total=amounts.total,
        )

    def send(self, email: str) -> None:
        self._require_open("sent")
        self._send(customer_id=self.customer_id, email=email)

    def accept(self, order_id: str) -> None:
        self._require_open("accepted")
        self._accept(order_id=order_id)

    @property
    def awaits_signed_contract(self) -> bool:
        """A contract is attached and the customer has not uploaded its signed copy."""
        kinds = {attachment["kind"] for attachment in self.attachments}
        return CONTRACT in kinds and SIGNED_CONTRACT not in kinds

    def attach(
        self,
        attachment_id: str,
        kind: str,
        name: str,
        content_type: str,
        size: int,
        uploaded_at: datetime,
        uploaded_by: str | None,
    ) -> None:
        """Attach a contract or another file (the back office's)."""
        if kind not in UPLOADED_KINDS:
            raise InvalidInput(f"kind must be one of {', '.join(UPLOADED_KINDS)}", field="kind")
        self._require_open("given attachments")
        attached = self._attach_contract if kind == CONTRACT else self._attach
        attached(
            attachment_id=attachment_id,
            kind=kind,
            name=name,
            content_type=content_type,
            size=size,
            uploaded_at=uploaded_at,
            uploaded_by=uploaded_by,
        )

    def sign_contract(
        self,
        attachment_id: str,
        name: str,
        content_type: str,
        size: int,
        uploaded_at: datetime,
        uploaded_by: str | None,
    ) -> None:
        """The customer's signed copy of the attached contract (a new copy replaces the
        last one as the one that counts; both stay listed)."""
        self._require_open("signed")
        if not any(attachment["kind"] == CONTRACT for attachment in self.attachments):
            raise Conflict("the quote has no contract to sign", field="contract")
        self._sign_contract(
            attachment_id=attachment_id,
            kind=SIGNED_CONTRACT,
            name=name,
            content_type=content_type,
            size=size,
            uploaded_at=uploaded_at,
            uploaded_by=uploaded_by,
        )

    def approve(self, order_id: str, approved_by: str | None) -> None:
        """The customer approves the sent proposal: once he has uploaded the signed
        contract, when one is attached."""
        if self.status != SENT:
            raise Conflict(
                f"quote is {self.status}; only a sent quote can be approved", field="status"
            )
        if self.awaits_signed_contract:
            raise Conflict(
                "the signed contract is missing: upload it (POST /quotes/{id}/signed-contract) "
                "before approving",
                field="signed_contract",
            )
        self._approve(order_id=order_id, approved_by=approved_by)

    def reject(self, reason: str | None) -> None:
        self._require_open("rejected")
        self._reject(reason=reason)

    def expire(self) -> None:
        self._require_open("expired")
        self._expire()

    @event(QuoteRevised)
    def _revise(
        self,
        revision: int,
        lines: list[dict[str, Any]],
        net_total: Decimal,
        tax_total: Decimal,
        total: Decimal,
    ) -> None:
        self.revision = revision
        self.lines = [dict(line) for line in lines]
        self.net_total = net_total
        self.tax_total = tax_total
        self.total = total
        self.status = DRAFT

    @event(QuoteSent)
    def _send(self, customer_id: str, email: str) -> None:
        self.status = SENT

    @event(QuoteAccepted)
    def _accept(self, order_id: str) -> None:
        self.order_id = order_id
        self.status = ACCEPTED

    @event(QuoteRejected)
    def _reject(self, reason: str | None) -> None:
        self.status = REJECTED
        self.status_reason = reason

    @event(QuoteExpired)
    def _expire(self) -> None:
        self.status = EXPIRED

    @event(AttachmentAdded)
    def _attach(
        self,
        attachment_id: str,
        kind: str,
        name: str,
        content_type: str,
        size: int,
        uploaded_at: datetime,
        uploaded_by: str | None,
    ) -> None:
        self._add_attachment(
            attachment_id, kind, name, content_type, size, uploaded_at, uploaded_by
        )

    @event(ContractAttached)
    def _attach_contract(
        self,
        attachment_id: str,
        kind: str,
        name: str,
        content_type: str,
        size: int,
        uploaded_at: datetime,
        uploaded_by: str | None,
    ) -> None:
        self._add_attachment(
            attachment_id, kind, name, content_type, size, uploaded_at, uploaded_by
        )

    @event(ContractSigned)
    def _sign_contract(
        self,
        attachment_id: str,
        kind: str,
        name: str,
        content_type: str,
        size: int,
        uploaded_at: datetime,
        uploaded_by: str | None,
    ) -> None:
        self._add_attachment(
            attachment_id, kind, name, content_type, size, uploaded_at, uploaded_by
        )

    @event(QuoteApproved)
    def _approve(self, order_id: str, approved_by: str | None) -> None:
        self.order_id = order_id
        self.approved_by = approved_by
        self.status = ACCEPTED

    def _add_attachment(
        self,
        attachment_id: str,
        kind: str,
        name: str,
        content_type: str,
        size: int,
        uploaded_at: datetime,
        uploaded_by: str | None,
    ) -> None:
        self.attachments.append(
            {
                "attachment_id": attachment_id,
                "kind": kind,
                "name": name,
                "content_type": content_type,
                "size": size,
                "uploaded_at": uploaded_at,
                "uploaded_by": uploaded_by,
            }
        )
