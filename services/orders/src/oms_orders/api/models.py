"""Request (``<Thing>Create``) and response (``<Thing>Public``) models of the orders API.
Money travels as a decimal string ("100.00"), quantities as JSON numbers (the kit's
``Money`` and ``Quantity``)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from oms_kit.types import MAX_QUANTITY, Money, MoneyIn, Quantity, QuantityIn
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
]
PaymentTerms = Annotated[list[Annotated[int, Field(gt=0)]], Field(min_length=1)]
Origin = Literal["backoffice", "rep", "portal", "marketplace", "partner", "quote"]
Language = Literal["pt", "es", "pl", "en", "de"]
#: One invoice per goods issue, or invoices made on demand from chosen goods issues.
Invoicing = Literal["per_goods_issue", "on_demand"]
Id = Annotated[str, StringConstraints(min_length=1, max_length=200)]
#: A fiscal code (c_RegimenFiscal, a postal code, c_UsoCFDI, a SAT key): checked by the
#: service for the company's fiscal country (422 naming the field).
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]


class CustomerCreate(BaseModel):
    name: Text
    tax_id: Text
    email: Email
    credit_limit: MoneyIn
    payment_terms_days: PaymentTerms = [30]
    sales_rep_id: Id | None = None
    #: The company's (settings) when not given.
    language: Language | None = None
    currency: Currency | None = None
    #: A Mexican company's customer (DESIGN section 10): c_RegimenFiscal, the postal code
    #: of his fiscal address, c_UsoCFDI ("G03" when not given); ``tax_id`` is his RFC.
    fiscal_regime: Code | None = None
    postal_code: Code | None = None
    cfdi_use: Code | None = None
    invoicing: Invoicing = "per_goods_issue"


class CustomerUpdate(BaseModel):
    name: Text | None = None
    email: Email | None = None
    credit_limit: MoneyIn | None = None
    payment_terms_days: PaymentTerms | None = None
    sales_rep_id: Id | None = None
    language: Language | None = None
    tax_id: Text | None = None
    fiscal_regime: Code | None = None
    postal_code: Code | None = None
    cfdi_use: Code | None = None
    invoicing: Invoicing | None = None
    #: The price list his lines take their prices from (in his currency).
    price_list_id: Id | None = None


class CustomerPublic(BaseModel):
    customer_id: str
    name: str
    tax_id: str
    email: str
    credit_limit: Money
    currency: str
    payment_terms_days: list[int]
    sales_rep_id: str | None
    language: str | None
    open_balance: Money
    #: Orders that passed the credit check, not invoiced yet: with the open balance, the
    #: credit used (DESIGN section 15).
    unbilled_orders: Money = Decimal("0.00")
    fiscal_regime: str | None = None
    postal_code: str | None = None
    cfdi_use: str | None = None
    invoicing: Invoicing = "per_goods_issue"
    price_list_id: str | None = None


class CustomerSummaryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    customer_id: str
    name: str
    tax_id: str
    email: str
    currency: str
    language: str | None
    sales_rep_id: str | None


class CustomerListPublic(BaseModel):
    items: list[CustomerSummaryPublic]
    next_cursor: str | None


class ProductCreate(BaseModel):
    sku: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}$")]
    name: Text
    unit_price: MoneyIn
    currency: Currency
    tax_rate: Annotated[Decimal, Field(ge=0, le=1, allow_inf_nan=False)]
    #: SAT's c_ClaveProdServ and c_ClaveUnidad (a Mexican company's; "01010101" and
    #: "H87" when not given).
    sat_product_key: Code | None = None
    sat_unit_key: Code | None = None


class ProductPublic(BaseModel):
    sku: str
    name: str
    unit_price: Money
    currency: str
    tax_rate: Money
    sat_product_key: str | None = None
    sat_unit_key: str | None = None
    #: Where its photo is (``GET /products/{sku}/image``); None without one.
    image_url: str | None = None
    #: Its stock as last heard from inventory; None while nothing was heard.
    on_hand: Quantity | None = None
    reserved: Quantity | None = None
    available: Quantity | None = None


class PriceListItemCreate(BaseModel):
    sku: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    #: The list's own unit price (> 0), in the list's currency.
    unit_price: MoneyIn | None = None
    #: Off the list's unit price, or off the catalogue's when the list gives none.
    discount_percent: Annotated[Decimal, Field(ge=0, le=100, allow_inf_nan=False)] | None = None


class PriceListCreate(BaseModel):
    name: Text
    currency: Currency
    valid_from: date | None = None
    valid_to: date | None = None
    items: Annotated[list[PriceListItemCreate], Field(min_length=1, max_length=10_000)]


class PriceListCreatedPublic(BaseModel):
    price_list_id: str


class PriceListItemPublic(BaseModel):
    sku: str
    unit_price: Money | None
    discount_percent: Money | None


class PriceListPublic(BaseModel):
    price_list_id: str
    name: str
    currency: str
    valid_from: date | None
    valid_to: date | None
    items: list[PriceListItemPublic]


class PriceListSummaryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    price_list_id: str
    name: str
    currency: str
    valid_from: date | None
    valid_to: date | None
    item_count: int
    created_at: datetime


class PriceListListPublic(BaseModel):
    items: list[PriceListSummaryPublic]
    next_cursor: str | None


class LineCreate(BaseModel):
    sku: Annotated[str, StringConstraints(min_length=1)]
    quantity: QuantityIn
    unit_price: MoneyIn | None = None
    discount_percent: Annotated[Decimal, Field(ge=0, le=100, allow_inf_nan=False)] | None = None
    discount_amount: MoneyIn | None = None
    note: str | None = None


class OrderCreate(BaseModel):
    customer_id: Annotated[str, StringConstraints(min_length=1)]
    lines: Annotated[list[LineCreate], Field(min_length=1)]
    #: Follows the caller (a rep's "rep", a customer's "portal"); only the back office
    #: sets another, and its orders default to "backoffice".
    origin: Origin | None = None
    #: When the customer expects the goods (it dates the order's commission to invoice).
    expected_delivery_date: date | None = None


class OrderCancel(BaseModel):
    reason: Text = "cancelled on request"


class LinePublic(BaseModel):
    line_no: int
    sku: str
    quantity: Quantity
    unit_price: Money
    discount_percent: Money | None
    discount_amount: Money | None
    tax_rate: Money
    net_amount: Money
    tax_amount: Money
    note: str | None
    #: Where the unit price came from: "catalogue", "price_list" or "manual" (given with
    #: the line); None for lines priced before it was kept.
    price_source: Literal["catalogue", "price_list", "manual"] | None = None
    #: An order's line: the stock available when it was entered, as last heard from
    #: inventory (None when nothing was heard, and on quotes).
    available_at_entry: Quantity | None = None


class StampPublic(BaseModel):
    uuid: str
    stamped_at: datetime


class InvoicePublic(BaseModel):
    invoice_id: str
    number: str
    #: issued, paid, cancelled (it counts no more) or credited (in full by credit notes)
    status: str
    total: Money
    stamp: StampPublic | None


class CreditNotePublic(BaseModel):
    """A credit note billing issued against one of the order's invoices."""

    credit_note_id: str
    invoice_id: str
    number: str
    total: Money


