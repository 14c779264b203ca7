"""Routes of the billing service: each reads a view or calls the Application.

Who may call (DESIGN section 9): back office and admin everything; a sales rep the invoices
and statements of his portfolio's customers, a customer his own; warehouse and partners
nothing (403). Only back office and admin record payments. Another service's token (role
``service``: the notifications service, which attaches them to its e-mails) reads any
invoice's PDF and XML and nothing else (403). What a caller may see is the scope of his
token, applied by every query (``projections/portfolio.py``)."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response, status
from oms_kit.auth import BACK_OFFICE, CUSTOMER, SALES_REP, SERVICE, CurrentUser, Scope, allow
from oms_kit.domain import InvalidInput
from oms_kit.http import Paging
from oms_kit.paging import parse_when

from oms_billing.api.models import (
    AgingBucketPublic,
    AgingPublic,
    CreditNoteCreate,
    CreditNotePublic,
    CreditNoteSummaryPublic,
    GoodsIssueLinePublic,
    GoodsIssueListPublic,
    GoodsIssuePublic,
    InstallmentPublic,
    InvoiceBatchCreate,
    InvoiceBatchPublic,
    InvoiceCancel,
    InvoiceLinePublic,
    InvoiceListPublic,
    InvoicePublic,
    InvoiceSummaryPublic,
    PaymentCreate,
    PaymentPublic,
    PaymentSummaryPublic,
    StampDetailPublic,
    StampPublic,
    StatementEntryPublic,
    StatementPublic,
    StatusTotalPublic,
)
from oms_billing.application import BillingApplication
from oms_billing.application.documents import InvoicePdf
from oms_billing.domain.errors import InvoiceNotFound, InvoiceNotStamped
from oms_billing.domain.invoice import Invoice
from oms_billing.domain.receivable import Receivable
from oms_billing.projections.goods_issues import GoodsIssuesView
from oms_billing.projections.invoices import InvoiceFilter, InvoiceSummary, InvoicesView
from oms_billing.projections.portfolio import PortfolioView
from oms_billing.projections.receivables import ReceivablesView
from oms_billing.projections.statement import Statement, StatementView


def caller_scope(caller: CurrentUser) -> Scope:
    return Scope.of(caller)


#: The customers whose records the caller may see.
CallerScope = Annotated[Scope, Depends(caller_scope)]

#: Read invoices and statements, each within the caller's scope.
READERS = (BACK_OFFICE, SALES_REP, CUSTOMER)
#: Read an invoice's documents: its readers, and the services that send them.
DOCUMENT_READERS = (*READERS, SERVICE)


def make_router(
    app: BillingApplication,
    invoices: InvoicesView,
    statements: StatementView,
    portfolio: PortfolioView,
    invoice_pdf: InvoicePdf,
    receivables: ReceivablesView,
    goods_issues: GoodsIssuesView,
) -> APIRouter:
    router = APIRouter(
        tags=["billing"],
        responses={403: {"description": "the caller's role may not do this"}},
    )
    readers = [allow(*READERS)]

    @router.get("/invoices", response_model=InvoiceListPublic, dependencies=readers)
    def list_invoices(
        scope: CallerScope,
        page: Paging,
        order_id: str | None = None,
        customer_id: str | None = None,
        status: str | None = None,
        number: str | None = None,
        issued_from: str | None = None,
        issued_to: str | None = None,
        due_from: str | None = None,
        due_to: str | None = None,
    ) -> InvoiceListPublic:
        """The invoices the caller may see, newest first, filtered by order, customer,
        status, number, issue date and the due dates of their installments (the bounds
        inclusive, a date covering its day), with totals per status over the whole
        filtered list; pass the answer's ``next_cursor`` as ``cursor`` for the next
        page."""
        due_after = parse_when(due_from, "due_from", end=False)
        due_before = parse_when(due_to, "due_to", end=True)
        found = invoices.list_invoices(
            scope,
            page,
            InvoiceFilter(
                order_id=order_id,
                customer_id=customer_id,
                status=status,
                number=number,
                issued_from=parse_when(issued_from, "issued_from", end=False),
                issued_before=parse_when(issued_to, "issued_to", end=True),
                due_from=day_of(due_after, "due_from"),
                due_before=day_of(due_before, "due_to"),
            ),
        )
        return InvoiceListPublic(
            items=[invoice_summary(invoice) for invoice in found.items],
            totals_by_status={
                name: StatusTotalPublic(count=total.count, total=total.total)
                for name, total in found.totals.items()
            },
            next_cursor=found.next_cursor,
        )

    @router.post(
        "/invoices/batch",
        status_code=status.HTTP_201_CREATED,
        response_model=InvoiceBatchPublic,
        dependencies=[allow(BACK_OFFICE)],
        responses={
            409: {"description": "a goods issue is on another invoice already"},
            422: {"description": "a goods issue that is not waiting to be invoiced"},
        },
    )
    def invoice_on_demand(body: InvoiceBatchCreate, response: Response) -> InvoiceBatchPublic:
        """Invoice the chosen goods issues of customers invoiced on demand: one invoice
        per order, numbered without gaps. The same choice again answers the same
        invoices (``idempotent-replay: true``)."""
        chosen = list(dict.fromkeys(body.goods_issue_ids))
        orders = goods_issues.orders_of(chosen)
        unknown = [gi for gi in chosen if gi not in orders]
        if unknown:
            raise InvalidInput(
                f"goods issue {unknown[0]} is not waiting to be invoiced",
                field="goods_issue_ids",
            )
        made, created = app.invoice_on_demand([(gi, orders[gi]) for gi in chosen])
        if not created:
            response.headers["idempotent-replay"] = "true"
        return InvoiceBatchPublic(
            items=[invoice_detail(invoice, app.find_receivable(invoice.id)) for invoice in made]
        )

    @router.get("/goods-issues", response_model=GoodsIssueListPublic, dependencies=readers)
    def list_goods_issues(
        scope: CallerScope,
        page: Paging,
        customer_id: str | None = None,
        uninvoiced: bool = False,
    ) -> GoodsIssueListPublic:
        """The goods issues of customers invoiced on demand, oldest first, of one customer
        when given, only those still waiting with ``uninvoiced=true``."""
        found = goods_issues.list_goods_issues(
            scope, page, customer_id=customer_id, uninvoiced=uninvoiced
        )
        return GoodsIssueListPublic(
            items=[
                GoodsIssuePublic(
                    goods_issue_id=gi.goods_issue_id,
                    order_id=gi.order_id,
                    customer_id=gi.customer_id,
                    issued_at=gi.issued_at,
                    lines=[GoodsIssueLinePublic(**line) for line in gi.lines],
                    invoiced=gi.invoiced,
                    invoice_id=str(gi.invoice_id) if gi.invoice_id else None,
                )
                for gi in found.items
            ],
            next_cursor=found.next_cursor,
        )

    @router.get(
        "/invoices/{invoice_id}",
        response_model=InvoicePublic,
        dependencies=readers,
        responses={404: {"description": "unknown invoice"}},
    )
    def get_invoice(invoice_id: str, scope: CallerScope) -> InvoicePublic:
        """One invoice, read from its aggregate: lines, installments, stamp, payments."""
        invoice = reachable_invoice(invoice_id, scope)
        return invoice_detail(invoice, app.find_receivable(invoice.id))

    def reachable_invoice(invoice_id: str, scope: Scope) -> Invoice:
        invoice = app.find_invoice(invoice_id)
        if invoice is None or not portfolio.reaches(scope, invoice.customer_id):
            raise InvoiceNotFound(invoice_id)
        return invoice

    @router.get(
        "/invoices/{invoice_id}/xml",
        response_class=Response,
        dependencies=[allow(*DOCUMENT_READERS)],
        responses={
            200: {"content": {"application/xml": {}}, "description": "the fiscal document"},
            404: {"description": "unknown invoice"},
            409: {"description": "not stamped yet"},
        },
    )
    def get_invoice_xml(invoice_id: str, scope: CallerScope) -> Response:
        """The invoice's fiscal document as the provider stamped it: for a Mexican company
        its CFDI 4.0 with the TimbreFiscalDigital."""
        invoice = reachable_invoice(invoice_id, scope)
        if invoice.stamp is None:
            raise InvoiceNotStamped(invoice.number)
        return Response(
            content=base64.b64decode(invoice.stamp["xml"]),
            media_type="application/xml",
            headers={"content-disposition": f'inline; filename="{invoice.number}.xml"'},
        )

    @router.get(
        "/invoices/{invoice_id}/pdf",
        response_class=Response,
        dependencies=[allow(*DOCUMENT_READERS)],
        responses={
            200: {"content": {"application/pdf": {}}, "description": "the invoice PDF"},
            404: {"description": "unknown invoice"},
        },
    )
    def get_invoice_pdf(invoice_id: str, scope: CallerScope) -> Response:
        """The invoice as a PDF in the customer's language: company and customer, lines,
        taxes, totals, payment terms and installments, number, fiscal folio and stamp."""
        invoice = reachable_invoice(invoice_id, scope)
        document = invoice_pdf.render(
            invoice, app.recipient(invoice.customer_id), app.find_receivable(invoice.id)
        )
        return Response(
            content=document,
            media_type="application/pdf",
            headers={"content-disposition": f'inline; filename="{invoice.number}.pdf"'},
        )

    @router.post(
        "/invoices/{invoice_id}/payments",
        status_code=status.HTTP_201_CREATED,
        response_model=PaymentPublic,
        dependencies=[allow(BACK_OFFICE)],
        responses={
            404: {"description": "unknown invoice"},
            409: {"description": "changed concurrently; retry"},
            422: {"description": "invalid amount, or more than is open"},
        },
    )
    def record_payment(
        invoice_id: str,
        body: PaymentCreate,
        response: Response,
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> PaymentPublic:
        """Record a payment. The same ``Idempotency-Key`` again returns the first
        payment's response and records nothing."""
        receipt = app.record_payment(invoice_id, body.amount, idempotency_key, body.installment)
        if not receipt.created:
            response.headers["idempotent-replay"] = "true"
        return PaymentPublic(
            payment_id=str(receipt.payment_id),
            invoice_id=str(receipt.invoice_id),
            amount=receipt.amount,
            open_amount=receipt.open_amount,
        )

    @router.post(
        "/invoices/{invoice_id}/cancel",
        response_model=InvoicePublic,
        dependencies=[allow(BACK_OFFICE)],
        responses={
            404: {"description": "unknown invoice"},
            409: {"description": "paid or credited: issue a credit note; provider refused"},
        },
    )
    def cancel_invoice(invoice_id: str, body: InvoiceCancel) -> InvoicePublic:
        """Cancel an unpaid invoice with a reason: its receivable and journal entry are
        reversed and it shows in the customer's statement (InvoiceCancelled); a stamped
        fiscal document is cancelled at the provider. Again: the same answer."""
        invoice = app.cancel_invoice(invoice_id, body.reason)
        return invoice_detail(invoice, app.find_receivable(invoice.id))

    @router.post(
        "/invoices/{invoice_id}/credit-notes",
        status_code=status.HTTP_201_CREATED,
        response_model=CreditNotePublic,
        dependencies=[allow(BACK_OFFICE)],
        responses={
            404: {"description": "unknown invoice"},
            409: {"description": "cancelled, or credited in full already"},
            422: {"description": "lines or amount beyond what remains creditable"},
        },
    )
    def issue_credit_note(
        invoice_id: str,
        body: CreditNoteCreate,
        response: Response,
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> CreditNotePublic:
        """A credit note against the invoice, numbered in its own series: in full when
        neither ``lines`` nor ``amount`` is given, else for those lines or that amount
        (tax included). It reverses its part of the receivable and journal entry, shows in
        the statement and is published (CreditNoteIssued). The same ``Idempotency-Key``
        again answers the first one."""
        note, created = app.issue_credit_note(
            invoice_id,
            body.reason,
            lines=(
                [(line.sku, line.quantity) for line in body.lines]
                if body.lines is not None
                else None
            ),
            amount=body.amount,
            returned_goods=body.returned_goods,
            idempotency_key=idempotency_key,
        )
        if not created:
            response.headers["idempotent-replay"] = "true"
        invoice = app.get_invoice(invoice_id)
        return CreditNotePublic(
            credit_note_id=str(note.credit_note_id),
            invoice_id=str(invoice.id),
            number=note.number,
            reason=note.reason,
            net_amount=note.net_amount,
            total=note.total,
            invoice_open_amount=invoice.open_amount,
        )

    @router.get("/receivables/aging", response_model=AgingPublic, dependencies=readers)
    def receivables_aging(
        scope: CallerScope, as_of: str | None = None, customer_id: str | None = None
    ) -> AgingPublic:
        """What is open of the receivables the caller may see (of one customer when
        given), by days past each installment's due date on ``as_of`` (default today):
        current, 1-30, 31-60, 61-90, >90."""
        moment = parse_when(as_of, "as_of", end=False)
        day = moment.date() if moment is not None else datetime.now(UTC).date()
        buckets = receivables.aging(scope, day, customer_id)
        return AgingPublic(
            as_of=day,
            buckets=[AgingBucketPublic(label=b.label, total=b.total) for b in buckets],
        )

    @router.get(
        "/customers/{customer_id}/statement",
        response_model=StatementPublic,
        dependencies=readers,
        responses={404: {"description": "no entries for this customer"}},
    )
    def get_statement(customer_id: str, scope: CallerScope) -> StatementPublic:
        """The customer's account statement: invoices debit, payments credit."""
        return statement_public(statements.get_statement(scope, customer_id))

    return router


def day_of(moment: datetime | None, field: str) -> date | None:
    """A due-date bound as a day: due dates are days, so a bound must be one."""
    if moment is None:
        return None
    if moment.time() != datetime.min.time():
        raise InvalidInput(f"{field} must be a date", field=field)
    return moment.date()


def invoice_summary(invoice: InvoiceSummary) -> InvoiceSummaryPublic:
    stamp = invoice.stamp
    return InvoiceSummaryPublic(
        invoice_id=str(invoice.invoice_id),
        order_id=invoice.order_id,
        customer_id=invoice.customer_id,
        number=invoice.number,
        status=invoice.status,
        currency=invoice.currency,
        net_total=invoice.net_total,
        tax_total=invoice.tax_total,
        total=invoice.total,
        open_amount=invoice.open_amount,
        issued_at=invoice.issued_at,
        stamp=(
            StampPublic(uuid=stamp.uuid, stamped_at=stamp.stamped_at, provider=stamp.provider)
            if stamp
            else None
        ),
    )


def invoice_detail(invoice: Invoice, receivable: Receivable | None) -> InvoicePublic:
    stamp = invoice.stamp
    return InvoicePublic(
        invoice_id=str(invoice.id),
        order_id=invoice.order_id,
        customer_id=invoice.customer_id,
        goods_issue_id=invoice.goods_issue_id,
        goods_issue_ids=invoice.goods_issue_ids,
        number=invoice.number,
        status=invoice.status,
        currency=invoice.currency,
        issued_at=invoice.issued_at,
        lines=[InvoiceLinePublic(**line) for line in invoice.lines],
        net_total=invoice.net_total,
        tax_total=invoice.tax_total,
        total=invoice.total,
        open_amount=invoice.open_amount,
        installments=[
            InstallmentPublic(**installment)
            for installment in (receivable.installments if receivable else [])
        ],
        stamp=(
            StampDetailPublic(
                uuid=stamp["uuid"],
                stamped_at=stamp["stamped_at"],
                provider=stamp["provider"],
                signature=stamp["signature"],
                xml=base64.b64decode(stamp["xml"]).decode("utf-8"),
            )
            if stamp
            else None
        ),
        stamping_attempts=invoice.stamping_attempts,
        last_stamping_error=invoice.last_stamping_error,
        payments=[
            PaymentSummaryPublic(
                payment_id=str(payment.payment_id),
                amount=payment.amount,
                open_after=payment.open_after,
                received_at=payment.received_at,
            )
            for payment in invoice.payments
        ],
        installments_open=invoice.installments_open(receivable.installments if receivable else []),
        credit_notes=[
            CreditNoteSummaryPublic(
                credit_note_id=str(note.credit_note_id),
                number=note.number,
                reason=note.reason,
                total=note.total,
                net_amount=note.net_amount,
                issued_at=note.issued_at,
            )
            for note in invoice.credit_notes
        ],
        cancel_reason=invoice.cancel_reason,
    )


def statement_public(statement: Statement) -> StatementPublic:
    return StatementPublic(
        customer_id=statement.customer_id,
        balance=statement.balance,
        entries=[
            StatementEntryPublic(
                date=entry.date,
                type=entry.type,
                reference=entry.reference,
                currency=entry.currency,
                debit=entry.debit,
                credit=entry.credit,
                balance=entry.balance,
            )
            for entry in statement.entries
        ],
    )
