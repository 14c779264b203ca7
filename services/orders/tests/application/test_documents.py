"""A quote's documents in memory (DESIGN section 10): attachments and their limits, the
signed contract named in the customer's language, the customer's approval that places an
order awaiting invoicing, the back office's release; the events published on the way;
``stock_status`` and OrderStatusChanged on the order."""

from __future__ import annotations

from decimal import Decimal

import pytest
from oms_contracts.inventory import LotQuantity, StockReserved, StockShortage
from oms_contracts.orders import (
    ContractAttached,
    ContractSigned,
    OrderStatusChanged,
    QuoteApproved,
)
from oms_dev.inmemory import ServiceInMemory
from oms_kit.domain import Conflict, InvalidInput, NotFound
from oms_orders.application import OrdersApplication
from oms_orders.documents.attachments import TooLarge
from oms_orders.domain.order import Order
from oms_orders.domain.pricing import LineRequest
from oms_orders.domain.quote import Quote

from .conftest import NewCustomer

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


@pytest.fixture
def sent_quote(app: OrdersApplication, catalogue: None, new_customer: NewCustomer) -> str:
    customer_id = new_customer(language="pt")
    quote = app.create_quote(
        customer_id=customer_id,
        lines=[LineRequest(sku="SKU-1", quantity=Decimal(2), note="urgente")],
    )
    app.send_quote(quote.quote_id)
    return quote.quote_id


def test_a_contract_must_be_signed_before_the_customer_approves(
    orders: ServiceInMemory, app: OrdersApplication, sent_quote: str
) -> None:
    contract = app.attach_to_quote(
        sent_quote, kind="contract", name="contrato.pdf", data=PDF, uploaded_by="maria"
    )
    assert (contract["kind"], contract["name"], contract["content_type"]) == (
        "contract",
        "contrato.pdf",
        "application/pdf",
    )
    with pytest.raises(Conflict) as missing:
        app.approve_quote(sent_quote, approved_by="ana")
    assert missing.value.field == "signed_contract"
    assert "signed contract" in missing.value.message

    signed = app.sign_contract(sent_quote, name="scan 12.JPG", data=JPEG, uploaded_by="ana")
    assert (signed["kind"], signed["name"], signed["content_type"]) == (
        "signed_contract",
        "Contrato Assinado.jpg",
        "image/jpeg",
    )
    assert app.get_attachment(signed["attachment_id"]).data == JPEG

    quote, order = app.approve_quote(sent_quote, approved_by="ana")
    assert (quote.status, quote.order_id) == ("accepted", order.order_id)
    assert (order.status, order.origin, order.quote_id) == (
        "awaiting_invoicing",
        "quote",
        sent_quote,
    )
    assert order.stock_status is None
    released = app.approve_order(order.order_id, approved_by="maria")
    assert (released.status, released.stock_status) == ("confirmed", "pending")

    [attached] = orders.published(ContractAttached)
    assert (attached.quote_id, attached.name, attached.size) == (
        sent_quote,
        "contrato.pdf",
        len(PDF),
    )
    [signed_event] = orders.published(ContractSigned)
    assert signed_event.name == "Contrato Assinado.jpg"
    [approved] = orders.published(QuoteApproved)
    assert (approved.order_id, approved.approved_by) == (order.order_id, "ana")
    assert [(e.status, e.previous_status) for e in orders.published(OrderStatusChanged)] == [
        ("awaiting_invoicing", None),
        ("confirmed", "awaiting_invoicing"),
    ]


@pytest.mark.parametrize(
    ("language", "name"),
    [
        ("pt", "Contrato Assinado.pdf"),
        ("es", "Contrato Firmado.pdf"),
        ("pl", "Podpisana umowa.pdf"),
        ("en", "Signed contract.pdf"),
        ("de", "Unterschriebener Vertrag.pdf"),
    ],
)
def test_the_signed_contract_is_named_in_the_customers_language(
    app: OrdersApplication, catalogue: None, new_customer: NewCustomer, language: str, name: str
) -> None:
    quote = app.create_quote(
        customer_id=new_customer(language=language),
        lines=[LineRequest(sku="SKU-1", quantity=Decimal(1))],
    )
    app.attach_to_quote(quote.quote_id, kind="contract", name="c.pdf", data=PDF, uploaded_by="m")
    signed = app.sign_contract(quote.quote_id, name="mine.PDF", data=PDF, uploaded_by="c")
    assert signed["name"] == name