class ShipmentLinePublic(BaseModel):
    sku: str
    quantity: Quantity
    warehouse: str
    lot: str


class ShipmentPublic(BaseModel):
    goods_issue_id: str
    lines: list[ShipmentLinePublic]
    #: The courier's, once inventory booked the shipment (``POST
    #: /goods-issues/{id}/shipment``).
    tracking_number: str | None = None
    carrier: str | None = None


class InstallmentPublic(BaseModel):
    """An installment of a receivable of the order's invoices (as billing opened it)."""

    receivable_id: str
    number: int
    due_on: date
    amount: Money


class OrderPublic(BaseModel):
    order_id: str
    customer_id: str
    status: str
    status_reason: str | None
    #: pending (released, inventory has not answered), reserved, short, released
    #: (cancelled), or None before release (DESIGN section 4).
    stock_status: Literal["pending", "reserved", "short", "released"] | None = None
    origin: str
    external_order_id: str | None
    currency: str
    quote_id: str | None
    issued_at: datetime
    lines: list[LinePublic]
    net_total: Money
    tax_total: Money
    total: Money
    invoiced_amount: Money
    paid_amount: Money
    invoices: list[InvoicePublic]
    #: What credit notes took off its invoices (tax included).
    credited_amount: Money = Decimal(0)
    credit_notes: list[CreditNotePublic] = []
    shipments: list[ShipmentPublic]
    #: When its receivables fall due (``GET /orders?due_from=&due_to=`` filters by them).
    installments: list[InstallmentPublic] = []
    #: A marketplace's or partner's order: where it was sold, its buyer and ship-to.
    channel: str | None = None
    buyer: dict[str, Any] | None = None
    ship_to: dict[str, Any] | None = None
    note: str | None = None


