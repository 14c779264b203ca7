"""An order's commission: accrued when the order is confirmed, on what it has to invoice,
line by line at the rate that applied then; each invoice takes its part out of it (the
"to invoice" position), a cancellation removes what is left.

The rep is the customer's rep when the order was placed (OrderPlaced says who)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from oms_commissions.domain.money import ZERO, cents, commission_on, share_of, tax_fraction
from oms_commissions.domain.plan import AppliedRate


@dataclass(frozen=True)
class InvoicedLine:
    """A line of an invoice, as billing publishes it."""

    sku: str
    quantity: Decimal
    net_amount: Decimal
    tax_amount: Decimal


def _sum(lines: list[dict[str, Any]], key: str) -> Decimal:
    return sum((Decimal(line[key]) for line in lines), ZERO)


class OrderCommission(Aggregate):
    class Opened(Aggregate.Created):
        """First seen: its placement, or an invoice of it that ran ahead of orders' events."""

        order_id: str

    class Placed(Aggregate.Event):
        order_id: str
        customer_id: str
        sales_rep_id: str | None
        currency: str
        expected_delivery_date: str | None

    class Accrued(Aggregate.Event):
        order_id: str
        sales_rep_id: str
        customer_id: str
        currency: str
        accrued_on: str
        #: line_no, sku, quantity, rate_percent, rate_source, base, titles, commission
        lines: list[dict[str, Any]]
        titles_total: Decimal
        base: Decimal
        commission: Decimal

    class InvoiceHeld(Aggregate.Event):
        invoice_id: str

    class Invoiced(Aggregate.Event):
        """An invoice's part taken out of what the order has to invoice."""

        invoice_id: str
        #: line_no, sku, quantity, rate_percent, base, titles, commission
        lines: list[dict[str, Any]]
        titles_total: Decimal
        base: Decimal
        commission: Decimal

    class Cancelled(Aggregate.Event):
        """What the order still had to invoice, removed."""

        reason: str
        titles_total: Decimal
        base: Decimal
        commission: Decimal

    @staticmethod
    def create_id(order_id: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"oms/commissions/order/{order_id}")

    @event(Opened)
    def __init__(self, order_id: str) -> None:
        self.order_id = order_id
        self.placed = False
        self.customer_id = ""
        self.sales_rep_id: str | None = None
        self.currency = ""
        self.expected_delivery_date: str | None = None
        self.accrued = False
        self.cancelled = False
        #: Per order line: what was accrued and how much of it was invoiced so far.
        self.lines: list[dict[str, Any]] = []
        self.held_invoices: list[str] = []
        self.invoices: list[str] = []

    def place(
        self,
        customer_id: str,
        sales_rep_id: str | None,
        currency: str,
        expected_delivery_date: str | None,
    ) -> bool:
        """Keep who the rep is (the customer's at placement); False when known already."""
        if self.placed:
            return False
        self._placed(self.order_id, customer_id, sales_rep_id, currency, expected_delivery_date)
        return True

    @event(Placed)
    def _placed(
        self,
        order_id: str,
        customer_id: str,
        sales_rep_id: str | None,
        currency: str,
        expected_delivery_date: str | None,
    ) -> None:
        self.placed = True
        self.customer_id = customer_id
        self.sales_rep_id = sales_rep_id
        self.currency = currency
        self.expected_delivery_date = expected_delivery_date

    # --- accrual --------------------------------------------------------------------------

    @property
    def commissioned(self) -> bool:
        """Whether the order earns anyone a commission (its customer had a rep)."""
        return self.placed and self.sales_rep_id is not None

    def accrue(
        self,
        lines: list[dict[str, Any]],
        rate_of: Any,
        confirmed_on: str,
        expected_delivery_date: str | None = None,
    ) -> bool:
        """Accrue the confirmed order's lines (line_no, sku, quantity, net_amount,
        tax_rate), each at ``rate_of(sku, customer_id)``; False when it was accrued already
        (a repeated confirmation), cancelled, or has no rep."""
        if self.accrued or self.cancelled or self.sales_rep_id is None:
            return False
        accrued = []
        for line in lines:
            rate: AppliedRate = rate_of(line["sku"], self.customer_id)
            base = Decimal(line["net_amount"])
            titles = base + cents(base * tax_fraction(Decimal(line["tax_rate"])))
            accrued.append(
                {
                    "line_no": int(line["line_no"]),
                    "sku": line["sku"],
                    "quantity": Decimal(line["quantity"]),
                    "rate_percent": rate.rate_percent,
                    "rate_source": rate.source,
                    "base": base,
                    "titles": titles,
                    "commission": commission_on(base, rate.rate_percent),
                }
            )
        self._accrued(
            order_id=self.order_id,
            sales_rep_id=self.sales_rep_id,
            customer_id=self.customer_id,
            currency=self.currency,
            accrued_on=expected_delivery_date or self.expected_delivery_date or confirmed_on,
            lines=accrued,
            titles_total=_sum(accrued, "titles"),
            base=_sum(accrued, "base"),
            commission=_sum(accrued, "commission"),
        )
        return True

    @event(Accrued)
    def _accrued(
        self,
        order_id: str,
        sales_rep_id: str,
        customer_id: str,
        currency: str,
        accrued_on: str,
        lines: list[dict[str, Any]],
        titles_total: Decimal,
        base: Decimal,
        commission: Decimal,
    ) -> None:
        self.accrued = True
        self.accrued_on = accrued_on
        self.lines = [
            {
                **line,
                "invoiced_quantity": Decimal(0),
                "invoiced_base": ZERO,
                "invoiced_titles": ZERO,
                "invoiced_commission": ZERO,
            }
            for line in lines
        ]

    # --- invoices -------------------------------------------------------------------------

    def hold_invoice(self, invoice_id: str) -> None:
        """An invoice seen before the order's confirmation (or placement): priced when
        the order is accrued."""
        if invoice_id not in self.held_invoices and invoice_id not in self.invoices:
            self._invoice_held(invoice_id)

    @event(InvoiceHeld)
    def _invoice_held(self, invoice_id: str) -> None:
        self.held_invoices.append(invoice_id)

    def invoice(self, invoice_id: str, lines: list[InvoicedLine]) -> list[dict[str, Any]]:
        """Take ``invoice_id``'s lines out of what the order has to invoice and return their
        commission lines (sku, quantity, rate_percent, base, titles, commission). An invoice
        line fills the order's lines of its sku in line order. Its commission is computed
        from its base at the line's rate, except that the part completing an order line
        takes exactly what is left of that line's commission."""
        if invoice_id in self.invoices:
            raise ValueError(f"invoice {invoice_id} was taken into account already")
        open_quantity = {
            line["line_no"]: line["quantity"] - line["invoiced_quantity"] for line in self.lines
        }
        priced: list[dict[str, Any]] = []
        for invoiced in lines:
            rest = invoiced.quantity
            base_rest, titles_rest = invoiced.net_amount, invoiced.net_amount + invoiced.tax_amount
            candidates = [
                line
                for line in self.lines
                if line["sku"] == invoiced.sku and open_quantity[line["line_no"]] > 0
            ]
            for index, line in enumerate(candidates):
                if rest <= 0:
                    break
                take = min(rest, open_quantity[line["line_no"]])
                last_piece = index == len(candidates) - 1 or take == rest
                if last_piece:
                    base, titles = base_rest, titles_rest
                else:
                    base = share_of(invoiced.net_amount, take, invoiced.quantity)
                    titles = share_of(
                        invoiced.net_amount + invoiced.tax_amount, take, invoiced.quantity
                    )
                open_quantity[line["line_no"]] -= take
                completes = open_quantity[line["line_no"]] == 0
                already = sum(
                    (p["commission"] for p in priced if p["line_no"] == line["line_no"]), ZERO
                )
                commission = (
                    line["commission"] - line["invoiced_commission"] - already
                    if completes
                    else commission_on(base, line["rate_percent"])
                )
                priced.append(
                    {
                        "line_no": line["line_no"],
                        "sku": invoiced.sku,
                        "quantity": take,
                        "rate_percent": line["rate_percent"],
                        "base": base,
                        "titles": titles,
                        "commission": commission,
                    }
                )
                rest -= take
                base_rest -= base
                titles_rest -= titles
        self._invoiced(
            invoice_id=invoice_id,
            lines=priced,
            titles_total=_sum(priced, "titles"),
            base=_sum(priced, "base"),
            commission=_sum(priced, "commission"),
        )
        return priced

    @event(Invoiced)
    def _invoiced(
        self,
        invoice_id: str,
        lines: list[dict[str, Any]],
        titles_total: Decimal,
        base: Decimal,
        commission: Decimal,
    ) -> None:
        self.invoices.append(invoice_id)
        if invoice_id in self.held_invoices:
            self.held_invoices.remove(invoice_id)
        by_line = {line["line_no"]: line for line in self.lines}
        for part in lines:
            line = by_line[part["line_no"]]
            line["invoiced_quantity"] += Decimal(part["quantity"])
            line["invoiced_base"] += Decimal(part["base"])
            line["invoiced_titles"] += Decimal(part["titles"])
            line["invoiced_commission"] += Decimal(part["commission"])

    # --- what is left to invoice, and its removal ------------------------------------------

    def to_invoice(self) -> tuple[Decimal, Decimal, Decimal]:
        """(titles, base, commission) the order still has to invoice."""
        if self.cancelled or not self.accrued:
            return ZERO, ZERO, ZERO
        return (
            _sum(self.lines, "titles") - _sum(self.lines, "invoiced_titles"),
            _sum(self.lines, "base") - _sum(self.lines, "invoiced_base"),
            _sum(self.lines, "commission") - _sum(self.lines, "invoiced_commission"),
        )

    def cancel(self, reason: str) -> bool:
        """Remove what the order still had to invoice; False when cancelled already."""
        if self.cancelled:
            return False
        titles, base, commission = self.to_invoice()
        self._cancelled(reason=reason, titles_total=titles, base=base, commission=commission)
        return True

    @event(Cancelled)
    def _cancelled(
        self, reason: str, titles_total: Decimal, base: Decimal, commission: Decimal
    ) -> None:
        self.cancelled = True
