"""Sales orders: placement with the credit check, approval, cancellation, and the status
that follows stock, shipments, invoices and payments.

Every event of an order carries the order's status after it (``status``,
``status_reason``; the events after the first are ``Order.StatusEvent``s), so read models
and the history need no knowledge of the rules."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from oms_kit.domain import Conflict, InvalidInput, NotFound

from oms_orders.domain.customer import Customer
from oms_orders.domain.errors import CreditLimitExceeded
from oms_orders.domain.pricing import ZERO, cents, totals

PENDING_APPROVAL = "pending_approval"
#: APR: the customer approved the proposal; the back office must release the order.
AWAITING_INVOICING = "awaiting_invoicing"
CONFIRMED = "confirmed"
PARTIALLY_SHIPPED = "partially_shipped"
SHIPPED = "shipped"
PARTIALLY_INVOICED = "partially_invoiced"
INVOICED = "invoiced"
PAID = "paid"
COMPLETED = "completed"
CANCELLED = "cancelled"
ON_HOLD = "on_hold"

#: Where an order can come from; the first is the default.
ORIGINS = ("backoffice", "rep", "portal", "marketplace", "partner", "quote")
#: Origins whose orders wait for the back office's approval.
NEEDS_APPROVAL = frozenset({"rep", "portal", "marketplace", "partner"})
#: States the order's progress does not move it out of.
EXPLICIT = frozenset({PENDING_APPROVAL, AWAITING_INVOICING, ON_HOLD, CANCELLED, COMPLETED})
#: States the back office releases an order from.
RELEASABLE = (PENDING_APPROVAL, AWAITING_INVOICING, ON_HOLD)

#: ``stock_status`` (DESIGN section 4): released and inventory has not answered yet; all
#: lines reserved; a shortage (the order is on hold); cancelled after release (inventory
#: gives the reservation back). None before release.
STOCK_PENDING, STOCK_RESERVED, STOCK_SHORT, STOCK_RELEASED = (
    "pending",
    "reserved",
    "short",
    "released",
)

#: An invoice's status as the order knows it: issued, paid in full, cancelled by billing
#: (it counts no more), or credited in full by credit notes.
ISSUED, PAID_INVOICE, CANCELLED_INVOICE, CREDITED_INVOICE = (
    "issued",
    "paid",
    "cancelled",
    "credited",
)
#: Invoices whose amount nobody owes any more (with payments, what they settle).
SETTLED_INVOICES = frozenset({PAID_INVOICE, CREDITED_INVOICE})


class Order(Aggregate):
    # Events (their names are part of the stored events' topics: never rename one) ------

    class OrderPlaced(Aggregate.Created):
        customer_id: str
        origin: str
        currency: str
        lines: list[dict[str, Any]]
        net_total: Decimal
        tax_total: Decimal
        total: Decimal
        payment_terms_days: list[int]
        status: str
        status_reason: str | None
        quote_id: str | None = None
        #: When the customer expects the goods (ISO date), if the order says.
        expected_delivery_date: str | None = None
        sales_rep_id: str | None = None
        #: The order's id where it came from (a marketplace, a partner), if anywhere.
        external_order_id: str | None = None
        #: Where a marketplace or partner order was sold ("amazon:<marketplace id>",
        #: "partner:<partner id>"), its buyer and ship-to address, and a partner's note.
        channel: str | None = None
        buyer: dict[str, Any] | None = None
        ship_to: dict[str, Any] | None = None
        note: str | None = None

    class StatusEvent(Aggregate.Event):
        """An order's event after the first: each carries the status after it."""

        status: str
        status_reason: str | None

    class OrderPutOnHold(StatusEvent):
        reason: str | None

    class OrderApproved(StatusEvent):
        approved_by: str | None

    class OrderConfirmed(StatusEvent):
        customer_id: str
        currency: str
        lines: list[dict[str, Any]]
        total: Decimal
        payment_terms_days: list[int]
        expected_delivery_date: str | None = None
        #: The customer's invoicing choice when the order was released (per_goods_issue or
        #: on_demand): billing invoices the order's goods issues by it. None: stored before.
        invoicing: str | None = None

    class OrderCancelled(StatusEvent):
        reason: str

    class StockReserved(StatusEvent):
        allocations: list[dict[str, Any]]

    class StockShortageReported(StatusEvent):
        sku: str
        requested: Decimal
        available: Decimal

    class ShipmentRecorded(StatusEvent):
        goods_issue_id: str
        lines: list[dict[str, Any]]

    class ShipmentBooked(StatusEvent):
        """A courier took a goods issue's parcels: its tracking number."""

        goods_issue_id: str
        shipment_id: str
        carrier: str
        service: str | None
        tracking_number: str

    class InvoiceRecorded(StatusEvent):
        invoice_id: str
        number: str
        total: Decimal

    class InstallmentsRecorded(StatusEvent):
        """Billing opened the receivable of one of its invoices: when it falls due."""

        receivable_id: str
        #: ``{number, due_on (ISO date), amount}`` each.
        installments: list[dict[str, Any]]

    class InvoiceStamped(StatusEvent):
        invoice_id: str
        stamp_uuid: str
        stamped_at: datetime

    class PaymentRecorded(StatusEvent):
        payment_id: str
        invoice_id: str
        amount: Decimal

    class InvoicePaid(StatusEvent):
        invoice_id: str

    class InvoiceCancelled(StatusEvent):
        """Billing cancelled one of the order's invoices: it no longer counts as invoiced."""

        invoice_id: str
        reason: str

    class CreditNoteRecorded(StatusEvent):
        """Billing credited one of the order's invoices (``total``, tax included), of which
        ``applied`` came off what was open of it (the rest is owed back to the customer)."""

        credit_note_id: str
        invoice_id: str
        number: str
        total: Decimal
        applied: Decimal

    class OrderCompleted(StatusEvent):
        completed_at: datetime

    class OrderStatusChanged(StatusEvent):
        """Follows every event that changed the status or its reason (and the placement):
        one event to follow for whoever only wants the status."""

        previous_status: str | None

    @event(OrderPlaced)
    def __init__(
        self,
        customer_id: str,
        origin: str,
        currency: str,
        lines: list[dict[str, Any]],
        net_total: Decimal,
        tax_total: Decimal,
        total: Decimal,
        payment_terms_days: list[int],
        status: str,
        status_reason: str | None,
        quote_id: str | None = None,
        expected_delivery_date: str | None = None,
        sales_rep_id: str | None = None,
        external_order_id: str | None = None,
        channel: str | None = None,
        buyer: dict[str, Any] | None = None,
        ship_to: dict[str, Any] | None = None,
        note: str | None = None,
    ) -> None:
        self.customer_id = customer_id
        self.origin = origin
        self.currency = currency
        self.lines = [dict(line) for line in lines]
        self.net_total = net_total
        self.tax_total = tax_total
        self.total = total
        self.payment_terms_days = list(payment_terms_days)
        self.quote_id = quote_id
        self.expected_delivery_date = expected_delivery_date
        self.sales_rep_id = sales_rep_id
        self.external_order_id = external_order_id
        self.channel = channel
        self.buyer = buyer
        self.ship_to = ship_to
        self.note = note
        self.status = status
        self.status_reason = status_reason
        self.reservations: list[dict[str, Any]] = []
        self.shipments: list[dict[str, Any]] = []
        #: goods issue id -> {shipment_id, carrier, service, tracking_number}, as heard
        #: from inventory (possibly before the goods issue itself).
        self.trackings: dict[str, dict[str, Any]] = {}
        self.invoices: list[dict[str, Any]] = []
        self.payments: list[dict[str, Any]] = []
        #: ``{credit_note_id, invoice_id, number, total, applied}`` each.
        self.credit_notes: list[dict[str, Any]] = []
        #: The receivables' installments: ``{receivable_id, number, due_on, amount}``.
        self.installments: list[dict[str, Any]] = []
        self.approved_by: str | None = None
        self.completed_at: datetime | None = None
        self.stock_status: str | None = None

    # Commands -----------------------------------------------------------------------------

    @classmethod
    def place(
        cls,
        customer: Customer,
        lines: list[dict[str, Any]],
        origin: str = "backoffice",
        quote_id: str | None = None,
        order_id: UUID | None = None,
        expected_delivery_date: str | None = None,
        external_order_id: str | None = None,
        channel: str | None = None,
        buyer: dict[str, Any] | None = None,
        ship_to: dict[str, Any] | None = None,
        note: str | None = None,
        approved_by_customer: bool = False,
    ) -> Order:
        """Place an order of priced ``lines`` for ``customer``: confirmed at once, waiting
        for approval (by its origin), or on hold when it passes the credit limit. An order
        that passes the credit check commits its total on ``customer`` (save both).
        ``order_id`` fixes the new order's id (an idempotent request); random otherwise.
        A marketplace's or partner's order names where it came from (``external_order_id``,
        ``channel``) and may carry its buyer, ship-to address and note."""
        if origin not in ORIGINS:
            raise InvalidInput(f"origin must be one of {', '.join(ORIGINS)}", field="origin")
        if not lines:
            raise InvalidInput("an order needs at least one line", field="lines")
        amounts = totals(lines)
        problem = customer.credit_problem(amounts.total)
        if problem:
            status, reason = ON_HOLD, problem
        elif approved_by_customer:  # the customer approved the proposal (APR)
            status, reason = AWAITING_INVOICING, None
        elif origin in NEEDS_APPROVAL:
            status, reason = PENDING_APPROVAL, None
        else:
            status, reason = CONFIRMED, None
        order = cls._create(
            cls.OrderPlaced,
            id=order_id or cls.create_id(),
            customer_id=customer.customer_id,
            origin=origin,
            currency=customer.currency,
            lines=lines,
            net_total=amounts.net,
            tax_total=amounts.tax,
            total=amounts.total,
            payment_terms_days=customer.payment_terms_days,
            status=status,
            status_reason=reason,
            quote_id=quote_id,
            expected_delivery_date=expected_delivery_date,
            sales_rep_id=customer.sales_rep_id,
            external_order_id=external_order_id,
            channel=channel,
            buyer=buyer,
            ship_to=ship_to,
            note=note,
        )
        if status == ON_HOLD:
            order._put_on_hold(reason=reason, status=ON_HOLD, status_reason=reason)
        else:
            customer.commit_credit(order.order_id, order.total)
        if status == CONFIRMED:
            order._confirm_now(customer)
        order._change_status(
            previous_status=None, status=order.status, status_reason=order.status_reason
        )
        return order

    def approve(self, customer: Customer, approved_by: str | None) -> None:
        """Release an order waiting for approval or invoicing, or on hold, if the credit
        allows it (its own amount, committed at placement, is not counted twice); its
        total stays committed on ``customer`` (save both)."""
        if self.status not in RELEASABLE:
            raise Conflict(
                f"order is {self.status}; only {', '.join(RELEASABLE)} orders can be approved",
                field="status",
            )
        problem = customer.credit_problem(self.total, self.order_id)
        if problem:
            raise CreditLimitExceeded(problem)
        customer.commit_credit(self.order_id, self.total)
        status = self._released_status()
        self._approve(approved_by=approved_by, status=status, status_reason=None)
        self._confirm_now(customer)

    def cancel(self, reason: str, customer: Customer) -> None:
        """Cancel the order; possible until an invoice exists. Its amount no longer
        counts against ``customer``'s credit (save both)."""
        if self.status in (CANCELLED, COMPLETED):
            raise Conflict(f"order is {self.status} and cannot be cancelled", field="status")
        if self.invoices:
            raise Conflict("order has invoices and can no longer be cancelled", field="status")
        customer.release_credit(self.order_id)
        self._cancel(reason=reason, status=CANCELLED, status_reason=f"cancelled: {reason}")

    def can_be_cancelled_by_marketplace(self) -> bool:
        """A buyer's cancellation on the marketplace cancels the order until goods have
        left or it is invoiced; after that the cancellation is only reported."""
        return self.status not in (CANCELLED, COMPLETED) and not (self.shipments or self.invoices)

    # Facts learnt from inventory and billing ---------------------------------------------

    def record_reservation(self, allocations: list[dict[str, Any]]) -> None:
        """Stock was reserved; an order on hold for a shortage is released again (a
        receipt gave inventory what it missed)."""
        status, reason = self.status, self.status_reason
        if self.status == ON_HOLD and self.stock_status == STOCK_SHORT:
            status, reason = self._released_status(), None
        self._record_reservation(allocations=allocations, status=status, status_reason=reason)

    def report_shortage(self, sku: str, requested: Decimal, available: Decimal) -> None:
        if self.status in (CANCELLED, COMPLETED):
            return
        reason = f"stock shortage: {sku} requested {requested}, available {available}"
        if self.status == ON_HOLD and self.status_reason == reason:
            return
        self._report_shortage(
            sku=sku, requested=requested, available=available, status=ON_HOLD, status_reason=reason
        )

    def record_shipment(self, goods_issue_id: str, lines: list[dict[str, Any]]) -> None:
        if any(s["goods_issue_id"] == goods_issue_id for s in self.shipments):
            return
        shipment = {"goods_issue_id": goods_issue_id, "lines": [dict(x) for x in lines]}
        status, reason = self._next(shipments=[*self.shipments, shipment])
        self._record_shipment(
            goods_issue_id=goods_issue_id, lines=lines, status=status, status_reason=reason
        )
        self._complete_if_done()

    def record_tracking(
        self,
        goods_issue_id: str,
        shipment_id: str,
        carrier: str,
        service: str | None,
        tracking_number: str,
    ) -> None:
        if goods_issue_id in self.trackings:
            return
        self._book_shipment(
            goods_issue_id=goods_issue_id,
            shipment_id=shipment_id,
            carrier=carrier,
            service=service,
            tracking_number=tracking_number,
            status=self.status,
            status_reason=self.status_reason,
        )

    def shipments_with_tracking(self) -> list[dict[str, Any]]:
        """The goods issues shipped, each with its courier's tracking number once heard."""
        return [
            {
                **shipment,
                "tracking_number": None,
                "carrier": None,
                **self.trackings.get(shipment["goods_issue_id"], {}),
            }
            for shipment in self.shipments
        ]

    def record_invoice(self, invoice_id: str, number: str, total: Decimal) -> None:
        if self._invoice(invoice_id) is not None:
            return
        invoice = _new_invoice(invoice_id, number, total)
        status, reason = self._next(invoices=[*self.invoices, invoice])
        self._record_invoice(
            invoice_id=invoice_id, number=number, total=total, status=status, status_reason=reason
        )
        self._complete_if_done()

    def record_installments(self, receivable_id: str, installments: list[dict[str, Any]]) -> None:
        """The due dates of a receivable of the order (once per receivable)."""
        if any(i["receivable_id"] == receivable_id for i in self.installments):
            return
        self._record_installments(
            receivable_id=receivable_id,
            installments=installments,
            status=self.status,
            status_reason=self.status_reason,
        )

    def record_stamp(self, invoice_id: str, stamp_uuid: str, stamped_at: datetime) -> None:
        invoice = self._invoice(invoice_id)
        if invoice is None:
            raise NotFound(f"order {self.id} has no invoice {invoice_id} to stamp", "invoice_id")
        if invoice["stamp"] is not None:
            return
        self._record_stamp(
            invoice_id=invoice_id,
            stamp_uuid=stamp_uuid,
            stamped_at=stamped_at,
            status=self.status,
            status_reason=self.status_reason,
        )

    def record_payment(self, payment_id: str, invoice_id: str, amount: Decimal) -> None:
        if any(p["payment_id"] == payment_id for p in self.payments):
            return
        payment = {"payment_id": payment_id, "invoice_id": invoice_id, "amount": amount}
        status, reason = self._next(payments=[*self.payments, payment])
        self._record_payment(
            payment_id=payment_id,
            invoice_id=invoice_id,
            amount=amount,
            status=status,
            status_reason=reason,
        )
        self._complete_if_done()

    def mark_invoice_paid(self, invoice_id: str) -> None:
        invoice = self._invoice(invoice_id)
        if invoice is None:
            raise NotFound(
                f"order {self.id} has no invoice {invoice_id} to mark paid", "invoice_id"
            )
        if invoice["status"] != ISSUED:
            return
        changed = [
            {**i, "status": PAID_INVOICE} if i["invoice_id"] == invoice_id else i
            for i in self.invoices
        ]
        status, reason = self._next(invoices=changed)
        self._mark_invoice_paid(invoice_id=invoice_id, status=status, status_reason=reason)
        self._complete_if_done()

    def record_invoice_cancellation(self, invoice_id: str, reason: str) -> Decimal | None:
        """Billing cancelled the invoice: it counts no more (the order goes back to what its
        shipments say). What was open of it, or None for a repeat."""
        invoice = self._invoice(invoice_id)
        if invoice is None:
            raise NotFound(f"order {self.id} has no invoice {invoice_id} to cancel", "invoice_id")
        if invoice["status"] == CANCELLED_INVOICE:
            return None
        was_open = self.invoice_open(invoice_id)
        changed = [
            {**i, "status": CANCELLED_INVOICE} if i["invoice_id"] == invoice_id else i
            for i in self.invoices
        ]
        status, reason_after = self._next(invoices=changed)
        self._cancel_invoice(
            invoice_id=invoice_id, reason=reason, status=status, status_reason=reason_after
        )
        return was_open

    def record_credit_note(
        self, credit_note_id: str, invoice_id: str, number: str, total: Decimal
    ) -> Decimal | None:
        """Billing credited the invoice: ``total`` comes off what is open of it (never
        below zero, as billing does); credited in full, the invoice is settled. What came
        off the open amount, or None for a repeat."""
        invoice = self._invoice(invoice_id)
        if invoice is None:
            raise NotFound(f"order {self.id} has no invoice {invoice_id} to credit", "invoice_id")
        if any(n["credit_note_id"] == credit_note_id for n in self.credit_notes):
            return None
        applied = min(cents(total), max(self.invoice_open(invoice_id), ZERO))
        note: dict[str, Any] = {
            "credit_note_id": credit_note_id,
            "invoice_id": invoice_id,
            "number": number,
            "total": cents(total),
            "applied": applied,
        }
        notes = [*self.credit_notes, note]
        invoices = [
            {**i, "status": CREDITED_INVOICE}
            if i["invoice_id"] == invoice_id and _credited(notes, invoice_id) >= i["total"]
            else i
            for i in self.invoices
        ]
        status, reason = self._next(invoices=invoices, credit_notes=notes)
        self._record_credit_note(**note, status=status, status_reason=reason)
        self._complete_if_done()
        return applied

    # Queries ------------------------------------------------------------------------------

    @property
    def order_id(self) -> str:
        return str(self.id)

    @property
    def paid_amount(self) -> Decimal:
        return sum((Decimal(p["amount"]) for p in self.payments), ZERO)

    @property
    def invoiced_amount(self) -> Decimal:
        """What the invoices not cancelled ask for (before credit notes)."""
        return sum(
            (Decimal(i["total"]) for i in self.invoices if i["status"] != CANCELLED_INVOICE), ZERO
        )

    @property
    def credited_amount(self) -> Decimal:
        return sum((Decimal(n["total"]) for n in self.credit_notes), ZERO)

    def invoice_open(self, invoice_id: str) -> Decimal:
        """What is still owed of the invoice: its total less its payments and what its
        credit notes took off (nothing once cancelled)."""
        invoice = self._invoice(invoice_id)
        if invoice is None or invoice["status"] == CANCELLED_INVOICE:
            return ZERO
        paid = sum(
            (Decimal(p["amount"]) for p in self.payments if p["invoice_id"] == invoice_id), ZERO
        )
        applied = sum(
            (Decimal(n["applied"]) for n in self.credit_notes if n["invoice_id"] == invoice_id),
            ZERO,
        )
        return cents(Decimal(invoice["total"]) - paid - applied)

    def progress(
        self,
        *,
        shipments: list[dict[str, Any]] | None = None,
        invoices: list[dict[str, Any]] | None = None,
        payments: list[dict[str, Any]] | None = None,
        credit_notes: list[dict[str, Any]] | None = None,
    ) -> str:
        """The status a released order has by its shipments, invoices (a cancelled one
        counts no more), payments and credit notes (what they took off counts as paid)."""
        shipments = self.shipments if shipments is None else shipments
        invoices = self.invoices if invoices is None else invoices
        invoices = [i for i in invoices if i["status"] != CANCELLED_INVOICE]
        payments = self.payments if payments is None else payments
        credit_notes = self.credit_notes if credit_notes is None else credit_notes
        ordered: dict[str, Decimal] = defaultdict(Decimal)
        for line in self.lines:
            ordered[line["sku"]] += Decimal(line["quantity"])
        shipped: dict[str, Decimal] = defaultdict(Decimal)
        for shipment in shipments:
            for line in shipment["lines"]:
                shipped[line["sku"]] += Decimal(line["quantity"])
        fully_shipped = bool(shipments) and all(shipped[s] >= q for s, q in ordered.items())
        invoiced = sum((Decimal(i["total"]) for i in invoices), ZERO)
        paid = sum((Decimal(p["amount"]) for p in payments), ZERO)
        paid += sum((Decimal(n["applied"]) for n in credit_notes), ZERO)
        fully_invoiced = bool(invoices) and invoiced >= self.total
        fully_paid = fully_invoiced and (
            paid >= invoiced or all(i["status"] in SETTLED_INVOICES for i in invoices)
        )
        if fully_paid:
            return COMPLETED if fully_shipped else PAID
        if fully_invoiced:
            return INVOICED
        if invoices:
            return PARTIALLY_INVOICED
        if fully_shipped:
            return SHIPPED
        return PARTIALLY_SHIPPED if shipments else CONFIRMED

    # Internals ----------------------------------------------------------------------------

    def _released_status(self) -> str:
        status = self.progress()
        return PAID if status == COMPLETED else status  # OrderCompleted makes it completed

    def _next(self, **changes: list[dict[str, Any]]) -> tuple[str, str | None]:
        """The status after a change; explicit states stay as they are."""
        if self.status in EXPLICIT:
            return self.status, self.status_reason
        status = self.progress(**changes)
        return (PAID if status == COMPLETED else status), None

    def _confirm_now(self, customer: Customer) -> None:
        self._confirm(
            customer_id=self.customer_id,
            currency=self.currency,
            lines=self.lines,
            total=self.total,
            payment_terms_days=customer.payment_terms_days,
            status=self.status,
            status_reason=None,
            expected_delivery_date=self.expected_delivery_date,
            invoicing=customer.invoicing,
        )

    def _complete_if_done(self) -> None:
        if self.status not in EXPLICIT and self.progress() == COMPLETED:
            self._complete(completed_at=datetime.now(UTC), status=COMPLETED, status_reason=None)

    def _invoice(self, invoice_id: str) -> dict[str, Any] | None:
        return next((i for i in self.invoices if i["invoice_id"] == invoice_id), None)

    def _set_status(self, status: str, status_reason: str | None) -> None:
        self.status = status
        self.status_reason = status_reason

    def trigger_event(self, event_class: type[Any], **kwargs: Any) -> None:
        """Every event that changes the status (or its reason) is followed by an
        OrderStatusChanged, whichever command or reaction caused it, so none is
        forgotten. Only new events pass here; stored ones are replayed without it."""
        before = (self.status, self.status_reason)
        super().trigger_event(event_class, **kwargs)
        if (
            issubclass(event_class, Order.StatusEvent)
            and event_class is not Order.OrderStatusChanged
            and (self.status, self.status_reason) != before
        ):
            self._change_status(
                previous_status=before[0], status=self.status, status_reason=self.status_reason
            )

    # Event methods: the only place state changes ---------------------------------------

    @event(OrderPutOnHold)
    def _put_on_hold(self, reason: str | None, status: str, status_reason: str | None) -> None:
        self._set_status(status, status_reason)

    @event(OrderApproved)
    def _approve(self, approved_by: str | None, status: str, status_reason: str | None) -> None:
        self.approved_by = approved_by
        self._set_status(status, status_reason)

    @event(OrderConfirmed)
    def _confirm(
        self,
        customer_id: str,
        currency: str,
        lines: list[dict[str, Any]],
        total: Decimal,
        payment_terms_days: list[int],
        status: str,
        status_reason: str | None,
        expected_delivery_date: str | None = None,
        invoicing: str | None = None,
    ) -> None:
        self.payment_terms_days = list(payment_terms_days)
        self.stock_status = STOCK_PENDING
        self._set_status(status, status_reason)

    @event(OrderCancelled)
    def _cancel(self, reason: str, status: str, status_reason: str | None) -> None:
        if self.stock_status is not None:
            self.stock_status = STOCK_RELEASED
        self._set_status(status, status_reason)

    @event(StockReserved)
    def _record_reservation(
        self, allocations: list[dict[str, Any]], status: str, status_reason: str | None
    ) -> None:
        self.reservations.extend(dict(a) for a in allocations)
        self.stock_status = STOCK_RESERVED
        self._set_status(status, status_reason)

    @event(StockShortageReported)
    def _report_shortage(
        self,
        sku: str,
        requested: Decimal,
        available: Decimal,
        status: str,
        status_reason: str | None,
    ) -> None:
        self.stock_status = STOCK_SHORT
        self._set_status(status, status_reason)

    @event(ShipmentBooked)
    def _book_shipment(
        self,
        goods_issue_id: str,
        shipment_id: str,
        carrier: str,
        service: str | None,
        tracking_number: str,
        status: str,
        status_reason: str | None,
    ) -> None:
        self.trackings[goods_issue_id] = {
            "shipment_id": shipment_id,
            "carrier": carrier,
            "service": service,
            "tracking_number": tracking_number,
        }

    @event(ShipmentRecorded)
    def _record_shipment(
        self,
        goods_issue_id: str,
        lines: list[dict[str, Any]],
        status: str,
        status_reason: str | None,
    ) -> None:
        self.shipments.append({"goods_issue_id": goods_issue_id, "lines": [dict(x) for x in lines]})
        self._set_status(status, status_reason)

    @event(InvoiceRecorded)
    def _record_invoice(
        self,
        invoice_id: str,
        number: str,
        total: Decimal,
        status: str,
        status_reason: str | None,
    ) -> None:
        self.invoices.append(_new_invoice(invoice_id, number, total))
        self._set_status(status, status_reason)

    @event(InstallmentsRecorded)
    def _record_installments(
        self,
        receivable_id: str,
        installments: list[dict[str, Any]],
        status: str,
        status_reason: str | None,
    ) -> None:
        self.installments.extend(
            {"receivable_id": receivable_id, **installment} for installment in installments
        )
        self._set_status(status, status_reason)

    @event(InvoiceStamped)
    def _record_stamp(
        self,
        invoice_id: str,
        stamp_uuid: str,
        stamped_at: datetime,
        status: str,
        status_reason: str | None,
    ) -> None:
        self._replace_invoice(invoice_id, stamp={"uuid": stamp_uuid, "stamped_at": stamped_at})
        self._set_status(status, status_reason)

    @event(PaymentRecorded)
    def _record_payment(
        self,
        payment_id: str,
        invoice_id: str,
        amount: Decimal,
        status: str,
        status_reason: str | None,
    ) -> None:
        self.payments.append({"payment_id": payment_id, "invoice_id": invoice_id, "amount": amount})
        self._set_status(status, status_reason)

    @event(InvoicePaid)
    def _mark_invoice_paid(self, invoice_id: str, status: str, status_reason: str | None) -> None:
        self._replace_invoice(invoice_id, status=PAID_INVOICE)
        self._set_status(status, status_reason)

    @event(InvoiceCancelled)
    def _cancel_invoice(
        self, invoice_id: str, reason: str, status: str, status_reason: str | None
    ) -> None:
        self._replace_invoice(invoice_id, status=CANCELLED_INVOICE)
        self._set_status(status, status_reason)

    @event(CreditNoteRecorded)
    def _record_credit_note(
        self,
        credit_note_id: str,
        invoice_id: str,
        number: str,
        total: Decimal,
        applied: Decimal,
        status: str,
        status_reason: str | None,
    ) -> None:
        self.credit_notes.append(
            {
                "credit_note_id": credit_note_id,
                "invoice_id": invoice_id,
                "number": number,
                "total": total,
                "applied": applied,
            }
        )
        if _credited(self.credit_notes, invoice_id) >= Decimal(
            next(i["total"] for i in self.invoices if i["invoice_id"] == invoice_id)
        ):
            self._replace_invoice(invoice_id, status=CREDITED_INVOICE)
        self._set_status(status, status_reason)

    @event(OrderCompleted)
    def _complete(self, completed_at: datetime, status: str, status_reason: str | None) -> None:
        self.completed_at = completed_at
        self._set_status(status, status_reason)

    @event(OrderStatusChanged)
    def _change_status(
        self, previous_status: str | None, status: str, status_reason: str | None
    ) -> None:
        self._set_status(status, status_reason)

    def _replace_invoice(self, invoice_id: str, **changes: Any) -> None:
        self.invoices = [
            {**i, **changes} if i["invoice_id"] == invoice_id else i for i in self.invoices
        ]


def _credited(credit_notes: list[dict[str, Any]], invoice_id: str) -> Decimal:
    return sum((Decimal(n["total"]) for n in credit_notes if n["invoice_id"] == invoice_id), ZERO)


def _new_invoice(invoice_id: str, number: str, total: Decimal) -> dict[str, Any]:
    return {
        "invoice_id": invoice_id,
        "number": number,
        "total": cents(total),
        "status": ISSUED,
        "stamp": None,
    }