class OrderStatusPublic(BaseModel):
    order_id: str
    status: str
    status_reason: str | None


class OrderSummaryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    order_id: str
    customer_id: str
    status: str
    status_reason: str | None
    total: Money
    currency: str
    origin: str
    external_order_id: str | None
    issued_at: datetime
    invoice_numbers: list[str]


class StatusTotalPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    count: int
    total: Money


class OrderListPublic(BaseModel):
    items: list[OrderSummaryPublic]
    totals_by_status: dict[str, StatusTotalPublic]
    next_cursor: str | None


class HistoryItemPublic(BaseModel):
    event_type: str
    occurred_at: datetime
    actor: str | None
    data: dict[str, Any]


class HistoryPublic(BaseModel):
    items: list[HistoryItemPublic]


class QuoteCreate(BaseModel):
    customer_id: Annotated[str, StringConstraints(min_length=1)]
    lines: Annotated[list[LineCreate], Field(min_length=1)]
    valid_until: date | None = None


class QuoteRevise(BaseModel):
    lines: Annotated[list[LineCreate], Field(min_length=1)]


class QuoteReject(BaseModel):
    reason: str | None = None


class QuotePublic(BaseModel):
    quote_id: str
    customer_id: str
    status: str
    status_reason: str | None
    revision: int
    currency: str
    valid_until: date | None
    lines: list[LinePublic]
    net_total: Money
    tax_total: Money
    total: Money
    order_id: str | None
    duplicated_from: str | None


class QuoteSummaryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    quote_id: str
    customer_id: str
    status: str
    status_reason: str | None
    revision: int
    currency: str
    total: Money
    valid_until: date | None
    order_id: str | None
    created_at: datetime


class QuoteListPublic(BaseModel):
    items: list[QuoteSummaryPublic]
    totals_by_status: dict[str, StatusTotalPublic]
    next_cursor: str | None


class QuoteAcceptedPublic(BaseModel):
    quote_id: str
    status: str
    order_id: str
    order_status: str


class AttachmentPublic(BaseModel):
    attachment_id: str
    name: str
    kind: Literal["proposal", "contract", "signed_contract", "other"]
    content_type: str
    size: int
    uploaded_at: datetime
    #: Who uploaded it (the token's subject); None for the proposal, which is made.
    uploaded_by: str | None


class AttachmentListPublic(BaseModel):
    items: list[AttachmentPublic]


# The catalogue for B2B ordering and the cart (DESIGN sections 14 and 15) -----------------


class CatalogueItemPublic(BaseModel):
    sku: str
    name: str
    unit_price: Money
    currency: str
    image_url: str | None
    on_hand: Quantity | None
    reserved: Quantity | None
    available: Quantity | None


class CatalogueListPublic(BaseModel):
    items: list[CatalogueItemPublic]
    next_cursor: str | None


class AssociatedUpdate(BaseModel):
    skus: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]]


class AssociatedProductPublic(BaseModel):
    sku: str
    name: str
    unit_price: Money
    currency: str


class AssociatedListPublic(BaseModel):
    items: list[AssociatedProductPublic]


class CartLineUpdate(BaseModel):
    #: 0 removes the line.
    quantity: Annotated[Quantity, Field(ge=0, le=MAX_QUANTITY, allow_inf_nan=False)]


class CartLinePublic(BaseModel):
    sku: str
    name: str
    quantity: Quantity
    unit_price: Money
    net_amount: Money
    #: As last heard from inventory; None while nothing was heard.
    available: Quantity | None


class SavedItemPublic(BaseModel):
    sku: str
    name: str


class CartPublic(BaseModel):
    lines: list[CartLinePublic]
    saved: list[SavedItemPublic]
    net_total: Money
    tax_total: Money
    #: What the order placed now would come to (tax included).
    total: Money
    currency: str
    #: Products associated with the cart's lines that are not in it.
    suggestions: list[AssociatedProductPublic]


class CheckoutCreate(BaseModel):
    #: The note to the seller, kept on the order.
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


class CheckoutPublic(BaseModel):
    order_id: str
    status: str
    total: Money
    currency: str
