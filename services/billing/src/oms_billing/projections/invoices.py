"""InvoiceListView: one row per invoice, for listing and the stamping retry loop."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from oms_kit.projection import DictCursor, Projection

from oms_billing.domain.invoice import Invoice


class InvoiceListView(Projection):
    name = "invoice_list"
    tables = ("billing_invoice_list",)

    def create(self, cur: DictCursor) -> None:
        cur.execute(
            """
            CREATE TABLE IF NOT EXISTS billing_invoice_list (
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
                issued_at timestamptz NOT NULL,
                position bigint NOT NULL
            )
            """
        )
        cur.execute(
            "CREATE INDEX IF NOT EXISTS billing_invoice_list_order "
            "ON billing_invoice_list (order_id)"
        )
        cur.execute(
            "CREATE INDEX IF NOT EXISTS billing_invoice_list_failed "
            "ON billing_invoice_list (status) WHERE status = 'stamping_failed'"
        )

    def apply(
        self,
        cur: DictCursor,
        event: DomainEventProtocol[UUID],
        position: int,
        meta: dict[str, str],
    ) -> None:
        invoice_id = event.originator_id
        if isinstance(event, Invoice.Issued):
            cur.execute(
                "INSERT INTO billing_invoice_list (invoice_id, order_id, customer_id, number, "
                "currency, net_total, tax_total, total, open_amount, status, issued_at, "
                "position) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 'issued', %s, %s) "
                "ON CONFLICT (invoice_id) DO NOTHING",
                (
                    invoice_id,
                    event.order_id,
                    event.customer_id,
                    event.number,
                    event.currency,
                    event.net_total,
                    event.tax_total,
                    event.total,
                    event.total,
                    event.issued_at,
                    position,
                ),
            )
        elif isinstance(event, Invoice.Stamped):
            stamp = {
                "uuid": event.stamp_uuid,
                "stamped_at": event.stamped_at.isoformat(),
                "provider": event.provider,
            }
            cur.execute(
                "UPDATE billing_invoice_list SET stamp = %s, "
                "status = CASE WHEN status = 'paid' THEN status ELSE 'stamped' END "
                "WHERE invoice_id = %s",
                (json.dumps(stamp), invoice_id),
            )
        elif isinstance(event, Invoice.StampingFailed):
            cur.execute(
                "UPDATE billing_invoice_list SET stamping_attempts = %s, "
                "status = CASE WHEN status IN ('issued', 'stamping_failed') "
                "THEN 'stamping_failed' ELSE status END WHERE invoice_id = %s",
                (event.attempt, invoice_id),
            )
        elif isinstance(event, Invoice.PaymentRecorded):
            cur.execute(
                "UPDATE billing_invoice_list SET open_amount = %s WHERE invoice_id = %s",
                (event.open_after, invoice_id),
            )
        elif isinstance(event, Invoice.Paid):
            cur.execute(
                "UPDATE billing_invoice_list SET status = 'paid' WHERE invoice_id = %s",
                (invoice_id,),
            )


def list_invoices(
    cur: DictCursor, order_id: str | None, customer_id: str | None, limit: int, offset: int = 0
) -> list[dict[str, Any]]:
    cur.execute(
        "SELECT invoice_id, order_id, customer_id, number, status, currency, net_total, "
        "tax_total, total, open_amount, stamp, issued_at FROM billing_invoice_list "
        "WHERE (%(order_id)s::text IS NULL OR order_id = %(order_id)s) "
        "AND (%(customer_id)s::text IS NULL OR customer_id = %(customer_id)s) "
        "ORDER BY position DESC LIMIT %(limit)s OFFSET %(offset)s",
        {"order_id": order_id, "customer_id": customer_id, "limit": limit, "offset": offset},
    )
    return list(cur.fetchall())


def stamping_pending(cur: DictCursor, limit: int = 100) -> list[UUID]:
    cur.execute(
        "SELECT invoice_id FROM billing_invoice_list WHERE status = 'stamping_failed' "
        "ORDER BY position LIMIT %s",
        (limit,),
    )
    return [row["invoice_id"] for row in cur.fetchall()]
