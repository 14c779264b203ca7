"""The commissions service's use cases: one Application method per command (it saves) or
reaction to a consumed event (it returns the aggregates it changed, unsaved: the kit stores
them with the event's tracking record in one transaction).

The ledger is fed by events only: an order's placement names its rep, its confirmation
accrues, an invoice issued moves its part to invoiced, a payment received earns its share,
an order's cancellation removes what it had left to invoice."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import RecordConflictError
from oms_kit.eventstore import ServiceApplication

from oms_commissions.domain.customer import CustomerName
from oms_commissions.domain.errors import OrderNotPlaced, PlanNotFound
from oms_commissions.domain.invoice import InvoiceCommission
from oms_commissions.domain.ledger import RepLedger
from oms_commissions.domain.order import InvoicedLine, OrderCommission
from oms_commissions.domain.plan import AppliedRate, CommissionPlan, rate_without_plan

log = logging.getLogger(__name__)

#: How often a settlement is re-read and retried when a concurrent change won the race.
SETTLEMENT_CONFLICT_RETRIES = 5


class CommissionsApplication(ServiceApplication):
    name = "commissions"

    # --- commands: rates and rules --------------------------------------------------------

    def set_rate(self, sales_rep_id: str, rate_percent: Decimal) -> CommissionPlan:
        """The rep's own rate, for lines no rule covers, from now on."""
        plan = self._plan(sales_rep_id) or CommissionPlan(sales_rep_id=sales_rep_id)
        plan.set_rate(rate_percent)
        self.save(plan)
        return plan

    def add_rule(
        self,
        sales_rep_id: str,
        rate_percent: Decimal,
        customer_id: str | None = None,
        sku: str | None = None,
    ) -> str:
        """A rule for the rep's sales to a customer, of a product, or both; its id."""
        plan = self._plan(sales_rep_id) or CommissionPlan(sales_rep_id=sales_rep_id)
        rule_id = str(uuid4())
        plan.add_rule(rule_id, customer_id, sku, rate_percent)
        self.save(plan)
        return rule_id

    def get_plan(self, sales_rep_id: str) -> CommissionPlan:
        plan = self._plan(sales_rep_id)
        if plan is None:
            raise PlanNotFound(sales_rep_id)
        return plan

    def _plan(self, sales_rep_id: str) -> CommissionPlan | None:
        return self.find(CommissionPlan, CommissionPlan.create_id(sales_rep_id))

    def _rate_of(self, sales_rep_id: str) -> Any:
        plan = self._plan(sales_rep_id)

        def rate_of(sku: str, customer_id: str) -> AppliedRate:
            return plan.rate_for(sku, customer_id) if plan else rate_without_plan()

        return rate_of

    # --- command: settlement --------------------------------------------------------------

    def settle(self, sales_rep_id: str, until: str) -> RepLedger.Settled:
        """Settle what the rep earned up to ``until`` (ISO date) and has not been settled;
        two at once settle once: the second re-reads the ledger and finds nothing left
        (NothingToSettle, 409)."""
        for attempt in range(SETTLEMENT_CONFLICT_RETRIES):
            ledger = self._ledger(sales_rep_id)
            ledger.settle(str(uuid4()), until, datetime.now(UTC))
            settled = ledger.pending_events[-1]
            try:
                self.save(ledger)
            except RecordConflictError:
                if attempt == SETTLEMENT_CONFLICT_RETRIES - 1:
                    raise
                continue
            assert isinstance(settled, RepLedger.Settled)
            return settled
        raise AssertionError("unreachable")

    def _ledger(self, sales_rep_id: str) -> RepLedger:
        found = self.find(RepLedger, RepLedger.create_id(sales_rep_id))
        return found or RepLedger(sales_rep_id=sales_rep_id)

    # --- reactions: customers -------------------------------------------------------------

    def name_customer(
        self, *, customer_id: str, name: str, customer_version: int
    ) -> CustomerName | None:
        customer = self.find(CustomerName, CustomerName.create_id(customer_id))
        if customer is None:
            customer = CustomerName(customer_id=customer_id)
        return customer if customer.rename(name, customer_version) else None

    # --- reactions: orders ----------------------------------------------------------------

    def place_order(
        self,
        *,
        order_id: str,
        customer_id: str,
        sales_rep_id: str | None,
        currency: str,
        expected_delivery_date: str | None,
    ) -> OrderCommission | None:
        """Keep who the order's rep is (the customer's rep at placement)."""
        order = self._order(order_id) or OrderCommission(order_id=order_id)
        placed = order.place(customer_id, sales_rep_id, currency, expected_delivery_date)
        return order if placed else None

    def confirm_order(
        self,
        *,
        order_id: str,
        lines: list[dict[str, Any]],
        confirmed_on: str,
        expected_delivery_date: str | None = None,
    ) -> list[Aggregate]:
        """Accrue the order's commission at the rates that apply now, then price the
        invoices that arrived before the confirmation."""
        order = self._order(order_id)
        if order is None or not order.placed:
            # Placement and confirmation share a topic and a key: never in this order.
            raise OrderNotPlaced(order_id)
        if order.sales_rep_id is None:
            return []  # no rep: no commission
        if not order.accrue(
            lines, self._rate_of(order.sales_rep_id), confirmed_on, expected_delivery_date
        ):
            return []
        changed: list[Aggregate] = [order]
        ledger = self._ledger(order.sales_rep_id)
        for invoice_id in list(order.held_invoices):
            invoice = self._invoice(invoice_id)
            if invoice is not None:
                self._price(order, invoice, ledger)
                changed.append(invoice)
        if ledger.pending_events:
            changed.append(ledger)
        return changed

    def cancel_order(self, *, order_id: str, reason: str) -> OrderCommission | None:
        """Remove what the order still had to invoice (what was invoiced stays)."""
        order = self._order(order_id)
        if order is None or not order.cancel(reason):
            return None
        return order

    # --- reactions: billing ---------------------------------------------------------------

    def issue_invoice(
        self,
        *,
        invoice_id: str,
        number: str,
        order_id: str,
        customer_id: str,
        currency: str,
        lines: list[InvoicedLine],
        total: Decimal,
        issued_on: str,
    ) -> list[Aggregate]:
        """Move the invoice's part of its order's commission to invoiced; held on the order
        until it is confirmed when the confirmation was not seen yet."""
        if self._invoice(invoice_id) is not None:
            return []  # a repeat
        # Billing's topic may run ahead of orders' (a worker catching up): an invoice of an
        # order not seen yet is held on it until the order is placed and confirmed.
        order = self._order(order_id) or OrderCommission(order_id=order_id)
        if order.placed and not order.commissioned:
            return []  # no rep: no commission
        invoice = InvoiceCommission(
            invoice_id=invoice_id,
            number=number,
            order_id=order_id,
            customer_id=customer_id,
            currency=currency,
            total=total,
            issued_on=issued_on,
            lines=[
                {
                    "sku": line.sku,
                    "quantity": line.quantity,
                    "net_amount": line.net_amount,
                    "tax_amount": line.tax_amount,
                }
                for line in lines
            ],
        )
        if not order.accrued:
            order.hold_invoice(invoice_id)
            return [invoice, order]
        assert order.sales_rep_id is not None
        ledger = self._ledger(order.sales_rep_id)
        self._price(order, invoice, ledger)
        return [invoice, order, *([ledger] if ledger.pending_events else [])]

    def _price(self, order: OrderCommission, invoice: InvoiceCommission, ledger: RepLedger) -> None:
        """Price ``invoice`` from ``order``'s accrual; payments it held earn now (entered
        in ``ledger``)."""
        assert order.sales_rep_id is not None
        lines = [
            InvoicedLine(
                sku=line["sku"],
                quantity=Decimal(line["quantity"]),
                net_amount=Decimal(line["net_amount"]),
                tax_amount=Decimal(line["tax_amount"]),
            )
            for line in invoice.issued_lines
        ]
        priced = order.invoice(invoice.invoice_id, lines)
        invoice.price(order.sales_rep_id, priced)
        self._record_earned(ledger, invoice)

    def record_payment(
        self,
        *,
        payment_id: str,
        invoice_id: str,
        amount: Decimal,
        open_after: Decimal,
        received_on: str,
    ) -> list[Aggregate]:
        """Earn the payment's share of the invoice's commission."""
        invoice = self._invoice(invoice_id)
        if invoice is None:
            return []  # an invoice of an order without rep: no commission
        invoice.record_payment(payment_id, amount, open_after, received_on)
        changed: list[Aggregate] = [invoice]
        if invoice.sales_rep_id is not None:
            ledger = self._ledger(invoice.sales_rep_id)
            if self._record_earned(ledger, invoice):
                changed.append(ledger)
        return changed

    def reverse_invoice(self, *, invoice_id: str, reason: str, reversed_on: str) -> list[Aggregate]:
        """Reverse a cancelled invoice's commission and claw back what its payments earned
        (a repeat changes nothing)."""
        invoice = self._invoice(invoice_id)
        if invoice is None:
            return []
        clawback = invoice.reverse(reason, reversed_on)
        changed: list[Aggregate] = [invoice]
        if clawback is not None and invoice.sales_rep_id is not None:
            ledger = self._ledger(invoice.sales_rep_id)
            if ledger.record(**clawback):
                changed.append(ledger)
        return changed

    def credit_invoice(
        self,
        *,
        credit_note_id: str,
        invoice_id: str,
        amount: Decimal,
        net_amount: Decimal,
        credited_on: str,
        reason: str,
    ) -> list[Aggregate]:
        """Reverse the credited share of the invoice's commission (credited net / invoice
        net) and claw back what its payments earned beyond what is left (a repeat of the
        same note changes nothing)."""
        invoice = self._invoice(invoice_id)
        if invoice is None:
            return []  # an invoice of an order without rep: no commission
        invoice.credit(credit_note_id, amount, net_amount, credited_on, reason)
        changed: list[Aggregate] = [invoice]
        if invoice.sales_rep_id is not None:
            ledger = self._ledger(invoice.sales_rep_id)
            if self._record_earned(ledger, invoice):
                changed.append(ledger)
        return changed

    @staticmethod
    def _record_earned(ledger: RepLedger, invoice: InvoiceCommission) -> bool:
        """Enter the invoice's new Earned events in the rep's ledger (those not in yet), and
        the claw-backs of its new credit notes (negative)."""
        recorded = False
        for pending in invoice.pending_events:
            if isinstance(pending, InvoiceCommission.Credited) and pending.earned_commission:
                recorded |= ledger.record(
                    entry_id=f"credit:{pending.credit_note_id}",
                    invoice_id=pending.invoice_id,
                    customer_id=pending.customer_id,
                    earned_on=pending.credited_on,
                    commission=-pending.earned_commission,
                )
            if isinstance(pending, InvoiceCommission.Earned):
                recorded |= ledger.record(
                    entry_id=pending.payment_id,
                    invoice_id=pending.invoice_id,
                    customer_id=pending.customer_id,
                    earned_on=pending.earned_on,
                    commission=pending.commission,
                )
        return recorded

    def _order(self, order_id: str) -> OrderCommission | None:
        return self.find(OrderCommission, OrderCommission.create_id(order_id))

    def _invoice(self, invoice_id: str) -> InvoiceCommission | None:
        return self.find(InvoiceCommission, InvoiceCommission.create_id(invoice_id))
