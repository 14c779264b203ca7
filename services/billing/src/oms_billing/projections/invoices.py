"""InvoicesView: one row per invoice, for the invoice list (of the customers a caller may
see) and the stamping retry loop."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from oms_kit.auth import Scope
from oms_kit.paging import (
    Page,
    PageRequest,
    StatusTotal,
    Where,
    keyset_query,
    page_of,
    totals_by_status,
)
from oms_kit.projection import DictCursor, Stored, View

from oms_billing.domain.invoice import Invoice
from oms_billing.projections.portfolio import within_scope
from oms_billing.projections.receivables import INSTALLMENTS


@dataclass(frozen=True)
class InvoiceFilter:
    """The invoice list's filters; the bounds of a range are from inclusive, before
    exclusive (dates: due_on from <= day < before)."""

    order_id: str | None = None
    customer_id: str | None = None
    status: str | None = None
    number: str | None = None
    issued_from: datetime | None = None
    issued_before: datetime | None = None
    due_from: date | None = None
    due_before: date | None = None


@dataclass(frozen=True)
class StampSummary:
    uuid: str
    stamped_at: datetime
    provider: str


@dataclass(frozen=True)
class InvoiceSummary:
    invoice_id: UUID
    order_id: str
    customer_id: str
    number: str
    status: str
    currency: str
    net_total: Decimal
    tax_total: Decimal
    total: Decimal
    open_amount: Decimal
    issued_at: datetime
    stamp: StampSummary | None
    #: Where the invoice was issued in the log: the list's order (newest first).
    position: int


class InvoicesView(View):
    name = "invoices"
    tables = ("billing_invoices",)
    ddl = """
        CREATE TABLE IF NOT EXISTS billing_invoices (
            invoice_id uuid PRIMARY KEY,
            order_id text NOT NULL,
            customer_id text NOT NULL,
            number text NOT NULL,
            currency text NOT NULL,
            net_total numeric NOT NULL,
            tax_total numeric NOT NULL,
            total numeric NOT NULL,
            open_amount numeric NOT NULL,
            status text NOT NULL,
            stamp jsonb,
            stamping_attempts int NOT NULL DEFAULT 0,
            credited numeric NOT NULL DEFAULT 0,
            issued_at timestamptz NOT NULL,
            position bigint NOT NULL UNIQUE
        );
        ALTER TABLE billing_invoices ADD COLUMN IF NOT EXISTS credited numeric NOT NULL DEFAULT 0;
        CREATE INDEX IF NOT EXISTS billing_invoices_number ON billing_invoices (number);
        CREATE INDEX IF NOT EXISTS billing_invoices_order
            ON billing_invoices (order_id, position);
        CREATE INDEX IF NOT EXISTS billing_invoices_customer
            ON billing_invoices (customer_id, position);
        CREATE INDEX IF NOT EXISTS billing_invoices_stamping_failed
            ON billing_invoices (position) WHERE status = 'stamping_failed';
    """

    # --- the events it follows ------------------------------------------------------------

    def on_issued(self, cur: DictCursor, event: Invoice.Issued, stored: Stored) -> None:
        cur.execute(
            "INSERT INTO billing_invoices (invoice_id, order_id, customer_id, number, "
            "currency, net_total, tax_total, total, open_amount, status, issued_at, "
            "position) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 'issued', %s, %s) "
            "ON CONFLICT (invoice_id) DO NOTHING",
            (
                event.originator_id,
                event.order_id,
                event.customer_id,
                event.number,
                event.currency,
                event.net_total,
                event.tax_total,
                event.total,
                event.total,
                event.issued_at,
                stored.position,
            ),
        )

    def on_stamped(self, cur: DictCursor, event: Invoice.Stamped, stored: Stored) -> None:
        stamp = {
            "uuid": event.stamp_uuid,
            "stamped_at": event.stamped_at.isoformat(),
            "provider": event.provider,
        }
        cur.execute(
            "UPDATE billing_invoices SET stamp = %s, "
            "status = CASE WHEN status = 'paid' THEN status ELSE 'stamped' END "
            "WHERE invoice_id = %s",
            (json.dumps(stamp), event.originator_id),
        )

    def on_stamping_failed(
        self, cur: DictCursor, event: Invoice.StampingFailed, stored: Stored
    ) -> None:
        cur.execute(
            "UPDATE billing_invoices SET stamping_attempts = %s, "
            "status = CASE WHEN status IN ('issued', 'stamping_failed') "
            "THEN 'stamping_failed' ELSE status END WHERE invoice_id = %s",
            (event.attempt, event.originator_id),
        )

    def on_payment_recorded(
        self, cur: DictCursor, event: Invoice.PaymentRecorded, stored: Stored
    ) -> None:
        cur.execute(
            "UPDATE billing_invoices SET open_amount = %s WHERE invoice_id = %s",
            (event.open_after, event.originator_id),
        )

    def on_paid(self, cur: DictCursor, event: Invoice.Paid, stored: Stored) -> None:
        cur.execute(
            "UPDATE billing_invoices SET status = 'paid' WHERE invoice_id = %s",
            (event.originator_id,),
        )

    def on_cancelled(self, cur: DictCursor, event: Invoice.Cancelled, stored: Stored) -> None:
        cur.execute(
            "UPDATE billing_invoices SET status = 'cancelled', open_amount = 0 "
            "WHERE invoice_id = %s",
            (event.originator_id,),
        )

    def on_credited(self, cur: DictCursor, event: Invoice.Credited, stored: Stored) -> None:
        cur.execute(
            "UPDATE billing_invoices SET open_amount = %s, credited = credited + %s, "
            "status = CASE WHEN credited + %s >= total THEN 'credited' ELSE status END "
            "WHERE invoice_id = %s",
            (event.open_after, event.total, event.total, event.originator_id),
        )

    # --- queries --------------------------------------------------------------------------

    def list_invoices(
        self, scope: Scope, page: PageRequest, filter: InvoiceFilter | None = None
    ) -> Page[InvoiceSummary]:
        """The invoices within ``scope`` that ``filter`` selects, newest first; ``totals``
        holds a ``StatusTotal`` per status over the whole filtered list."""
        f = filter or InvoiceFilter()
        where = within_scope(
            scope,
            Where()
            .equals("order_id", f.order_id)
            .equals("customer_id", f.customer_id)
            .equals("status", f.status)
            .equals("number", f.number),
        )
        if f.issued_from is not None:
            where.add("issued_at >= %s", f.issued_from)
        if f.issued_before is not None:
            where.add("issued_at < %s", f.issued_before)
        if f.due_from is not None or f.due_before is not None:
            # An installment of the invoice falls due within the range.
            due = [("i.due_on >= %s", f.due_from), ("i.due_on < %s", f.due_before)]
            given = [(clause, value) for clause, value in due if value is not None]
            where.add(
                f"EXISTS (SELECT 1 FROM {INSTALLMENTS} i "
                "WHERE i.invoice_id = billing_invoices.invoice_id AND "
                + " AND ".join(clause for clause, _ in given)
                + ")",
                *(value for _, value in given),
            )
        query, params = keyset_query(
            "SELECT invoice_id, order_id, customer_id, number, status, currency, net_total, "
            "tax_total, total, open_amount, stamp, issued_at, position FROM billing_invoices",
            where,
            ["position"],
            page,
        )
        with self.reading() as cur:
            cur.execute(query, params)
            rows = [_summary(row) for row in cur.fetchall()]
            totals: dict[str, StatusTotal] = totals_by_status(cur, "billing_invoices", where)
        listed = page_of(rows, page.limit, lambda invoice: (invoice.position,))
        return Page(items=listed.items, next_cursor=listed.next_cursor, totals=dict(totals))

    def list_stamping_failed(self, page: PageRequest) -> Page[UUID]:
        """Invoices whose stamping failed and is not done yet, oldest first."""
        where = Where().add("status = 'stamping_failed'")
        query, params = keyset_query(
            "SELECT invoice_id, position FROM billing_invoices",
            where,
            ["position"],
            page,
            descending=False,
        )
        with self.reading() as cur:
            cur.execute(query, params)
            rows = cur.fetchall()
        found = page_of(rows, page.limit, lambda row: (row["position"],))
        return Page(items=[row["invoice_id"] for row in found.items], next_cursor=found.next_cursor)


def _summary(row: dict[str, Any]) -> InvoiceSummary:
    stamp = row["stamp"]
    return InvoiceSummary(
        invoice_id=row["invoice_id"],
        order_id=row["order_id"],
        customer_id=row["customer_id"],
        number=row["number"],
        status=row["status"],
        currency=row["currency"],
        net_total=row["net_total"],
        tax_total=row["tax_total"],
        total=row["total"],
        open_amount=row["open_amount"],
        issued_at=row["issued_at"],
        stamp=(
            StampSummary(
                uuid=stamp["uuid"],
                stamped_at=datetime.fromisoformat(stamp["stamped_at"]),
                provider=stamp["provider"],
            )
            if stamp
            else None
        ),
        position=row["position"],
    )
