"""Billing's own copy of a confirmed sales order: what it may invoice, and what it has."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from oms_billing.domain.errors import GoodsIssueNotInvoiceable
from oms_billing.domain.money import CENT, UNIT_PRICE_EXP, ZERO, cents, tax_on

#: What a line may also carry to its invoice's documents: the product's name, the line's
#: note, and the product's SAT keys (a Mexican company's CFDI).
DESCRIPTIVE_FIELDS = ("name", "note", "sat_product_key", "sat_unit_key")


@dataclass(frozen=True)
class IssuedQuantity:
    """A quantity of one sku that left the warehouse on a goods issue."""

    sku: str
    quantity: Decimal


@dataclass(frozen=True)
class InvoiceDraft:
    """How a goods issue is priced from the order's lines, before it gets a number."""

    lines: list[dict[str, Any]]
    allocations: list[dict[str, Any]]
    net_total: Decimal
    tax_total: Decimal
    total: Decimal
    completes_order: bool


class BillingOrder(Aggregate):
    """An order as billing knows it. Lines are dicts: line_no, sku, quantity, net_amount,
    tax_rate, the DESCRIPTIVE_FIELDS given, and the invoiced_quantity / invoiced_net /
    invoiced_tax so far."""

    class Opened(Aggregate.Created):
        order_id: str

    class Confirmed(Aggregate.Event):
        customer_id: str
        currency: str
        lines: list[dict[str, Any]]
        total: Decimal
        payment_terms_days: list[int]
        #: The customer's invoicing choice orders released the order with; None: not said.
        invoicing: str | None = None

    class GoodsIssueHeld(Aggregate.Event):
        goods_issue_id: str
        lines: list[dict[str, Any]]

    class GoodsIssueInvoiced(Aggregate.Event):
        goods_issue_id: str
        invoice_id: UUID
        allocations: list[dict[str, Any]]
        total: Decimal

    class GoodsIssueAwaiting(Aggregate.Event):
        """The customer is invoiced on demand: the goods issue waits to be chosen."""

        goods_issue_id: str
        order_id: str
        customer_id: str
        lines: list[dict[str, Any]]
        issued_at: datetime

    class GoodsIssuesInvoiced(Aggregate.Event):
        """Goods issues invoiced together on demand, on one invoice."""

        goods_issue_ids: list[str]
        invoice_id: UUID
        allocations: list[dict[str, Any]]
        total: Decimal

    class GoodsIssueRejected(Aggregate.Event):
        goods_issue_id: str
        reason: str

    class Cancelled(Aggregate.Event):
        reason: str

    @staticmethod
    def create_id(order_id: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"oms/billing/order/{order_id}")

    @event(Opened)
    def __init__(self, order_id: str) -> None:
        self.order_id = order_id
        self.confirmed = False
        self.cancelled = False
        #: per_goods_issue or on_demand, as orders released it (None: go by the customer).
        self.invoicing: str | None = None
        self.customer_id = ""
        self.currency = ""
        self.lines: list[dict[str, Any]] = []
        self.total = ZERO
        self.invoiced_total = ZERO
        self.payment_terms_days: list[int] = []
        #: Goods issues that arrived before the order was confirmed, oldest first.
        self.held: list[dict[str, Any]] = []
        self.invoiced_goods_issues: dict[str, UUID] = {}
        self.rejected_goods_issues: list[str] = []
        #: Goods issues waiting to be invoiced on demand, oldest first.
        self.awaiting: list[dict[str, Any]] = []
        #: Each on-demand invoice's goods issues.
        self.batches: dict[UUID, list[str]] = {}

    # --- commands -------------------------------------------------------------------------

    def confirm(
        self,
        customer_id: str,
        currency: str,
        lines: list[dict[str, Any]],
        total: Decimal,
        payment_terms_days: list[int],
        invoicing: str | None = None,
    ) -> None:
        if self.confirmed:
            return  # a repeat: the first confirmation stands
        clean = [
            {
                "line_no": int(line["line_no"]),
                "sku": str(line["sku"]),
                "quantity": Decimal(line["quantity"]),
                "net_amount": Decimal(line["net_amount"]),
                "tax_rate": Decimal(line["tax_rate"]),
                **{
                    field: str(line[field])
                    for field in DESCRIPTIVE_FIELDS
                    if line.get(field) is not None
                },
            }
            for line in sorted(lines, key=lambda li: int(li["line_no"]))
        ]
        self._confirmed(
            customer_id=customer_id,
            currency=currency,
            lines=clean,
            total=Decimal(total),
            payment_terms_days=[int(d) for d in payment_terms_days],
            invoicing=invoicing,
        )

    def hold_goods_issue(self, goods_issue_id: str, lines: list[IssuedQuantity]) -> None:
        if self.is_known_goods_issue(goods_issue_id):
            return
        self._goods_issue_held(
            goods_issue_id=goods_issue_id,
            lines=[{"sku": li.sku, "quantity": li.quantity} for li in lines],
        )

    def await_invoicing(
        self, goods_issue_id: str, lines: list[IssuedQuantity], issued_at: datetime
    ) -> None:
        """Keep a goods issue of a customer invoiced on demand until it is chosen."""
        if goods_issue_id in self.invoiced_goods_issues or any(
            a["goods_issue_id"] == goods_issue_id for a in self.awaiting
        ):
            return
        self._goods_issue_awaiting(
            goods_issue_id=goods_issue_id,
            order_id=self.order_id,
            customer_id=self.customer_id,
            lines=[{"sku": li.sku, "quantity": li.quantity} for li in lines],
            issued_at=issued_at,
        )

    def awaiting_lines(self, goods_issue_ids: list[str]) -> list[IssuedQuantity]:
        """The issued quantities of the chosen waiting goods issues, together."""
        chosen = [a for a in self.awaiting if a["goods_issue_id"] in goods_issue_ids]
        return [
            IssuedQuantity(str(line["sku"]), Decimal(line["quantity"]))
            for awaiting in chosen
            for line in awaiting["lines"]
        ]

    def record_batch_invoiced(
        self, goods_issue_ids: list[str], invoice_id: UUID, draft: InvoiceDraft
    ) -> None:
        self._goods_issues_invoiced(
            goods_issue_ids=goods_issue_ids,
            invoice_id=invoice_id,
            allocations=draft.allocations,
            total=draft.total,
        )

    def price(self, lines: list[IssuedQuantity]) -> InvoiceDraft:
        """Price issued quantities from the order's lines: the same sku on several lines
        fills them in line order. A line's last portion takes exactly what is left of its
        net amount and tax, so the invoices of an order add up to its lines."""
        if not self.confirmed:
            raise GoodsIssueNotInvoiceable(f"order {self.order_id} is not confirmed")
        wanted: dict[str, Decimal] = {}
        for li in lines:
            if li.quantity <= 0:
                raise GoodsIssueNotInvoiceable(f"sku {li.sku}: quantity must be positive")
            wanted[li.sku] = wanted.get(li.sku, Decimal(0)) + li.quantity
        invoice_lines: list[dict[str, Any]] = []
        allocations: list[dict[str, Any]] = []
        open_after: dict[int, Decimal] = {}
        for sku, quantity in wanted.items():
            rest = quantity
            for line in self.lines:
                if line["sku"] != sku or rest <= 0:
                    continue
                open_qty = line["quantity"] - line["invoiced_quantity"]
                take = min(open_qty, rest)
                if take <= 0:
                    continue
                rest -= take
                if line["invoiced_quantity"] + take == line["quantity"]:
                    net = line["net_amount"] - line["invoiced_net"]
                    tax = tax_on(line["net_amount"], line["tax_rate"]) - line["invoiced_tax"]
                else:
                    net = cents(line["net_amount"] * take / line["quantity"])
                    tax = tax_on(net, line["tax_rate"])
                open_after[line["line_no"]] = open_qty - take
                allocations.append(
                    {"line_no": line["line_no"], "quantity": take, "net": net, "tax": tax}
                )
                invoice_lines.append(
                    {
                        "line_no": line["line_no"],
                        "sku": sku,
                        "quantity": take,
                        "unit_price": (line["net_amount"] / line["quantity"]).quantize(
                            UNIT_PRICE_EXP
                        ),
                        "net_amount": net,
                        "tax_rate": line["tax_rate"],
                        "tax_amount": tax,
                        **{field: line[field] for field in DESCRIPTIVE_FIELDS if field in line},
                    }
                )
            if rest > 0:
                raise GoodsIssueNotInvoiceable(
                    f"order {self.order_id}: {rest} of sku {sku} issued beyond what is "
                    "left to invoice"
                )
        completes = all(
            open_after.get(line["line_no"], line["quantity"] - line["invoiced_quantity"]) == 0
            for line in self.lines
        )
        net_total = sum((li["net_amount"] for li in invoice_lines), ZERO)
        tax_total = sum((li["tax_amount"] for li in invoice_lines), ZERO)
        if completes and invoice_lines:
            # No drift: the last invoice closes the order's total exactly. Only a rounding
            # difference (the order rounded its tax otherwise) is absorbed, never more.
            diff = self.total - (self.invoiced_total + net_total + tax_total)
            if diff and abs(diff) <= CENT * len(self.lines):
                invoice_lines[-1]["tax_amount"] += diff
                allocations[-1]["tax"] += diff
                tax_total += diff
        return InvoiceDraft(
            lines=invoice_lines,
            allocations=allocations,
            net_total=net_total,
            tax_total=tax_total,
            total=net_total + tax_total,
            completes_order=completes,
        )

    def record_invoiced(self, goods_issue_id: str, invoice_id: UUID, draft: InvoiceDraft) -> None:
        self._goods_issue_invoiced(
            goods_issue_id=goods_issue_id,
            invoice_id=invoice_id,
            allocations=draft.allocations,
            total=draft.total,
        )

    def reject_goods_issue(self, goods_issue_id: str, reason: str) -> None:
        if (
            goods_issue_id in self.invoiced_goods_issues
            or goods_issue_id in self.rejected_goods_issues
        ):
            return
        self._goods_issue_rejected(goods_issue_id=goods_issue_id, reason=reason)

    def cancel(self, reason: str) -> None:
        if not self.cancelled:
            self._cancelled(reason=reason)

    # --- queries --------------------------------------------------------------------------

    def is_known_goods_issue(self, goods_issue_id: str) -> bool:
        return (
            goods_issue_id in self.invoiced_goods_issues
            or goods_issue_id in self.rejected_goods_issues
            or any(h["goods_issue_id"] == goods_issue_id for h in self.held)
            or any(a["goods_issue_id"] == goods_issue_id for a in self.awaiting)
        )

    def is_awaiting(self, goods_issue_id: str) -> bool:
        return any(a["goods_issue_id"] == goods_issue_id for a in self.awaiting)

    @property
    def fully_invoiced(self) -> bool:
        return bool(self.lines) and all(
            li["invoiced_quantity"] == li["quantity"] for li in self.lines
        )

    # --- events ---------------------------------------------------------------------------

    @event(Confirmed)
    def _confirmed(
        self,
        customer_id: str,
        currency: str,
        lines: list[dict[str, Any]],
        total: Decimal,
        payment_terms_days: list[int],
        invoicing: str | None = None,
    ) -> None:
        self.confirmed = True
        self.invoicing = invoicing
        self.customer_id = customer_id
        self.currency = currency
        self.lines = [
            {
                **line,
                "quantity": Decimal(line["quantity"]),
                "net_amount": Decimal(line["net_amount"]),
                "tax_rate": Decimal(line["tax_rate"]),
                "invoiced_quantity": Decimal(0),
                "invoiced_net": ZERO,
                "invoiced_tax": ZERO,
            }
            for line in lines
        ]
        self.total = total
        self.payment_terms_days = list(payment_terms_days)

    @event(GoodsIssueHeld)
    def _goods_issue_held(self, goods_issue_id: str, lines: list[dict[str, Any]]) -> None:
        self.held.append({"goods_issue_id": goods_issue_id, "lines": lines})

    @event(GoodsIssueInvoiced)
    def _goods_issue_invoiced(
        self,
        goods_issue_id: str,
        invoice_id: UUID,
        allocations: list[dict[str, Any]],
        total: Decimal,
    ) -> None:
        self._apply_allocations(allocations, total)
        self.invoiced_goods_issues[goods_issue_id] = invoice_id
        self.held = [h for h in self.held if h["goods_issue_id"] != goods_issue_id]

    @event(GoodsIssueAwaiting)
    def _goods_issue_awaiting(
        self,
        goods_issue_id: str,
        order_id: str,
        customer_id: str,
        lines: list[dict[str, Any]],
        issued_at: datetime,
    ) -> None:
        self.awaiting.append(
            {"goods_issue_id": goods_issue_id, "lines": lines, "issued_at": issued_at}
        )
        self.held = [h for h in self.held if h["goods_issue_id"] != goods_issue_id]

    @event(GoodsIssuesInvoiced)
    def _goods_issues_invoiced(
        self,
        goods_issue_ids: list[str],
        invoice_id: UUID,
        allocations: list[dict[str, Any]],
        total: Decimal,
    ) -> None:
        self._apply_allocations(allocations, total)
        for goods_issue_id in goods_issue_ids:
            self.invoiced_goods_issues[goods_issue_id] = invoice_id
        self.batches[invoice_id] = list(goods_issue_ids)
        self.awaiting = [a for a in self.awaiting if a["goods_issue_id"] not in goods_issue_ids]

    def _apply_allocations(self, allocations: list[dict[str, Any]], total: Decimal) -> None:
        by_no = {line["line_no"]: line for line in self.lines}
        for alloc in allocations:
            line = by_no[alloc["line_no"]]
            line["invoiced_quantity"] += Decimal(alloc["quantity"])
            line["invoiced_net"] += Decimal(alloc["net"])
            line["invoiced_tax"] += Decimal(alloc["tax"])
        self.invoiced_total += total

    @event(GoodsIssueRejected)
    def _goods_issue_rejected(self, goods_issue_id: str, reason: str) -> None:
        self.rejected_goods_issues.append(goods_issue_id)
        self.held = [h for h in self.held if h["goods_issue_id"] != goods_issue_id]

    @event(Cancelled)
    def _cancelled(self, reason: str) -> None:
        self.cancelled = True
