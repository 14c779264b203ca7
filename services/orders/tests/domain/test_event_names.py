"""Stored events are found again by their topic (``module:Aggregate.Event``): renaming an
event class or moving it would orphan every stored event of that type. These are the
names the orders service has stored since its first release."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    UUIDAsHex,
)
from eventsourcing.utils import get_topic
from oms_orders.domain.cart import Cart
from oms_orders.domain.customer import Customer
from oms_orders.domain.order import Order
from oms_orders.domain.price_list import PriceList
from oms_orders.domain.product import Product
from oms_orders.domain.quote import Quote
from oms_orders.domain.stock import StockLevel

STORED_TOPICS = {
    "oms_orders.domain.customer:Customer.CustomerRegistered",
    "oms_orders.domain.customer:Customer.CustomerUpdated",
    "oms_orders.domain.customer:Customer.ReceivableRecorded",
    "oms_orders.domain.customer:Customer.PaymentRecorded",
    "oms_orders.domain.customer:Customer.CreditCommitted",
    "oms_orders.domain.customer:Customer.CreditReleased",
    "oms_orders.domain.customer:Customer.ReceivableReduced",
    "oms_orders.domain.product:Product.ProductDefined",
    "oms_orders.domain.product:Product.ProductImageChanged",
    "oms_orders.domain.product:Product.ProductAssociationsChanged",
    "oms_orders.domain.stock:StockLevel.StockLevelOpened",
    "oms_orders.domain.stock:StockLevel.StockLevelHeard",
    "oms_orders.domain.cart:Cart.CartOpened",
    "oms_orders.domain.cart:Cart.CartLineSet",
    "oms_orders.domain.cart:Cart.CartLineSavedForLater",
    "oms_orders.domain.cart:Cart.SavedLineMovedToCart",
    "oms_orders.domain.cart:Cart.CartCheckedOut",
    "oms_orders.domain.order:Order.OrderPlaced",
    "oms_orders.domain.order:Order.OrderPutOnHold",
    "oms_orders.domain.order:Order.OrderApproved",
    "oms_orders.domain.order:Order.OrderConfirmed",
    "oms_orders.domain.order:Order.OrderCancelled",
    "oms_orders.domain.order:Order.ShipmentBooked",
    "oms_orders.domain.order:Order.StockReserved",
    "oms_orders.domain.order:Order.StockShortageReported",
    "oms_orders.domain.order:Order.ShipmentRecorded",
    "oms_orders.domain.order:Order.InvoiceRecorded",
    "oms_orders.domain.order:Order.InvoiceStamped",
    "oms_orders.domain.order:Order.InstallmentsRecorded",
    "oms_orders.domain.order:Order.PaymentRecorded",
    "oms_orders.domain.order:Order.InvoicePaid",
    "oms_orders.domain.order:Order.InvoiceCancelled",
    "oms_orders.domain.order:Order.CreditNoteRecorded",
    "oms_orders.domain.order:Order.OrderCompleted",
    "oms_orders.domain.order:Order.OrderStatusChanged",
    "oms_orders.domain.quote:Quote.QuoteCreated",
    "oms_orders.domain.quote:Quote.QuoteRevised",
    "oms_orders.domain.quote:Quote.QuoteSent",
    "oms_orders.domain.quote:Quote.QuoteAccepted",
    "oms_orders.domain.quote:Quote.QuoteRejected",
    "oms_orders.domain.quote:Quote.QuoteExpired",
    "oms_orders.domain.quote:Quote.AttachmentAdded",
    "oms_orders.domain.quote:Quote.ContractAttached",
    "oms_orders.domain.quote:Quote.ContractSigned",
    "oms_orders.domain.quote:Quote.QuoteApproved",
    "oms_orders.domain.price_list:PriceList.PriceListCreated",
}


def event_topics(*aggregates: type[Aggregate]) -> set[str]:
    return {
        get_topic(value)
        for aggregate in aggregates
        for value in vars(aggregate).values()
        if isinstance(value, type)
        and issubclass(value, Aggregate.Event)
        and value is not Order.StatusEvent
        and value.__name__ not in ("Event", "Created")
    }


def test_every_event_keeps_its_stored_topic() -> None:
    assert (
        event_topics(Customer, Product, Order, Quote, StockLevel, Cart, PriceList) == STORED_TOPICS
    )


def test_an_order_placed_before_external_order_ids_still_loads() -> None:
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    mapper: Mapper[UUID] = Mapper(transcoder=transcoder)
    order = Order.place(
        Customer(
            name="Ana",
            tax_id="T",
            email="a@example.com",
            credit_limit=Decimal("100.00"),
            currency="EUR",
            payment_terms_days=[30],
            sales_rep_id=None,
            language=None,
        ),
        [{"sku": "SKU-1", "quantity": Decimal(1), "net_amount": "1.00", "tax_amount": "0.00"}],
    )
    stored = mapper.to_stored_event(order.collect_events()[0])
    state = json.loads(stored.state)
    del state["external_order_id"]  # as stored before the field existed
    old = stored.__class__(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=json.dumps(state).encode(),
    )
    placed = mapper.to_domain_event(old)
    assert isinstance(placed, Order.OrderPlaced)
    assert placed.external_order_id is None
    loaded = placed.mutate(None)
    assert isinstance(loaded, Order)
    assert (loaded.external_order_id, loaded.total) == (None, Decimal("1.00"))


def test_a_customer_stored_before_invoicing_and_unbilled_orders_still_loads() -> None:
    """Registered before ``invoicing`` existed, a receivable before it named its order:
    invoiced per goods issue, the receivable counted in the open balance."""
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO()):
        transcoder.register(transcoding)
    mapper: Mapper[UUID] = Mapper(transcoder=transcoder)
    customer = Customer(
        name="Ana",
        tax_id="T",
        email="a@example.com",
        credit_limit=Decimal("100.00"),
        currency="EUR",
        payment_terms_days=[30],
        sales_rep_id=None,
        language=None,
    )
    customer.record_receivable("r-1", Decimal("40.00"))
    olds = []
    for new in customer.collect_events():
        stored = mapper.to_stored_event(new)
        state = json.loads(stored.state)
        state.pop("invoicing", None)  # as stored before the fields existed
        state.pop("order_id", None)
        olds.append(
            stored.__class__(
                originator_id=stored.originator_id,
                originator_version=stored.originator_version,
                topic=stored.topic,
                state=json.dumps(state).encode(),
            )
        )
    loaded: Any = None
    for old in olds:
        loaded = mapper.to_domain_event(old).mutate(loaded)
    assert isinstance(loaded, Customer)
    assert (loaded.invoicing, loaded.open_balance, loaded.unbilled) == (
        "per_goods_issue",
        Decimal("40.00"),
        {},
    )
