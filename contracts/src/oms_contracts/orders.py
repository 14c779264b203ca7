"""Public events of the orders service: customers, products, quotes and sales orders; users
and sales reps (never a password, a hash or a secret)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from oms_contracts.base import ContractEvent, Day, DecimalStr, Quantity, UtcDatetime


class _Orders(ContractEvent):
    source = "orders"


class Line(BaseModel):
    """A priced line of a quote or order; amounts are in the document's currency."""

    model_config = ConfigDict(frozen=True)

    line_no: int = Field(ge=1)
    sku: str
    quantity: Quantity
    unit_price: DecimalStr
    discount_percent: DecimalStr | None = None
    discount_amount: DecimalStr | None = None
    tax_rate: DecimalStr
    net_amount: DecimalStr
    note: str | None = None
    #: The product's name and SAT keys (c_ClaveProdServ, c_ClaveUnidad) as they were when
    #: the line was priced: what the invoice documents print.
    name: str | None = None
    sat_product_key: str | None = None
    sat_unit_key: str | None = None


#: How a customer is invoiced: one invoice per goods issue (the default), or invoices made
#: on demand from the goods issues the back office chooses (DESIGN section 15).
Invoicing = Literal["per_goods_issue", "on_demand"]


class CustomerRegistered(_Orders):
    customer_id: str
    name: str
    tax_id: str
    email: str
    credit_limit: DecimalStr
    currency: str
    payment_terms_days: list[int]
    sales_rep_id: str | None = None
    language: str | None = None
    #: A Mexican company's customer (``tax_id`` is his RFC): c_RegimenFiscal, his fiscal
    #: address's postal code and c_UsoCFDI.
    fiscal_regime: str | None = None
    postal_code: str | None = None
    cfdi_use: str | None = None
    invoicing: Invoicing = "per_goods_issue"


class CustomerUpdated(_Orders):
    """Only the fields that changed are set."""

    customer_id: str
    name: str | None = None
    email: str | None = None
    credit_limit: DecimalStr | None = None
    payment_terms_days: list[int] | None = None
    sales_rep_id: str | None = None
    language: str | None = None
    tax_id: str | None = None
    fiscal_regime: str | None = None
    postal_code: str | None = None
    cfdi_use: str | None = None
    #: Set only when it changed (None: unchanged), like every field here.
    invoicing: Invoicing | None = None


class ProductDefined(_Orders):
    sku: str
    name: str
    unit_price: DecimalStr
    currency: str
    tax_rate: DecimalStr
    #: SAT's product or service key (c_ClaveProdServ) and unit key (c_ClaveUnidad).
    sat_product_key: str | None = None
    sat_unit_key: str | None = None


class QuoteCreated(_Orders):
    quote_id: str
    customer_id: str
    currency: str
    lines: list[Line]
    total: DecimalStr
    valid_until: Day | None = None


class QuoteRevised(_Orders):
    quote_id: str
    revision: int
    lines: list[Line]
    total: DecimalStr


class QuoteSent(_Orders):
    quote_id: str
    customer_id: str
    email: str


class QuoteAccepted(_Orders):
    quote_id: str
    order_id: str


class QuoteRejected(_Orders):
    quote_id: str
    reason: str | None = None


class QuoteExpired(_Orders):
    quote_id: str


class QuoteApproved(_Orders):
    """The customer approved the proposal (in the portal): its order awaits invoicing
    until the back office releases it."""

    quote_id: str
    order_id: str
    approved_by: str | None = None


class ContractAttached(_Orders):
    """A sales contract was attached to the quote: the customer must sign it before he
    may approve. The file itself is fetched from ``GET /attachments/{attachment_id}``."""

    quote_id: str
    attachment_id: str
    name: str
    content_type: str
    size: int


class ContractSigned(_Orders):
    """The customer uploaded the signed contract (named in his language)."""

    quote_id: str
    attachment_id: str
    name: str
    content_type: str
    size: int


class OrderPlaced(_Orders):
    order_id: str
    customer_id: str
    origin: str
    currency: str
    lines: list[Line]
    net_total: DecimalStr
    tax_total: DecimalStr
    total: DecimalStr
    status: str
    quote_id: str | None = None
    #: When the customer expects the goods, if the order says.
    expected_delivery_date: Day | None = None
    sales_rep_id: str | None = None
    #: A marketplace's or partner's order: its id there and where it was sold.
    external_order_id: str | None = None
    channel: str | None = None


class OrderApproved(_Orders):
    order_id: str
    approved_by: str | None = None


class OrderConfirmed(_Orders):
    """Released ("Pedido"): inventory reserves stock, billing may invoice."""

    order_id: str
    customer_id: str
    currency: str
    lines: list[Line]
    total: DecimalStr
    payment_terms_days: list[int] = Field(default_factory=list)
    expected_delivery_date: Day | None = None
    #: The customer's invoicing choice when the order was released: "per_goods_issue" (an
    #: invoice per goods issue) or "on_demand" (goods issues wait to be chosen); None from
    #: a publisher that does not say (billing then goes by the customer's events).
    invoicing: str | None = None


class OrderPutOnHold(_Orders):
    order_id: str
    reason: str


class OrderCancelled(_Orders):
    order_id: str
    reason: str


class OrderStatusChanged(_Orders):
    """Every change of an order's status (or of its reason), the first one too: the one
    event to follow for whoever only wants the status (DESIGN section 4)."""

    order_id: str
    status: str
    reason: str | None = None
    previous_status: str | None = None


class OrderCompleted(_Orders):
    order_id: str
    completed_at: UtcDatetime


class SalesRepRegistered(_Orders):
    sales_rep_id: str
    name: str
    email: str


class UserRegistered(_Orders):
    """A user who may sign in; the id his role stands for is set (a sales rep's, a
    customer's or a partner's)."""

    user_id: str
    username: str
    role: str
    sales_rep_id: str | None = None
    customer_id: str | None = None
    partner_id: str | None = None
    language: str
