"""The sales rep area in a real browser (Debian's chromium, driven by Playwright) against
the real orders, inventory, billing, commissions and notifications processes on the dev
stack (seed 000, DESIGN sections 12 and 14): the back office makes two reps with their
users, a portfolio for each, a commission rate, and an invoiced, partly paid order. The rep
signs in, finds his customers with their open balances, opens one with his statement,
prepares a proposal with the stock available on each line and sends it, places an order,
asks for an alert on a product out of stock, follows his orders' approval, invoice and
payment, and reads his commissions in the three views. He never sees the other rep's
customer, not in a list and not by typing its address; a new order sent twice makes one
order; on a 375-pixel-wide screen no page scrolls sideways. A screenshot of each page is
kept under the test's tmp_path (the paths are printed)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from oms_dev.testing import wait_until
from playwright.sync_api import Browser, Page, expect
from portal_backoffice import BackOffice, Person, Rep
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

#: The services the rep area calls (read by the ``system`` fixture).
PORTAL_SERVICES = ["orders", "inventory", "billing", "commissions", "notifications"]


@dataclass(frozen=True)
class World:
    rita: Rep
    rui: Rep
    ana: Person
    casa: Person
    bob: Person
    bolt: str
    drill: str
    invoiced_order_id: str
    invoice_number: str
    bobs_order_id: str


@pytest.fixture(scope="module")
def world(office: BackOffice) -> World:
    rita = office.sales_rep("Rita Almeida", "en")
    rui = office.sales_rep("Rui Costa", "en")
    office.http.put(
        f"{office.system.url('commissions')}/sales-reps/{rita.sales_rep_id}/commission",
        json={"rate_percent": "5"},
    ).raise_for_status()
    bolt = office.product("Parafuso sextavado M8", "12.50")
    drill = office.product("Furadeira de impacto", "480.00", tax="0.18")
    ana = office.customer("Ana Souza Ltda", "pt", [30, 60], sales_rep_id=rita.sales_rep_id)
    casa = office.customer("Casa do Prego", "pt", [30], sales_rep_id=rita.sales_rep_id)
    bob = office.customer("Bodega Bob S.L.", "es", [30], sales_rep_id=rui.sales_rep_id)
    invoiced = office.invoiced_order(ana.customer_id, bolt, 40)
    invoice = invoiced["invoice"]
    office.post(
        f"{office.billing}/invoices/{invoice['invoice_id']}/payments",
        json={"amount": "100.00"},
    )
    # Bolts in stock for the rep's lines; no drill at all.
    office.post(
        f"{office.inventory}/stock/receipts",
        json={"sku": bolt, "warehouse": "SP", "lot": f"L2-{bolt}", "quantity": 500},
    )
    bobs_order = office.post(
        f"{office.orders}/orders",
        json={"customer_id": bob.customer_id, "lines": [{"sku": drill, "quantity": 1}]},
    )

    def commissions(view: str) -> list[Any]:
        items: list[Any] = office.get(
            f"{office.system.url('commissions')}/commissions",
            view=view,
            sales_rep_id=rita.sales_rep_id,
        )["items"]
        return items

    wait_until(lambda: commissions("invoiced"), what="the invoiced commission")
    wait_until(lambda: commissions("paid"), what="the paid commission")
    return World(
        rita=rita,
        rui=rui,
        ana=ana,
        casa=casa,
        bob=bob,
        bolt=bolt,
        drill=drill,
        invoiced_order_id=invoiced["order_id"],
        invoice_number=invoice["number"],
        bobs_order_id=bobs_order["order_id"],
    )


def line_field(page: Page, number: int, label: str) -> Any:
    return page.get_by_label(f"Line {number}: {label}", exact=True)


def test_a_rep_serves_his_customers_from_the_portal(
    browser: Browser,
    portal: PortalServer,
    office: BackOffice,
    world: World,
    screens: Screens,
) -> None:
    context, page = new_page(browser, portal)
    try:
        sign_in(page, world.rita)

        # His customers, each with the open balance of billing's statement; not Rui's.
        expect(page).to_have_url(re.compile(r"/rep/customers$"))
        expect(page.get_by_role("heading", name="My customers")).to_be_visible()
        ana_row = page.locator(f"tr[data-customer-id='{world.ana.customer_id}']")
        expect(ana_row).to_be_visible()
        expect(page.locator(f"tr[data-customer-id='{world.casa.customer_id}']")).to_be_visible()
        expect(page.get_by_text(world.bob.name)).to_have_count(0)
        expect(ana_row.locator(".balance")).to_contain_text("R$")
        expect(ana_row.locator(".balance")).not_to_have_text(re.compile(r"R\$\s?0\.00$"))
        screens.shot(page, "rep-customers")

        # The search.
        page.get_by_label("Search customers").fill("prego")
        page.get_by_role("button", name="Search").click()
        expect(page.locator("tbody tr")).to_have_count(1)
        expect(page.locator(f"tr[data-customer-id='{world.casa.customer_id}']")).to_be_visible()

        # A customer's page: his statement (the invoice, the payment), orders, proposals.
        page.goto("/rep/customers")
        ana_row.get_by_role("link", name=world.ana.name).click()
        expect(page.get_by_role("heading", name=world.ana.name)).to_be_visible()
        statement = page.get_by_role("region", name="Statement")
        expect(statement.locator("tr[data-entry='invoice']")).to_contain_text(world.invoice_number)
        expect(statement.locator("tr[data-entry='payment']")).to_be_visible()
        expect(page.locator(f"li[data-order-id='{world.invoiced_order_id}']")).to_be_visible()
        screens.shot(page, "rep-customer")

        # A new proposal: lines, then the availability of each.
        page.get_by_role("link", name="New proposal").click()
        expect(page.get_by_role("heading", name="New proposal")).to_be_visible()
        line_field(page, 1, "Product code").fill(world.bolt)
        line_field(page, 1, "Quantity").fill("20")
        line_field(page, 1, "Discount (%)").fill("5")
        line_field(page, 1, "Note").fill("Deliver to gate 3")
        line_field(page, 2, "Product code").fill(world.drill)
        line_field(page, 2, "Quantity").fill("2")
        page.get_by_role("button", name="Check availability").click()
        bolt_line = page.locator(f"fieldset[data-sku='{world.bolt}']")
        drill_line = page.locator(f"fieldset[data-sku='{world.drill}']")
        expect(bolt_line.locator(".availability")).to_contain_text("Parafuso sextavado M8")
        expect(bolt_line.locator(".availability .ok")).to_have_text("500 available")
        expect(drill_line.locator(".availability .short")).to_have_text("0 available")
        expect(
            drill_line.get_by_role("link", name="Alert me when it is back in stock")
        ).to_be_visible()
        expect(line_field(page, 1, "Note")).to_have_value("Deliver to gate 3")
        screens.shot(page, "rep-new-quote-availability")

        page.get_by_role("button", name="Create proposal").click()
        expect(page).to_have_url(re.compile(r"/rep/quotes/[^/?]+\?done=quote_created$"))
        expect(page.get_by_text("The proposal was created as a draft.")).to_be_visible()
        expect(page.get_by_text("Deliver to gate 3")).to_be_visible()
        expect(page.locator(".facts [data-status='draft']")).to_be_visible()
        expect(page.locator(f"li[data-sku='{world.drill}'] .short")).to_have_text("0 available")
        quote_id = page.url.split("/rep/quotes/")[1].split("?")[0]
        page.get_by_role("button", name="Send proposal").click()
        expect(page.get_by_text("The proposal was sent to the customer.")).to_be_visible()
        expect(page.locator(".facts [data-status='sent']")).to_be_visible()
        expect(page.get_by_role("button", name="Send proposal")).to_have_count(0)
        screens.shot(page, "rep-quote-sent")
        sent = office.get(f"{office.orders}/quotes/{quote_id}")
        assert sent["status"] == "sent" and sent["customer_id"] == world.ana.customer_id

        # The alert on the drill, from the proposal's availability.
        page.locator(f"li[data-sku='{world.drill}']").get_by_role(
            "link", name="Alert me when it is back in stock"
        ).click()
        expect(page.get_by_label("Product code")).to_have_value(world.drill)
        page.get_by_role("button", name="Create alert").click()
        expect(page.get_by_text("we will e-mail you when the product is back")).to_be_visible()
        alert = page.locator(f"tr[data-alert-sku='{world.drill}']")
        expect(alert).to_contain_text("Furadeira de impacto")
        expect(alert).to_have_attribute("data-alert-status", "waiting")
        screens.shot(page, "rep-alerts")

        # A new order for Ana: placed with origin rep, awaiting approval.
        page.goto(f"/rep/customers/{world.ana.customer_id}")
        page.get_by_role("link", name="New order").click()
        line_field(page, 1, "Product code").fill(world.bolt)
        line_field(page, 1, "Quantity").fill("8")
        page.get_by_role("button", name="Place order").click()
        expect(page).to_have_url(re.compile(r"/rep/orders/[^/?]+\?done=order_placed$"))
        expect(page.get_by_text("The order was placed.")).to_be_visible()
        expect(page.locator("[data-approval='pending_approval']")).to_have_text("Awaiting approval")
        screens.shot(page, "rep-order-placed")
        order_id = page.url.split("/rep/orders/")[1].split("?")[0]
        placed = office.get(f"{office.orders}/orders/{order_id}")
        assert placed["origin"] == "rep" and placed["customer_id"] == world.ana.customer_id

        # His orders: approval, invoice and payment of each; a filter.
        page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Orders").click()
        invoiced = page.locator(f"tr[data-order-id='{world.invoiced_order_id}']")
        expect(invoiced.locator("[data-approval]")).to_have_text("Approved")
        expect(invoiced.locator("[data-invoiced]")).to_have_text(world.invoice_number)
        expect(invoiced.locator("[data-payment]")).to_have_text("Partly paid")
        new = page.locator(f"tr[data-order-id='{order_id}']")
        expect(new.locator("[data-approval]")).to_have_text("Awaiting approval")
        expect(new.locator("[data-invoiced]")).to_have_text("Not invoiced yet")
        expect(page.locator(f"tr[data-order-id='{world.bobs_order_id}']")).to_have_count(0)
        screens.shot(page, "rep-orders")
        page.get_by_text("Filters", exact=True).click()
        page.get_by_label("Status", exact=True).select_option("pending_approval")
        page.get_by_role("button", name="Apply filters").click()
        expect(page.locator(f"tr[data-order-id='{order_id}']")).to_be_visible()
        expect(invoiced).to_have_count(0)

        # The back office approves it: it is to be invoiced, and so is its commission.
        office.post(f"{office.orders}/orders/{order_id}/approve", status=200)
        wait_until(
            lambda: office.get(
                f"{office.system.url('commissions')}/commissions",
                view="to_invoice",
                sales_rep_id=world.rita.sales_rep_id,
            )["items"],
            what="the commission to invoice",
        )

        # His commissions, in the three views.
        menu = page.get_by_role("navigation", name="Main menu")
        menu.get_by_role("link", name="Commissions").click()
        views = page.get_by_role("navigation", name="Views")
        for view, name in (
            ("to_invoice", "To invoice"),
            ("invoiced", "Invoiced"),
            ("paid", "Paid"),
        ):
            views.get_by_role("link", name=name).click()
            expect(views.get_by_role("link", name=name)).to_have_attribute("aria-current", "page")
            table = page.locator(f"table[data-view='{view}']")
            row = table.locator(f"tr[data-customer-id='{world.ana.customer_id}']")
            expect(row).to_contain_text(world.ana.name)
            expect(row.locator(".commission")).to_contain_text("R$")
            screens.shot(page, f"rep-commissions-{view}")
    finally:
        context.close()


def test_a_rep_never_sees_another_reps_customer(
    browser: Browser, portal: PortalServer, world: World, screens: Screens
) -> None:
    context, page = new_page(browser, portal)
    try:
        sign_in(page, world.rita)
        expect(page.get_by_role("heading", name="My customers")).to_be_visible()
        page.get_by_label("Search customers").fill("Bodega")
        page.get_by_role("button", name="Search").click()
        expect(page.locator("tbody tr")).to_have_count(0)
        expect(page.get_by_text(world.bob.name)).to_have_count(0)
        for url in (
            f"/rep/customers/{world.bob.customer_id}",
            f"/rep/customers/{world.bob.customer_id}/new?kind=order",
            f"/rep/orders/{world.bobs_order_id}",
            f"/rep/orders?customer_id={world.bob.customer_id}",
        ):
            answer = page.goto(url)
            assert answer is not None and answer.status == 404, url
            expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
            expect(page.get_by_text(world.bob.name)).to_have_count(0)
        screens.shot(page, "rep-not-found")
        # Nor may he place an order for him by posting the form himself.
        page.goto("/rep/customers")
        csrf = page.locator("form.sign-out input[name='csrf_token']").get_attribute("value")
        posted = page.request.post(
            f"/rep/customers/{world.bob.customer_id}/new",
            form={
                "csrf_token": csrf or "",
                "kind": "order",
                "submission": "one",
                "sku_0": world.bolt,
                "quantity_0": "1",
                "action": "create",
            },
            max_redirects=0,
        )
        assert posted.status == 404
    finally:
        context.close()
    # Rui sees Bob, and not Rita's customers.
    context, page = new_page(browser, portal)
    try:
        sign_in(page, world.rui)
        expect(page.locator(f"tr[data-customer-id='{world.bob.customer_id}']")).to_be_visible()
        expect(page.locator(f"tr[data-customer-id='{world.ana.customer_id}']")).to_have_count(0)
    finally:
        context.close()
    # A customer is not a rep: the rep area is closed to him.
    context, page = new_page(browser, portal)
    try:
        sign_in(page, world.ana)
        expect(page.get_by_role("heading", name=re.compile(world.ana.name))).to_be_visible()
        answer = page.goto("/rep/customers")
        assert answer is not None and answer.status == 403
    finally:
        context.close()


def test_a_new_order_sent_twice_makes_one_order(
    browser: Browser, portal: PortalServer, office: BackOffice, world: World
) -> None:
    def orders_of_casa() -> list[Any]:
        items: list[Any] = office.get(
            f"{office.orders}/orders", customer_id=world.casa.customer_id
        )["items"]
        return items

    before = len(orders_of_casa())
    context, page = new_page(browser, portal)
    try:
        sign_in(page, world.rita)
        page.goto(f"/rep/customers/{world.casa.customer_id}/new?kind=order")
        line_field(page, 1, "Product code").fill(world.bolt)
        line_field(page, 1, "Quantity").fill("3")
        form = page.locator("form.new-lines")
        fields = {
            name: form.locator(f"input[name='{name}']").input_value()
            for name in ("csrf_token", "kind", "submission", "sku_0", "quantity_0")
        }
        # The same form, twice (a double click, a second tab): one order, the same page.
        first = posted_twice(
            page, f"/rep/customers/{world.casa.customer_id}/new", {**fields, "action": "create"}
        )
        assert "/rep/orders/" in first
        # And the button pressed twice in the browser itself.
        page.get_by_role("button", name="Place order").dblclick()
        expect(page).to_have_url(re.compile(r"/rep/orders/[^/?]+\?done=order_placed$"))
        assert page.url.endswith(first)
    finally:
        context.close()
    assert len(orders_of_casa()) == before + 1


def test_a_rep_form_posted_without_its_code_is_refused(
    browser: Browser, portal: PortalServer, world: World
) -> None:
    context, page = new_page(browser, portal)
    try:
        sign_in(page, world.rita)
        expect(page.get_by_role("heading", name="My customers")).to_be_visible()
        refused = page.request.post("/rep/alerts", form={"sku": world.drill})
        assert refused.status == 403
        assert "This form could not be accepted" in refused.text()
    finally:
        context.close()


def test_on_a_375_pixel_screen_no_rep_page_scrolls_sideways(
    browser: Browser, portal: PortalServer, world: World, screens: Screens
) -> None:
    context, page = new_page(browser, portal)
    page.set_viewport_size(PHONE)
    try:
        sign_in(page, world.rita)
        expect(page.get_by_role("heading", name="My customers")).to_be_visible()
        each_fits_a_phone(
            page,
            screens,
            [
                ("customers", "/rep/customers"),
                ("customer", f"/rep/customers/{world.ana.customer_id}"),
                ("new-order", f"/rep/customers/{world.ana.customer_id}/new?kind=order"),
                ("orders", "/rep/orders"),
                ("order", f"/rep/orders/{world.invoiced_order_id}"),
                ("alerts", "/rep/alerts"),
                ("commissions", "/rep/commissions?view=paid"),
            ],
            prefix="phone-rep-",
        )
        # The lines form once checked, with its availability.
        page.goto(f"/rep/customers/{world.ana.customer_id}/new?kind=quote")
        line_field(page, 1, "Product code").fill(world.drill)
        line_field(page, 1, "Quantity").fill("1")
        page.get_by_role("button", name="Check availability").click()
        expect(page.locator(".availability .short")).to_be_visible()
        assert no_sideways_scroll(page) <= PHONE["width"]
        screens.shot(page, "phone-rep-new-quote-checked")
    finally:
        context.close()