def test_without_a_contract_the_customer_approves_at_once(
    app: OrdersApplication, sent_quote: str
) -> None:
    app.attach_to_quote(sent_quote, kind="other", name="photo.png", data=PNG, uploaded_by="m")
    quote, order = app.approve_quote(sent_quote, approved_by="ana")
    assert (quote.status, order.status) == ("accepted", "awaiting_invoicing")
    with pytest.raises(Conflict) as again:
        app.approve_quote(sent_quote, approved_by="ana")
    assert again.value.field == "status"


def test_a_draft_is_not_approved_and_nothing_is_signed_without_a_contract(
    app: OrdersApplication, catalogue: None, new_customer: NewCustomer
) -> None:
    quote = app.create_quote(
        customer_id=new_customer(), lines=[LineRequest(sku="SKU-1", quantity=Decimal(1))]
    )
    with pytest.raises(Conflict) as draft:
        app.approve_quote(quote.quote_id)
    assert draft.value.field == "status"
    with pytest.raises(Conflict) as no_contract:
        app.sign_contract(quote.quote_id, name="x.pdf", data=PDF, uploaded_by="c")
    assert no_contract.value.field == "contract"


def test_uploads_are_limited_by_content_and_size(app: OrdersApplication, sent_quote: str) -> None:
    with pytest.raises(InvalidInput) as text:  # a text file named .pdf is no PDF
        app.attach_to_quote(
            sent_quote, kind="other", name="fake.pdf", data=b"hello", uploaded_by="m"
        )
    assert (text.value.field, text.value.status) == ("file", 422)
    with pytest.raises(InvalidInput) as empty:
        app.attach_to_quote(sent_quote, kind="other", name="e.pdf", data=b"", uploaded_by="m")
    assert empty.value.field == "file"
    with pytest.raises(InvalidInput) as kind:
        app.attach_to_quote(sent_quote, kind="proposal", name="p.pdf", data=PDF, uploaded_by="m")
    assert kind.value.field == "kind"
    too_big = PDF + b"0" * app.attachment_max_bytes
    with pytest.raises(TooLarge) as large:
        app.attach_to_quote(sent_quote, kind="other", name="big.pdf", data=too_big, uploaded_by="m")
    assert (large.value.field, large.value.status) == ("file", 413)
    assert (
        app.get(Quote, sent_quote, field="quote_id").attachments == []
    )  # nothing refused was listed


def test_an_unknown_or_unlisted_attachment_is_not_found(app: OrdersApplication) -> None:
    with pytest.raises(NotFound) as missing:
        app.get_attachment("nope")
    assert missing.value.field == "attachment_id"


def test_stock_status_follows_inventory(
    orders: ServiceInMemory, app: OrdersApplication, catalogue: None, new_customer: NewCustomer
) -> None:
    customer_id = new_customer()
    held = app.place_order(
        customer_id=customer_id, lines=[LineRequest(sku="SKU-1", quantity=Decimal(1))], origin="rep"
    )
    assert (held.status, held.stock_status) == ("pending_approval", None)
    order = app.approve_order(held.order_id)
    assert (order.status, order.stock_status) == ("confirmed", "pending")
    lots = [LotQuantity(sku="SKU-1", quantity=Decimal(1), warehouse="W1", lot="L1")]
    orders.deliver(StockReserved(order_id=order.order_id, allocations=lots))
    assert app.get(Order, order.order_id, field="order_id").stock_status == "reserved"

    other = app.place_order(
        customer_id=customer_id, lines=[LineRequest(sku="SKU-2", quantity=Decimal(5))]
    )
    assert other.stock_status == "pending"
    orders.deliver(
        StockShortage(
            order_id=other.order_id, sku="SKU-2", requested=Decimal(5), available=Decimal(1)
        )
    )
    short = app.get(Order, other.order_id, field="order_id")
    assert (short.status, short.stock_status) == ("on_hold", "short")
    cancelled = app.cancel_order(other.order_id, "no stock")
    assert cancelled.stock_status == "released"
    statuses = [(e.order_id, e.status) for e in orders.published(OrderStatusChanged)]
    assert statuses == [
        (held.order_id, "pending_approval"),
        (held.order_id, "confirmed"),
        (other.order_id, "confirmed"),
        (other.order_id, "on_hold"),
        (other.order_id, "cancelled"),
    ]
