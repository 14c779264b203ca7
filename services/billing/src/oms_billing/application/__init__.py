"""The billing service's use cases: one Application method per command (it saves) or
reaction to a consumed event (it returns the aggregates it changed, unsaved: the kit stores
them with the event's tracking record in one transaction)."""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder, RecordConflictError, Transcoding
from oms_kit.eventstore import ServiceApplication

from oms_billing.application.documents import (
    FiscalDocumentFailed,
    FiscalDocuments,
    PlainInvoiceDocument,
    Recipient,
)
from oms_billing.application.stamping import (
    CancellingProvider,
    Stamp,
    StampingFailed,
    StampingProvider,
)
from oms_billing.domain.customer import ON_DEMAND, CustomerAccount
from oms_billing.domain.errors import (
    CancellationRefused,
    GoodsIssueInvoiced,
    GoodsIssueNotAwaiting,
    GoodsIssueNotInvoiceable,
    InvoiceNotFound,
)
from oms_billing.domain.invoice import CreditNoteRecord, Invoice, InvoiceSeries, PaymentRecord
from oms_billing.domain.order import BillingOrder, IssuedQuantity
from oms_billing.domain.receivable import JournalEntry, Receivable

log = logging.getLogger(__name__)

#: How often a payment is re-checked and retried when a concurrent one won the race.
PAYMENT_CONFLICT_RETRIES = 5


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


@dataclass(frozen=True)
class PaymentReceipt:
    payment_id: UUID
    invoice_id: UUID
    amount: Decimal
    open_amount: Decimal
    created: bool


class UnconfiguredStamping:
    """Until bootstrap configures a provider: every attempt fails and is retried."""

    def stamp(self, invoice_xml: bytes) -> Stamp:
        raise StampingFailed("no stamping provider configured")


