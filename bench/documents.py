"""Document figures: the time to build, seal and stamp one CFDI 4.0 (satcfdi: the
document, its original string through SAT's XSLT, the CSD's seal, the schema check; the
local PAC: the seal check, the TimbreFiscalDigital and its own seal and schema check) and
to render one invoice PDF and one proposal PDF (orders: the quote, its customer and
products, fpdf2 and Babel). In memory, no I/O: the CPU a document costs on this machine.
``python -m bench.documents`` prints them alone."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from oms_billing.adapters.invoice_pdf import InvoicePdfRenderer
from oms_billing.application import BillingApplication
from oms_billing.bootstrap import bootstrap, company
from oms_billing.domain.invoice import Invoice
from oms_billing.settings import Settings
from oms_contracts.inventory import GoodsIssued, LotQuantity
from oms_contracts.orders import CustomerRegistered, Line, OrderConfirmed
from oms_dev.inmemory import ServiceInMemory
from oms_kit.settings import Company
from oms_orders.api.documents import proposal_of
from oms_orders.application import OrdersApplication
from oms_orders.bootstrap import bootstrap as orders_bootstrap
from oms_orders.documents.proposal import render_proposal
from oms_orders.domain.customer import Customer
from oms_orders.domain.pricing import LineRequest

#: Lines of the measured invoice: a typical order of a few products.
LINES = 5


def timed(action: Callable[[], Any], count: int) -> dict[str, float]:
    """Median and slowest of ``count`` runs of ``action``, in milliseconds (one untimed
    run first: imports, the XSLT and the schemas are loaded once per process)."""
    action()
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return {
        "median_ms": round(statistics.median(samples), 2),
        "max_ms": round(max(samples), 2),
        "runs": count,
    }


def mexican_invoice() -> tuple[BillingApplication, Invoice]:
    billing = ServiceInMemory(bootstrap, fiscal_country="MX", company_language="es")
    billing.deliver(
        CustomerRegistered(
            customer_id="cust-bench",
            name="Berenice Xochilt Ibarra",
            tax_id="XIQB891116QE4",
            email="bench@example.com",
            credit_limit=Decimal("100000.00"),
            currency="MXN",
            payment_terms_days=[30, 60],
            language="es",
            fiscal_regime="612",
            postal_code="03100",
            cfdi_use="G03",
        )
    )
    lines = [
        Line(
            line_no=n,
            sku=f"SKU-{n}",
            quantity=Decimal(n),
            unit_price=Decimal("12.50"),
            tax_rate=Decimal("0.16"),
            net_amount=Decimal("12.50") * n,
            name=f"Producto {n}",
            sat_product_key="31161500",
        )
        for n in range(1, LINES + 1)
    ]
    net = sum((line.net_amount for line in lines), Decimal(0))
    billing.deliver(
        OrderConfirmed(
            order_id="order-bench",
            customer_id="cust-bench",
            currency="MXN",
            lines=lines,
            total=net + (net * Decimal("0.16")).quantize(Decimal("0.01")),
            payment_terms_days=[30, 60],
        )
    )
    billing.deliver(
        GoodsIssued(
            goods_issue_id="gi-bench",
            order_id="order-bench",
            lines=[
                LotQuantity(sku=line.sku, quantity=line.quantity, warehouse="WH", lot="L1")
                for line in lines
            ],
        )
    )
    app: BillingApplication = billing.app
    invoice = app.get_invoice(Invoice.create_id("gi-bench"))
    assert invoice.stamp is not None, invoice.last_stamping_error
    return app, invoice


def proposal_renderer() -> Callable[[], bytes]:
    """Renders the proposal PDF of a quote of ``LINES`` lines, as ``GET /quotes/{id}/pdf``
    does (its customer and products read from the in-memory store)."""
    orders: OrdersApplication = ServiceInMemory(orders_bootstrap, company_language="pt").app
    for n in range(1, LINES + 1):
        orders.define_product(
            sku=f"SKU-{n}",
            name=f"Produto {n}",
            unit_price=Decimal("1234.50"),
            currency="BRL",
            tax_rate=Decimal("0.18"),
        )
    customer = orders.register_customer(
        name="Cliente de Medida",
        tax_id="12.345.678/0001-90",
        email="bench@example.com",
        credit_limit=Decimal("1000000.00"),
        payment_terms_days=[30, 60, 90],
    )
    quote = orders.create_quote(
        customer_id=customer.customer_id,
        lines=[
            LineRequest(sku=f"SKU-{n}", quantity=Decimal(n), note=f"nota {n}")
            for n in range(1, LINES + 1)
        ],
    )
    company = Company(name="OMS Demo", tax_id="98.765.432/0001-10", address="Rua A, 1")

    def render() -> bytes:
        buyer = orders.get(Customer, quote.customer_id, field="customer_id")
        return render_proposal(proposal_of(orders, quote, buyer), company)

    return render


def run_documents(count: int = 30) -> dict[str, Any]:
    app, invoice = mexican_invoice()
    recipient = app.recipient(invoice.customer_id)
    receivable = app.find_receivable(invoice.id)
    # Nothing kept: each run draws the document (a kept one is handed out again).
    renderer = InvoicePdfRenderer(
        company(Settings(event_store="memory", fiscal_country="MX")), kept=0
    )

    def cfdi() -> None:
        app.stamping.stamp(app.documents.build(invoice, recipient))

    def pdf() -> None:
        renderer.render(invoice, recipient, receivable)

    return {
        "cfdi_build_seal_stamp": timed(cfdi, count),
        "invoice_pdf": timed(pdf, count),
        "proposal_pdf": timed(proposal_renderer(), count),
        "lines": LINES,
    }


if __name__ == "__main__":
    print(json.dumps(run_documents(), indent=2))
