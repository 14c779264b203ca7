"""The catalogue for B2B ordering and a customer user's cart, in memory (DESIGN sections 14
and 15): photos (PNG or JPEG only), associated products (known skus, not itself), stock
as last heard from inventory (an older level ignored), the cart's rules (0 removes, saved
for later and back with its quantity, one cart per user whatever the letter case), and
the checkout: an order waiting for approval with the note, the cart emptied, the same key
again the same order, an empty cart refused."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from oms_contracts.inventory import StockLevelChanged
from oms_dev.inmemory import ServiceInMemory
from oms_kit.domain import Conflict, InvalidInput, NotFound
from oms_orders.application import OrdersApplication
from oms_orders.documents.attachments import TooLarge
from oms_orders.domain.order import Order
from oms_orders.domain.pricing import LineRequest

D = Decimal
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def customer_id(catalogue: None, new_customer: Callable[..., str]) -> str:
    return new_customer()


def count_orders(app: OrdersApplication) -> int:
    return sum(
        1
        for notification in app.recorder.select_notifications(1, 1_000_000)
        if notification.topic.endswith("Order.OrderPlaced")
    )


# Photos ----------------------------------------------------------------------------------


def test_a_product_photo_is_a_png_or_jpeg_within_the_size_limit(
    catalogue: None, app: OrdersApplication
) -> None:
    with pytest.raises(NotFound) as missing:
        app.get_product_image("SKU-1")
    assert missing.value.field == "image"

    app.change_product_image("SKU-1", data=PNG, name="photo.png")
    stored = app.get_product_image("SKU-1")
    assert (stored.data, stored.content_type) == (PNG, "image/png")
    app.change_product_image("SKU-1", data=JPEG, name="photo.jpg")
    assert app.get_product_image("SKU-1").content_type == "image/jpeg"

    for refused in (PDF, b"GIF89a....", b""):
        with pytest.raises(InvalidInput) as invalid:
            app.change_product_image("SKU-2", data=refused, name="photo.png")
        assert invalid.value.field == "file"
    with pytest.raises(TooLarge):
        app.change_product_image(
            "SKU-2", data=PNG + b"\x00" * app.attachment_max_bytes, name="big.png"
        )
    with pytest.raises(NotFound):
        app.get_product_image("SKU-2")
    with pytest.raises(NotFound) as unknown:
        app.change_product_image("NOPE", data=PNG, name="photo.png")
    assert unknown.value.field == "sku"


def test_a_photo_is_not_an_attachment_of_any_quote(catalogue: None, app: OrdersApplication) -> None:
    product = app.change_product_image("SKU-1", data=PNG, name="photo.png")
    assert product.image_id is not None
    with pytest.raises(NotFound):
        app.get_attachment(product.image_id)


# Associated products -----------------------------------------------------------------------


def test_associated_products_are_known_skus_other_than_itself(
    catalogue: None, app: OrdersApplication
) -> None:
    app.define_product(
        sku="SKU-3", name="Third", unit_price=D("3.00"), currency="EUR", tax_rate=D("0.21")
    )
    app.associate_products("SKU-1", ["SKU-3", "SKU-2", "SKU-3"])
    assert [p.sku for p in app.associated_products("SKU-1")] == ["SKU-3", "SKU-2"]
    assert app.associated_products("SKU-2") == []  # not both ways: each product names its own

    with pytest.raises(InvalidInput) as itself:
        app.associate_products("SKU-1", ["SKU-2", "SKU-1"])
    assert itself.value.field == "skus"
    with pytest.raises(InvalidInput) as unknown:
        app.associate_products("SKU-1", ["SKU-2", "NOPE"])
    assert unknown.value.field == "skus.1"
    assert [p.sku for p in app.associated_products("SKU-1")] == ["SKU-3", "SKU-2"]

    app.associate_products("SKU-1", [])
    assert app.associated_products("SKU-1") == []


def test_the_same_associations_again_store_nothing(
    catalogue: None, app: OrdersApplication, stored_events: Callable[[], int]
) -> None:
    app.associate_products("SKU-1", ["SKU-2"])
    before = stored_events()
    app.associate_products("SKU-1", ["SKU-2"])
    assert stored_events() == before


# Stock as heard from inventory ---------------------------------------------------------------


def level(sku: str, on_hand: int, reserved: int) -> StockLevelChanged:
    return StockLevelChanged(
        sku=sku, on_hand=D(on_hand), reserved=D(reserved), available=D(on_hand - reserved)
    )


def test_the_stock_is_the_last_level_heard_from_inventory(
    orders: ServiceInMemory, app: OrdersApplication, catalogue: None
) -> None:
    assert app.stock_level("SKU-1") is None
    stock = "stock-record-1"
    outcome = orders.deliver(level("SKU-1", 10, 0), aggregate_id=stock, aggregate_version=1)
    assert outcome.status == "applied"
    orders.deliver(level("SKU-1", 10, 4), aggregate_id=stock, aggregate_version=3)
    heard = app.stock_level("SKU-1")
    assert heard is not None
    assert (heard.on_hand, heard.reserved, heard.available) == (D(10), D(4), D(6))

    # An older level (redelivered late) changes nothing.
    orders.deliver(level("SKU-1", 10, 1), aggregate_id=stock, aggregate_version=2)
    heard = app.stock_level("SKU-1")
    assert heard is not None and heard.available == D(6)

    # A sku orders does not sell (yet) is heard as well: defined later, it shows.
    orders.deliver(level("LATER", 5, 0), aggregate_id="stock-record-2", aggregate_version=1)
    later = app.stock_level("LATER")
    assert later is not None and later.available == D(5)


# The cart ------------------------------------------------------------------------------------


def test_lines_are_set_removed_saved_for_later_and_moved_back(
    app: OrdersApplication, customer_id: str
) -> None:
    app.set_cart_line("ana", "SKU-1", D(3))
    app.set_cart_line("ana", "SKU-2", D(1))
    cart = app.set_cart_line("ana", "SKU-1", D(5))
    assert cart.lines == {"SKU-1": D(5), "SKU-2": D(1)}

    cart = app.save_for_later("ana", "SKU-1")
    assert (cart.lines, cart.saved) == ({"SKU-2": D(1)}, {"SKU-1": D(5)})
    cart = app.move_to_cart("ana", "SKU-1")
    assert (cart.lines, cart.saved) == ({"SKU-2": D(1), "SKU-1": D(5)}, {})

    cart = app.set_cart_line("ana", "SKU-2", D(0))
    assert cart.lines == {"SKU-1": D(5)}
    # Setting a saved sku's quantity brings it back into the cart.
    app.save_for_later("ana", "SKU-1")
    cart = app.set_cart_line("ana", "SKU-1", D(2))
    assert (cart.lines, cart.saved) == ({"SKU-1": D(2)}, {})


def test_the_cart_refuses_what_it_cannot_hold(app: OrdersApplication, customer_id: str) -> None:
    with pytest.raises(NotFound) as unknown:
        app.set_cart_line("ana", "NOPE", D(1))
    assert unknown.value.field == "sku"
    with pytest.raises(InvalidInput) as negative:
        app.set_cart_line("ana", "SKU-1", D(-1))
    assert negative.value.field == "quantity"
    with pytest.raises(NotFound) as not_in_cart:
        app.save_for_later("ana", "SKU-1")
    assert not_in_cart.value.field == "sku"
    with pytest.raises(NotFound) as not_saved:
        app.move_to_cart("ana", "SKU-1")
    assert not_saved.value.field == "sku"
    # Removing what is not there changes nothing (and opens no cart).
    assert app.set_cart_line("ana", "SKU-1", D(0)).lines == {}


def test_a_cart_is_the_users_across_sessions_whatever_the_letter_case(
    app: OrdersApplication, customer_id: str
) -> None:
    app.set_cart_line("Ana", "SKU-1", D(2))
    assert app.cart("ana").lines == {"SKU-1": D(2)}
    assert app.cart("bob").lines == {}


def test_checkout_places_one_order_with_the_note_and_empties_the_cart(
    app: OrdersApplication, customer_id: str
) -> None:
    app.set_cart_line("ana", "SKU-1", D(3))
    app.set_cart_line("ana", "SKU-2", D(2))
    app.save_for_later("ana", "SKU-2")
    order = app.check_out("ana", customer_id, idempotency_key="k1", note="Deliver by noon")
    assert (order.status, order.origin, order.note) == (
        "pending_approval",
        "portal",
        "Deliver by noon",
    )
    assert [(line["sku"], line["quantity"]) for line in order.lines] == [("SKU-1", D(3))]
    assert order.total == D("36.30")  # 3 x 10.00 + 21 % tax
    cart = app.cart("ana")
    assert (cart.lines, cart.saved) == ({}, {"SKU-2": D(2)})

    # The same key again (a double click): the same order, nothing placed.
    app.set_cart_line("ana", "SKU-1", D(1))
    again = app.check_out("ana", customer_id, idempotency_key="k1")
    assert again.order_id == order.order_id
    assert count_orders(app) == 1
    assert app.cart("ana").lines == {"SKU-1": D(1)}


def test_a_checkout_key_is_not_an_order_placement_key(
    app: OrdersApplication, customer_id: str
) -> None:
    placed = app.place_order(
        customer_id=customer_id,
        lines=[LineRequest(sku="SKU-1", quantity=D(1))],
        idempotency_key="same",
    )
    app.set_cart_line("ana", "SKU-2", D(1))
    checked_out = app.check_out("ana", customer_id, idempotency_key="same")
    assert checked_out.order_id != placed.order_id


def test_an_empty_cart_is_not_checked_out(app: OrdersApplication, customer_id: str) -> None:
    with pytest.raises(Conflict) as empty:
        app.check_out("ana", customer_id, idempotency_key="k1")
    assert empty.value.field == "lines"
    app.set_cart_line("ana", "SKU-1", D(1))
    app.save_for_later("ana", "SKU-1")
    with pytest.raises(Conflict):
        app.check_out("ana", customer_id, idempotency_key="k2")
    assert count_orders(app) == 0


def test_a_checkout_over_the_credit_limit_is_on_hold(
    app: OrdersApplication, catalogue: None, new_customer: Callable[..., str]
) -> None:
    poor = new_customer(credit_limit="20.00")
    app.set_cart_line("ana", "SKU-1", D(3))
    order = app.check_out("ana", poor, idempotency_key="k1")
    assert order.status == "on_hold"
    assert app.find(Order, order.order_id) is not None