class BillingApplication(ServiceApplication):
    name = "billing"

    stamping: StampingProvider = UnconfiguredStamping()
    documents: FiscalDocuments = PlainInvoiceDocument("OMS")
    series = "A"
    stamping_retry_base_s = 1.0
    stamping_retry_max_s = 300.0

    def configure(
        self,
        *,
        stamping: StampingProvider,
        documents: FiscalDocuments,
        series: str,
        retry_base_s: float,
        retry_max_s: float,
    ) -> None:
        self.stamping = stamping
        self.documents = documents
        self.series = series
        self.stamping_retry_base_s = retry_base_s
        self.stamping_retry_max_s = retry_max_s

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    # --- reactions to consumed events: each returns what it changed, unsaved ------------

    def confirm_order(
        self,
        *,
        order_id: str,
        customer_id: str,
        currency: str,
        lines: list[dict[str, Any]],
        total: Decimal,
        payment_terms_days: list[int],
        invoicing: str | None = None,
    ) -> list[Aggregate]:
        """Keep what billing needs of a confirmed order, then invoice any goods issues
        that arrived before it."""
        order = self._find_order(order_id) or BillingOrder(order_id=order_id)
        if order.confirmed:
            return []  # a repeat: the first confirmation stands
        order.confirm(customer_id, currency, lines, total, payment_terms_days, invoicing)
        changed: list[Aggregate] = [order]
        numbered: InvoiceSeries | None = None  # the series, once a number is taken
        on_demand = self._invoices_on_demand(order)
        for held in list(order.held):
            issued = [IssuedQuantity(li["sku"], Decimal(li["quantity"])) for li in held["lines"]]
            if on_demand:
                order.await_invoicing(held["goods_issue_id"], issued, datetime.now(UTC))
                continue
            series = numbered if numbered is not None else self._series()
            try:
                changed += self._issue(series, order, held["goods_issue_id"], issued)
            except GoodsIssueNotInvoiceable as exc:
                # Not the confirmation's fault: keep the reason on the order, go on.
                order.reject_goods_issue(held["goods_issue_id"], str(exc))
                continue
            numbered = series
        if numbered is not None:
            changed.append(numbered)  # the numbers taken, stored with their invoices
        return changed

    def invoice_goods_issue(
        self,
        *,
        goods_issue_id: str,
        order_id: str,
        lines: list[IssuedQuantity],
        issued_at: datetime | None = None,
    ) -> list[Aggregate]:
        """One invoice per goods issue, or (a customer invoiced on demand) the goods issue
        waits to be chosen. A goods issue for an order billing has not seen confirmed yet
        is held on the order and invoiced when the confirmation arrives."""
        order = self._find_order(order_id) or BillingOrder(order_id=order_id)
        if order.is_known_goods_issue(goods_issue_id):
            return []  # republished under another position: invoiced (or held) already
        if order.cancelled:
            order.reject_goods_issue(goods_issue_id, "the order is cancelled")
            return [order]
        if not order.confirmed:
            order.hold_goods_issue(goods_issue_id, lines)
            return [order]
        if self._invoices_on_demand(order):
            order.await_invoicing(goods_issue_id, lines, issued_at or datetime.now(UTC))
            return [order]
        series = self._series()
        return [order, series, *self._issue(series, order, goods_issue_id, lines)]

    def cancel_order(self, *, order_id: str, reason: str) -> BillingOrder | None:
        order = self._find_order(order_id)
        if order is None:
            return None  # never confirmed: nothing to bill
        order.cancel(reason)
        return order

    def _invoices_on_demand(self, order: BillingOrder) -> bool:
        """By the choice the order was released with (its OrderConfirmed says it, so a
        goods issue never races the customer's events), else by the customer's account."""
        if order.invoicing is not None:
            return order.invoicing == ON_DEMAND
        account = self.find(CustomerAccount, CustomerAccount.create_id(order.customer_id))
        return account is not None and account.invoices_on_demand

    def invoice_on_demand(self, goods_issues: list[tuple[str, str]]) -> tuple[list[Invoice], bool]:
        """Invoice the chosen waiting goods issues, (goods_issue_id, order_id) each: one
        invoice per order, numbered in the series as one batch (stored together: no gaps).
        The same choice again answers the same invoices (False: nothing new); a goods issue
        invoiced otherwise already is a conflict naming it, one not waiting is refused."""
        by_order: dict[str, list[str]] = {}
        for goods_issue_id, order_id in goods_issues:
            by_order.setdefault(order_id, []).append(goods_issue_id)
        for attempt in range(PAYMENT_CONFLICT_RETRIES):
            series = self._series()
            changed: list[Aggregate] = []
            invoices: list[Invoice] = []
            for order_id, ids in by_order.items():
                chosen = sorted(ids)
                order = self._find_order(order_id)
                if order is None:
                    raise GoodsIssueNotAwaiting(chosen[0])
                earlier = self._batch_invoice(order, chosen)
                if earlier is not None:
                    invoices.append(earlier)
                    continue
                for goods_issue_id in chosen:
                    if not order.is_awaiting(goods_issue_id):
                        raise GoodsIssueNotAwaiting(goods_issue_id)
                made = self._issue(
                    series,
                    order,
                    chosen[0],
                    order.awaiting_lines(chosen),
                    batch=chosen,
                )
                invoices.append(next(a for a in made if isinstance(a, Invoice)))
                changed += [order, *made]
            if not changed:
                return invoices, False
            try:
                self.save(series, *changed)
            except RecordConflictError:
                if attempt == PAYMENT_CONFLICT_RETRIES - 1:
                    raise
                continue
            return invoices, True
        raise AssertionError("unreachable")

    def _batch_invoice(self, order: BillingOrder, chosen: list[str]) -> Invoice | None:
        """The invoice made on demand of exactly ``chosen`` before; a conflict naming a
        goods issue invoiced otherwise."""
        for goods_issue_id in chosen:
            invoice_id = order.invoiced_goods_issues.get(goods_issue_id)
            if invoice_id is None:
                continue
            if order.batches.get(invoice_id) == chosen:
                return self.get_invoice(invoice_id)
            raise GoodsIssueInvoiced(goods_issue_id)
        return None

    def _issue(
        self,
        series: InvoiceSeries,
        order: BillingOrder,
        goods_issue_id: str,
        lines: list[IssuedQuantity],
        *,
        batch: list[str] | None = None,
    ) -> list[Aggregate]:
        """Price, number, stamp and book one invoice: the new invoice, receivable and
        journal entry. The number is taken from ``series``, which the caller returns with
        them: stored together, a number is used exactly when its invoice is stored (two
        issuers at once conflict on the series' version, and one of them re-runs)."""
        draft = order.price(lines)
        # On demand too the first goods issue names the invoice: each is invoiced once.
        invoice_id = Invoice.create_id(goods_issue_id)
        number = series.next_number(invoice_id)
        now = datetime.now(UTC)
        invoice = Invoice(
            goods_issue_id=goods_issue_id,
            goods_issue_ids=batch or [goods_issue_id],
            number=number,
            order_id=order.order_id,
            customer_id=order.customer_id,
            currency=order.currency,
            lines=draft.lines,
            net_total=draft.net_total,
            tax_total=draft.tax_total,
            total=draft.total,
            issued_at=now,
        )
        receivable = Receivable.open(
            invoice_id=invoice.id,
            order_id=order.order_id,
            customer_id=order.customer_id,
            currency=order.currency,
            amount=draft.total,
            issued_on=now.date(),
            terms_days=order.payment_terms_days,
        )
        entry = JournalEntry.for_invoice(
            invoice.id, order.currency, draft.net_total, draft.tax_total, draft.total
        )
        if batch is None:
            order.record_invoiced(goods_issue_id, invoice.id, draft)
        else:
            order.record_batch_invoiced(batch, invoice.id, draft)
        self._stamp(invoice)
        return [invoice, receivable, entry]

    def _series(self, name: str | None = None) -> InvoiceSeries:
        name = name or self.series
        series_id = InvoiceSeries.create_id(name)
        return self.find(InvoiceSeries, series_id) or InvoiceSeries(series=name)

    def _find_order(self, order_id: str) -> BillingOrder | None:
        return self.find(BillingOrder, BillingOrder.create_id(order_id))

    # --- a reaction: which rep a customer has (whose portfolio his invoices are in) ----

    def record_customer(
        self,
        *,
        customer_id: str,
        sales_rep_id: str | None,
        rep_named: bool,
        details: dict[str, Any],
        customer_version: int,
    ) -> CustomerAccount | None:
        """Keep a customer's rep (when this version of him names one: ``rep_named``) and
        the details his documents name, each as ``customer_version`` of the customer in the
        orders service set it; what an earlier or the same version set changes nothing."""
        account = self.find(CustomerAccount, CustomerAccount.create_id(customer_id))
        if account is None:
            account = CustomerAccount(customer_id=customer_id)
        changed = rep_named and account.assign_rep(sales_rep_id, customer_version)
        changed = account.record_details(details, customer_version) or changed
        return account if changed else None

    # --- stamping -------------------------------------------------------------------------

    def _stamp(self, invoice: Invoice) -> bool:
        """Build the invoice's fiscal document and have it stamped; a failure of either is
        recorded on the invoice and retried with backoff (the customer's fiscal data may be
        completed meanwhile, a provider may come back)."""
        try:
            xml = self.documents.build(invoice, self.recipient(invoice.customer_id))
            stamp = self.stamping.stamp(xml)
        except (StampingFailed, FiscalDocumentFailed) as exc:
            invoice.record_stamping_failure(str(exc) or type(exc).__name__, datetime.now(UTC))
            return False
        invoice.mark_stamped(
            stamp_uuid=stamp.uuid,
            stamped_at=stamp.stamped_at,
            provider=stamp.provider,
            signature=stamp.signature,
            xml=base64.b64encode(stamp.document or xml).decode("ascii"),
        )
        return True

    def recipient(self, customer_id: str) -> Recipient:
        """Whom the customer's invoice documents name, as billing knows him now."""
        account = self.find(CustomerAccount, CustomerAccount.create_id(customer_id))
        return Recipient.of(customer_id, account)

    def retry_stamping(self, invoice_id: UUID | str) -> bool:
        """Try a failed stamping again when its backoff has passed; True when stamped now.
        A concurrent change of the invoice makes this attempt lapse (tried next pass)."""
        invoice = self.get_invoice(invoice_id)
        if not invoice.stamping_due(
            datetime.now(UTC), self.stamping_retry_base_s, self.stamping_retry_max_s
        ):
            return False
        stamped = self._stamp(invoice)
        try:
            self.save(invoice)
        except RecordConflictError:
            log.info("invoice %s changed during a stamping retry; retried later", invoice_id)
            return False
        return stamped

    # --- payments -------------------------------------------------------------------------

    def record_payment(
        self,
        invoice_id: UUID | str,
        amount: Decimal,
        idempotency_key: str | None = None,
        installment: int | None = None,
    ) -> PaymentReceipt:
        """Record a payment against an invoice's ``installment`` (its number, 1-based), or
        its oldest open installments when none is named, with its journal entry (cash
        against receivables); it never exceeds what is open, even with concurrent payments
        (a conflict reloads, re-checks and tries again). The same ``idempotency_key`` again
        returns the first payment and records nothing."""
        for attempt in range(PAYMENT_CONFLICT_RETRIES):
            invoice = self.get_invoice(invoice_id)
            earlier = invoice.payment_for_key(idempotency_key)
            if earlier is not None:
                return self._receipt(invoice.id, earlier, created=False)
            payment_id = (
                uuid5(invoice.id, f"payment/{idempotency_key}") if idempotency_key else uuid4()
            )
            payment = invoice.record_payment(
                payment_id,
                amount,
                datetime.now(UTC),
                idempotency_key,
                installments=self._installments(invoice.id),
                installment=installment,
            )
            entry = JournalEntry.for_payment(invoice.id, payment_id, invoice.currency, amount)
            try:
                self.save(invoice, entry)
            except RecordConflictError:
                if attempt == PAYMENT_CONFLICT_RETRIES - 1:
                    raise
                continue
            return self._receipt(invoice.id, payment, created=True)
        raise AssertionError("unreachable")

    def _installments(self, invoice_id: UUID) -> list[dict[str, Any]]:
        receivable = self.find_receivable(invoice_id)
        return receivable.installments if receivable is not None else []

    # --- cancellation and credit notes ----------------------------------------------------

    def cancel_invoice(self, invoice_id: UUID | str, reason: str) -> Invoice:
        """Cancel an unpaid invoice: its receivable falls to nothing and its journal entry
        is reversed; a stamped fiscal document is cancelled at the provider first (a
        refusal is a conflict and changes nothing). A repeat changes nothing."""
        for attempt in range(PAYMENT_CONFLICT_RETRIES):
            invoice = self.get_invoice(invoice_id)
            if not invoice.cancel(reason, datetime.now(UTC)):
                return invoice
            self._cancel_at_provider(invoice, reason)
            entry = JournalEntry.reversal(
                invoice.id,
                "cancellation",
                invoice.currency,
                invoice.net_total,
                invoice.tax_total,
                invoice.total,
            )
            try:
                self.save(invoice, entry)
            except RecordConflictError:
                if attempt == PAYMENT_CONFLICT_RETRIES - 1:
                    raise
                continue
            return invoice
        raise AssertionError("unreachable")

    def _cancel_at_provider(self, invoice: Invoice, reason: str) -> None:
        if invoice.stamp is None or not isinstance(self.stamping, CancellingProvider):
            return
        try:
            self.stamping.cancel(invoice.stamp["uuid"], reason)
        except StampingFailed as exc:
            raise CancellationRefused(
                f"the provider did not cancel invoice {invoice.number}: {exc}",
                field="invoice_id",
            ) from exc

    def issue_credit_note(
        self,
        invoice_id: UUID | str,
        reason: str,
        *,
        lines: list[tuple[str, Decimal]] | None = None,
        amount: Decimal | None = None,
        returned_goods: bool = False,
        idempotency_key: str | None = None,
    ) -> tuple[CreditNoteRecord, bool]:
        """A credit note against an invoice: in full (neither ``lines`` nor ``amount``),
        by lines (sku, quantity) or by an amount with tax; never more than remains
        creditable. Numbered in the credit notes' own series (taken exactly when it is
        stored, as invoices' numbers are), with the reversal of its part of the journal
        entry. The same ``idempotency_key`` again returns the first one (False: not new)."""
        for attempt in range(PAYMENT_CONFLICT_RETRIES):
            invoice = self.get_invoice(invoice_id)
            earlier = invoice.credit_note_for_key(idempotency_key)
            if earlier is not None:
                return earlier, False
            draft = invoice.draft_credit(lines, amount)
            credit_note_id = (
                uuid5(invoice.id, f"credit-note/{idempotency_key}") if idempotency_key else uuid4()
            )
            series = self._series(self.credit_note_series)
            number = series.next_number(credit_note_id)
            note = invoice.credit(
                credit_note_id,
                number,
                reason,
                draft,
                datetime.now(UTC),
                installments=self._installments(invoice.id),
                returned_goods=returned_goods,
                idempotency_key=idempotency_key,
            )
            entry = JournalEntry.reversal(
                invoice.id,
                f"credit-note/{credit_note_id}",
                invoice.currency,
                draft.net_amount,
                draft.tax_amount,
                draft.total,
            )
            try:
                self.save(invoice, series, entry)
            except RecordConflictError:
                if attempt == PAYMENT_CONFLICT_RETRIES - 1:
                    raise
                continue
            return note, True
        raise AssertionError("unreachable")

    @property
    def credit_note_series(self) -> str:
        """The credit notes' numbering series: the invoices' series with "NC"."""
        return f"{self.series}-NC"

    def journal_entry(self, invoice_id: UUID, key: str = "") -> JournalEntry | None:
        return self.find(JournalEntry, JournalEntry.create_id(invoice_id, key))

    @staticmethod
    def _receipt(invoice_id: UUID, payment: PaymentRecord, *, created: bool) -> PaymentReceipt:
        return PaymentReceipt(
            payment_id=payment.payment_id,
            invoice_id=invoice_id,
            amount=payment.amount,
            open_amount=payment.open_after,
            created=created,
        )

    # --- queries --------------------------------------------------------------------------

    def get_invoice(self, invoice_id: UUID | str) -> Invoice:
        invoice = self.find_invoice(invoice_id)
        if invoice is None:
            raise InvoiceNotFound(invoice_id)
        return invoice

    def find_invoice(self, invoice_id: UUID | str) -> Invoice | None:
        return self.find(Invoice, invoice_id)

    def find_receivable(self, invoice_id: UUID) -> Receivable | None:
        return self.find(Receivable, Receivable.create_id(invoice_id))
