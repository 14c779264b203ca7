"""B2B ordering in a real browser (Debian's chromium, driven by Playwright) against the
real orders, inventory and billing processes on the dev stack (seed 003, DESIGN sections
14 and 15): the back office makes products with PNG photos, their associated products
and stock through the APIs; a customer searches the catalogue, opens a product with its
associated products, fills his cart, saves a line for later and moves it back, writes a
note to the seller and places the order, which awaits approval with his note. His cart is
the service's: a second browser signed in as him sees the same cart. A double-clicked
"Place order" places one order; on a 375-pixel-wide screen the catalogue, a product and
the cart never scroll sideways. A screenshot of each page is kept under the test's
tmp_path (the paths are printed)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from portal_backoffice import BackOffice, Person, png
from portal_browser import (
    PHONE,
    Screens,
    each_fits_a_phone,
    new_page,
    no_sideways_scroll,
    posted_twice,
    sign_in,
)
from portal_server import PortalServer

pytestmark = pytest.mark.stack

BOLT_PHOTO = png(64, 48, (31, 95, 191))
NUT_PHOTO = png(40, 40, (200, 120, 20))


@dataclass(frozen=True)
class World:
    bolt: str
    nut: str
    washer: str
    drill: str


@pytest.fixture(scope="module")
def world(office: BackOffice) -> World:
    bolt = office.product("Parafuso sextavado M8", "12.50")
    nut = office.product("Porca sextavada M8", "0.80")
    washer = office.product("Arruela lisa M8", "0.30")  # no photo, never in stock
    drill = office.product("Furadeira de impacto", "480.00", tax="0.18")
    office.photo(bolt, BOLT_PHOTO)
    office.photo(nut, NUT_PHOTO)
    office.associate(bolt, [nut, washer])
    office.stock(bolt, 500)
    office.stock(nut, 2000)
    office.stock(drill, 7)
    return World(bolt=bolt, nut=nut, washer=washer, drill=drill)


def signed_in_page(browser: Browser, portal: PortalServer, person: Person) -> tuple[Any, Page]:
    context, page = new_page(browser, portal)
    sign_in(page, person)
    expect(page.get_by_role("heading", name=f"Welcome, {person.name}")).to_be_visible()
    return context, page


def photo_drawn(page: Page, selector: str) -> None:
    page.wait_for_function(
        "selector => { const image = document.querySelector(selector);"
        " return image && image.complete && image.naturalWidth > 0 }",
        arg=selector,
    )


def add_on_product_page(page: Page, sku: str, quantity: str) -> None:
    page.goto(f"/customer/catalogue/{sku}")
    product = page.locator("article.product-page")
    product.get_by_label(re.compile("^Quantity")).fill(quantity)
    product.get_by_role("button", name=re.compile("^Add to cart")).click()
    expect(page.get_by_text("Added to your cart.")).to_be_visible()


def orders_of(office: BackOffice, person: Person) -> list[Any]:
    items: list[Any] = office.get(f"{office.orders}/orders", customer_id=person.customer_id)[
        "items"
    ]
    return items


# --- the journey ---------------------------------------------------------------------------


def test_a_customer_orders_from_the_catalogue_with_a_note_to_the_seller(
    browser: Browser, portal: PortalServer, office: BackOffice, world: World, screens: Screens
) -> None:
    ana = office.customer("Ana Souza Ltda", "en", [30])
    context, page = signed_in_page(browser, portal, ana)
    try:
        # The catalogue: search, photos (or the placeholder), prices, availability.
        menu = page.get_by_role("navigation", name="Main menu")
        menu.get_by_role("link", name="Catalogue").click()
        expect(page.get_by_role("heading", name="Catalogue", exact=True)).to_be_visible()
        page.get_by_label("Search products").fill("m8")
        page.get_by_role("button", name="Search").click()
        expect(page.locator("li.product")).to_have_count(3)
        bolt = page.locator(f"li.product[data-sku='{world.bolt}']")
        washer = page.locator(f"li.product[data-sku='{world.washer}']")
        expect(bolt.get_by_role("heading")).to_have_text("Parafuso sextavado M8")
        expect(bolt.locator(".price")).to_have_text("R$12.50")
        expect(bolt.locator(".stock")).to_have_text("In stock: 500")
        expect(washer.locator(".stock")).to_have_text("Out of stock")
        expect(bolt.locator("img.photo")).to_have_attribute("alt", "Photo of Parafuso sextavado M8")
        expect(washer.locator("img.photo")).to_have_attribute("alt", "No photo yet")
        expect(washer.locator("img.photo")).to_have_attribute("src", "/static/no-photo.svg")
        photo_drawn(page, f"li.product[data-sku='{world.bolt}'] img.photo")
        photo = page.request.get(bolt.locator("img.photo").get_attribute("src") or "")
        assert photo.status == 200 and photo.headers["content-type"] == "image/png"
        assert photo.body() == BOLT_PHOTO
        screens.shot(page, "catalogue-search")
        page.get_by_label("Search products").fill("no such thing")
        page.get_by_role("button", name="Search").click()
        expect(page.get_by_text("No product matches “no such thing”.")).to_be_visible()

        # The bolt's page: photo, details, availability, its associated products.
        page.get_by_label("Search products").fill("parafuso")
        page.get_by_role("button", name="Search").click()
        page.get_by_role("link", name="Parafuso sextavado M8").click()
        expect(page).to_have_url(re.compile(f"/customer/catalogue/{world.bolt}$"))
        expect(page.get_by_role("heading", name="Parafuso sextavado M8", level=1)).to_be_visible()
        photo_drawn(page, "article.product-page img.photo")
        expect(page.locator("article.product-page .stock")).to_have_text("In stock: 500")
        associated = page.get_by_role("region", name="Associated products")
        expect(associated.locator("li")).to_have_count(2)
        expect(associated.get_by_role("link", name="Porca sextavada M8")).to_be_visible()
        expect(associated.get_by_role("link", name="Arruela lisa M8")).to_be_visible()
        screens.shot(page, "product-with-associated")

        # Ten bolts, then a nut from the associated products.
        page.locator("article.product-page").get_by_label(re.compile("^Quantity")).fill("10")
        page.locator("article.product-page").get_by_role(
            "button", name=re.compile("^Add to cart")
        ).click()
        expect(page.get_by_text("Added to your cart.")).to_be_visible()
        associated.locator(f"li[data-sku='{world.nut}']").get_by_role(
            "button", name=re.compile("^Add to cart")
        ).click()
        expect(page.get_by_text("Added to your cart.")).to_be_visible()

        # The cart: the lines, the suggestion not yet in it (the washer).
        menu.get_by_role("link", name="Cart").click()
        expect(page.get_by_role("heading", name="Cart", exact=True)).to_be_visible()
        bolt_line = page.locator(f"li.cart-line[data-sku='{world.bolt}']")
        nut_line = page.locator(f"li.cart-line[data-sku='{world.nut}']")
        expect(bolt_line.get_by_label(re.compile("^Quantity"))).to_have_value("10")
        expect(nut_line.get_by_label(re.compile("^Quantity"))).to_have_value("1")
        suggestions = page.get_by_role("region", name="You may also need")
        expect(suggestions.locator(f"li[data-sku='{world.washer}']")).to_be_visible()
        expect(suggestions.locator(f"li[data-sku='{world.nut}']")).to_have_count(0)
        screens.shot(page, "cart")

        # Twenty nuts; then saved for later, and back.
        nut_line.get_by_label(re.compile("^Quantity")).fill("20")
        nut_line.get_by_role("button", name=re.compile("^Update")).click()
        expect(page.get_by_text("The quantity was changed.")).to_be_visible()
        expect(nut_line.locator(".amount")).to_have_text("R$16.00")
        nut_line.get_by_role("button", name=re.compile("^Save for later")).click()
        expect(page.get_by_text("Saved for later.", exact=True)).to_be_visible()
        expect(nut_line).to_have_count(0)
        saved = page.get_by_role("region", name="Saved for later")
        expect(saved.locator(f"li[data-sku='{world.nut}']")).to_be_visible()
        screens.shot(page, "cart-with-saved")
        saved.get_by_role("button", name=re.compile("^Move to cart")).click()
        expect(page.get_by_text("Moved back to your cart.")).to_be_visible()
        expect(nut_line.get_by_label(re.compile("^Quantity"))).to_have_value("20")
        expect(saved.get_by_text("Nothing saved for later.")).to_be_visible()
        # 10 at 12.50 and 20 at 0.80 make 141.00, with 10 % tax.
        expect(page.locator(".totals .grand dd")).to_have_text("R$155.10")

        # The note to the seller, then the order.
        note = "Deliver to dock 2 before noon, please."
        page.get_by_label("Note to the seller").fill(note)
        page.get_by_role("button", name="Place order").click()
        expect(page).to_have_url(re.compile(r"/customer/cart/placed/[^/]+$"))
        expect(page.get_by_role("heading", name="Thank you: your order was placed")).to_be_visible()
        expect(page.locator("[data-status='pending_approval']")).to_have_text("Pending approval")
        screens.shot(page, "order-placed")
        order_id = page.url.rsplit("/", 1)[1]
        order = office.get(f"{office.orders}/orders/{order_id}")
        assert order["status"] == "pending_approval"
        assert order["note"] == note
        assert order["customer_id"] == ana.customer_id
        assert {line["sku"]: Decimal(str(line["quantity"])) for line in order["lines"]} == {
            world.bolt: 10,
            world.nut: 20,
        }

        # The order's page, with the note; the cart is empty now.
        page.get_by_role("link", name=re.compile("^View order")).click()
        expect(page).to_have_url(re.compile(f"/customer/orders/{order_id}$"))
        expect(page.get_by_text(note)).to_be_visible()
        menu.get_by_role("link", name="Cart").click()
        expect(page.get_by_text("Your cart is empty.")).to_be_visible()
        expect(page.get_by_role("button", name="Place order")).to_have_count(0)
    finally:
        context.close()


def test_the_cart_is_the_same_in_another_browser(
    browser: Browser, portal: PortalServer, office: BackOffice, world: World, screens: Screens
) -> None:
    caio = office.customer("Caio Ferragens", "en", [30])
    desk, at_desk = signed_in_page(browser, portal, caio)
    phone, on_phone = signed_in_page(browser, portal, caio)
    try:
        add_on_product_page(at_desk, world.drill, "2")
        on_phone.set_viewport_size(PHONE)
        on_phone.goto("/customer/cart")
        drill = on_phone.locator(f"li.cart-line[data-sku='{world.drill}']")
        expect(drill.get_by_label(re.compile("^Quantity"))).to_have_value("2")
        screens.shot(on_phone, "cart-on-another-device")
        # Saved for later on the phone, saved at the desk too.
        drill.get_by_role("button", name=re.compile("^Save for later")).click()
        expect(on_phone.get_by_text("Saved for later.", exact=True)).to_be_visible()
        at_desk.goto("/customer/cart")
        saved = at_desk.get_by_role("region", name="Saved for later")
        expect(saved.locator(f"li[data-sku='{world.drill}']")).to_be_visible()
        expect(at_desk.get_by_text("Your cart is empty.")).to_be_visible()
    finally:
        desk.close()
        phone.close()


def test_a_double_clicked_place_order_places_one_order(
    browser: Browser, portal: PortalServer, office: BackOffice, world: World
) -> None:
    dora = office.customer("Dora Construções", "en", [30])
    context, page = signed_in_page(browser, portal, dora)
    try:
        add_on_product_page(page, world.bolt, "3")
        page.goto("/customer/cart")
        form = page.locator("form.checkout")
        fields = {
            name: form.locator(f"input[name='{name}']").input_value()
            for name in ("csrf_token", "submission")
        }
        # Without the form's code: refused, nothing placed.
        refused = page.request.post(
            "/customer/cart/checkout", form={"submission": fields["submission"]}
        )
        assert refused.status == 403
        assert orders_of(office, dora) == []
        # The same form sent twice (a re-post): the same order both times.
        first = posted_twice(page, "/customer/cart/checkout", {**fields, "note": "once"})
        assert "/customer/cart/placed/" in first
        # And the button itself double-clicked on the page shown before: that order again.
        page.get_by_role("button", name="Place order").dblclick()
        expect(page).to_have_url(re.compile(r"/customer/cart/placed/[^/]+$"))
        assert page.url.endswith(first)
    finally:
        context.close()
    placed = orders_of(office, dora)
    assert len(placed) == 1
    assert placed[0]["status"] == "pending_approval"


def test_on_a_375_pixel_screen_the_b2b_pages_do_not_scroll_sideways(
    browser: Browser, portal: PortalServer, office: BackOffice, world: World, screens: Screens
) -> None:
    eva = office.customer("Eva Materiais de Construção e Acabamentos Ltda", "en", [30])
    context, page = new_page(browser, portal)
    page.set_viewport_size(PHONE)
    try:
        sign_in(page, eva)
        expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()
        add_on_product_page(page, world.bolt, "4")
        add_on_product_page(page, world.drill, "1")
        page.goto("/customer/cart")
        page.locator(f"li.cart-line[data-sku='{world.drill}']").get_by_role(
            "button", name=re.compile("^Save for later")
        ).click()
        expect(page.get_by_text("Saved for later.", exact=True)).to_be_visible()
        each_fits_a_phone(
            page,
            screens,
            [
                ("catalogue", "/customer/catalogue"),
                ("catalogue-search", "/customer/catalogue?q=m8"),
                ("product", f"/customer/catalogue/{world.bolt}"),
                ("product-without-photo", f"/customer/catalogue/{world.washer}"),
                ("cart", "/customer/cart"),
            ],
        )
        page.get_by_label("Note to the seller").fill("Entrega na portaria.")
        page.get_by_role("button", name="Place order").click()
        expect(page.get_by_role("heading", name=re.compile("Thank you"))).to_be_visible()
        assert no_sideways_scroll(page) <= PHONE["width"]
        screens.shot(page, "phone-order-placed")
    finally:
        context.close()
