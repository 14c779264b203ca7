"""The customer area in a real browser (Debian's chromium, driven by Playwright) against
the real orders, inventory and billing processes on the dev stack (seed 001, DESIGN
sections 10 and 14): the back office makes a customer and his user, a proposal with a
contract and an invoiced order through the APIs; the customer signs in, sees his
dashboard with the installments, opens the proposal, finds "Approve proposal" disabled
until he uploads the signed contract, approves, and finds his order awaiting invoicing.
Another customer typing those addresses gets the 404 page; a form posted without its code
gets the 403 page; an expired session gets its own page; a 375-pixel-wide screen never
scrolls sideways; another language has its own labels. A screenshot of each page is kept
under the test's tmp_path (the paths are printed)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from oms_dev.testing import RunningServices
from oms_portal.session import COOKIE, Session, SessionCodec
from oms_portal.settings import DEV_SESSION_KEY
from playwright.sync_api import Browser, expect
from portal_backoffice import PDF, BackOffice, Person
from portal_browser import (
    PHONE,
    Screens,
    each_fits_a_phone,
    new_page,
    no_sideways_scroll,
    sign_in,
)
from portal_server import PortalServer

pytestmark = pytest.mark.stack


@dataclass(frozen=True)
class World:
    ana: Person
    bob: Person
    quote_id: str
    invoiced_order_id: str
    bobs_quote_id: str


@pytest.fixture(scope="module")
def world(office: BackOffice) -> World:
    bolt = office.product("Parafuso sextavado M8", "12.50")
    drill = office.product("Furadeira de impacto", "480.00", tax="0.18")
    ana = office.customer("Ana Souza Ltda", "en", [30, 60, 90])
    bob = office.customer("Bodega Bob S.L.", "es", [30])
    invoiced = office.invoiced_order(ana.customer_id, bolt, 40)
    office.post(  # a second order, so that his lists have pages
        f"{office.orders}/orders",
        json={"customer_id": ana.customer_id, "lines": [{"sku": drill, "quantity": 1}]},
    )
    quote_id = office.sent_proposal(
        ana.customer_id,
        [
            {"sku": bolt, "quantity": 150, "note": "Deliver in the morning, gate 3"},
            {"sku": drill, "quantity": 2, "discount_percent": "5", "note": "220 V model"},
        ],
        contract=True,
    )
    bobs_quote_id = office.sent_proposal(
        bob.customer_id, [{"sku": bolt, "quantity": 10}], contract=False
    )
    return World(ana, bob, quote_id, invoiced["order_id"], bobs_quote_id)


# --- the journey ---------------------------------------------------------------------------


def test_a_customer_signs_the_contract_and_approves_his_proposal(
    browser: Browser, portal: PortalServer, world: World, screens: Screens
) -> None:
    context, page = new_page(browser, portal)
    try:
        page.goto("/")
        expect(page).to_have_url(re.compile(r"/sign-in"))
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        screens.shot(page, "sign-in")
        sign_in(page, world.ana)

        # The dashboard: his latest orders, the invoiced one with billing's installments.
        expect(page.get_by_role("heading", name=f"Welcome, {world.ana.name}")).to_be_visible()
        invoiced = page.locator(f"tr[data-order-id='{world.invoiced_order_id}']")
        expect(invoiced).to_be_visible()
        expect(invoiced.locator(".installments li")).to_have_count(3)
        expect(invoiced.locator(".status")).not_to_have_text("")
        expect(page.get_by_text("Proposals awaiting your approval")).to_be_visible()
        screens.shot(page, "dashboard")

        # The proposals, then his proposal.
        menu = page.get_by_role("navigation", name="Main menu")
        menu.get_by_role("link", name="Proposals").click()
        expect(page.get_by_role("heading", name="Proposals")).to_be_visible()
        row = page.locator(f"tr[data-quote-id='{world.quote_id}']")
        expect(row.locator("[data-status='sent']")).to_be_visible()
        screens.shot(page, "proposals")
        row.get_by_role("link", name=re.compile("View")).click()
        expect(page).to_have_url(re.compile(f"/customer/proposals/{world.quote_id}$"))

        # Items with their notes, payment terms, installments, totals, attachments.
        expect(page.get_by_text("Deliver in the morning, gate 3")).to_be_visible()
        expect(page.get_by_text("220 V model")).to_be_visible()
        expect(page.get_by_text("Parafuso sextavado M8")).to_be_visible()
        expect(page.get_by_text("30 / 60 / 90 days after the invoice")).to_be_visible()
        expect(page.get_by_role("table", name="Installments").locator("tbody tr")).to_have_count(3)
        expect(page.locator(".totals .grand")).to_contain_text("R$")
        expect(page.locator("tr[data-kind='proposal']")).to_be_visible()
        expect(page.locator("tr[data-kind='contract']")).to_be_visible()
        approve = page.get_by_role("button", name="Approve proposal")
        expect(approve).to_be_disabled()
        screens.shot(page, "proposal-awaiting-signed-contract")

        # The proposal PDF and the contract download.
        with page.expect_download() as proposal_pdf:
            page.locator("tr[data-kind='proposal'] a").click()
        assert Path(proposal_pdf.value.path()).read_bytes().startswith(b"%PDF")
        with page.expect_download() as contract:
            page.locator("tr[data-kind='contract'] a").click()
        assert Path(contract.value.path()).read_bytes() == PDF

        # The signed copy, uploaded by its labelled field: then he may approve.
        page.get_by_label("Signed contract").set_input_files(
            {"name": "scan 0042.pdf", "mimeType": "application/pdf", "buffer": PDF}
        )
        page.get_by_role("button", name="Upload").click()
        expect(page.get_by_text("Your signed contract was received.")).to_be_visible()
        signed = page.locator("tr[data-kind='signed_contract']")
        expect(signed).to_contain_text("Signed contract.pdf")
        expect(approve).to_be_enabled()
        screens.shot(page, "proposal-signed")

        approve.click()
        expect(page).to_have_url(re.compile(r"/customer/orders/[^/?]+\?done=approved$"))
        expect(page.get_by_text("your order now awaits invoicing", exact=False)).to_be_visible()
        expect(page.locator(".facts [data-status='awaiting_invoicing']")).to_have_text(
            "Awaiting invoicing"
        )
        expect(page.get_by_text("Not invoiced yet.")).to_be_visible()
        screens.shot(page, "order-awaiting-invoicing")
        order_id = page.url.split("/customer/orders/")[1].split("?")[0]

        # The orders list, filtered by status.
        menu.get_by_role("link", name="Orders").click()
        page.get_by_text("Filters", exact=True).click()
        page.get_by_label("Status", exact=True).select_option("awaiting_invoicing")
        page.get_by_role("button", name="Apply filters").click()
        expect(page.locator("tbody tr")).to_have_count(1)
        expect(page.locator(f"tr[data-order-id='{order_id}'] [data-status]")).to_have_text(
            "Awaiting invoicing"
        )
        screens.shot(page, "orders-filtered")

        # Signing out ends the session: the pages ask to sign in again.
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_text("You have signed out.")).to_be_visible()
        page.goto(f"/customer/orders/{order_id}")
        expect(page).to_have_url(re.compile(r"/sign-in\?next="))
    finally:
        context.close()


def test_another_customer_typing_those_addresses_gets_the_not_found_page(
    browser: Browser, portal: PortalServer, world: World, screens: Screens
) -> None:
    context, page = new_page(browser, portal, locale="es-ES")
    try:
        sign_in(page, world.bob, ("Usuario", "Contraseña", "Iniciar sesión"))
        expect(page.get_by_role("heading", name=f"Bienvenido, {world.bob.name}")).to_be_visible()
        for url in (
            f"/customer/proposals/{world.quote_id}",
            f"/customer/orders/{world.invoiced_order_id}",
        ):
            answer = page.goto(url)
            assert answer is not None and answer.status == 404, url
            expect(page.get_by_role("heading", name="Página no encontrada")).to_be_visible()
            expect(page.get_by_text("Ana Souza")).to_have_count(0)
        screens.shot(page, "not-found")
        # His own proposal opens.
        answer = page.goto(f"/customer/proposals/{world.bobs_quote_id}")
        assert answer is not None and answer.status == 200
    finally:
        context.close()


def test_a_form_posted_without_its_code_is_refused(
    browser: Browser, portal: PortalServer, world: World, system: RunningServices, screens: Screens
) -> None:
    context, page = new_page(browser, portal, locale="es-ES")
    try:
        sign_in(page, world.bob, ("Usuario", "Contraseña", "Iniciar sesión"))
        expect(page.get_by_role("heading", name=re.compile("Bienvenido"))).to_be_visible()
        url = f"/customer/proposals/{world.bobs_quote_id}/approve"
        # The browser's own cookie goes along; the form code does not, or is another.
        missing = page.request.post(url, form={})
        wrong = page.request.post(url, form={"csrf_token": "not-the-code"})
        assert (missing.status, wrong.status) == (403, 403)
        assert "No se pudo aceptar este formulario" in missing.text()
        quote = httpx.get(
            f"{system.url('orders')}/quotes/{world.bobs_quote_id}",
            headers=system.admin.headers(),
        ).json()
        assert quote["status"] == "sent"
        # A page that shows the refusal, as a person would meet it.
        page.set_content(
            f'<form method="post" action="{portal.url}{url}"><button>go</button></form>'
        )
        page.get_by_role("button", name="go").click()
        refusal = page.get_by_role("heading", name="No se pudo aceptar este formulario")
        expect(refusal).to_be_visible()
        screens.shot(page, "form-refused")
    finally:
        context.close()


def test_an_expired_session_gets_a_page_that_asks_to_sign_in_again(
    browser: Browser, portal: PortalServer, world: World, screens: Screens
) -> None:
    codec = SessionCodec(DEV_SESSION_KEY.encode())
    over = Session(
        token="a-token-whose-time-is-over",
        expires_at=time.time() - 1,
        username=world.ana.username,
        role="customer",
        customer_id=world.ana.customer_id,
        language="en",
    )
    refused = Session(
        token="a-token-no-service-accepts",
        expires_at=time.time() + 600,
        username=world.ana.username,
        role="customer",
        customer_id=world.ana.customer_id,
        language="en",
    )
    for name, session in (("expired", over), ("refused", refused)):
        context, page = new_page(browser, portal)
        try:
            context.add_cookies(
                [{"name": COOKIE, "value": codec.dumps(session), "url": portal.url}]
            )
            answer = page.goto("/customer/orders")
            assert answer is not None and answer.status == 401, name
            expect(page.get_by_role("heading", name="Your session has expired")).to_be_visible()
            screens.shot(page, f"session-{name}")
            page.get_by_role("link", name="Sign in again").click()
            page.get_by_label("Username").fill(world.ana.username)
            page.get_by_label("Password").fill(world.ana.password)
            page.get_by_role("button", name="Sign in").click()
            expect(page).to_have_url(re.compile(r"/customer/orders$"))
            expect(page.get_by_role("heading", name="Orders")).to_be_visible()
        finally:
            context.close()


def test_on_a_375_pixel_screen_no_page_scrolls_sideways(
    browser: Browser, portal: PortalServer, world: World, screens: Screens
) -> None:
    context, page = new_page(browser, portal)
    page.set_viewport_size(PHONE)
    try:
        page.goto("/sign-in")
        assert no_sideways_scroll(page) <= PHONE["width"]
        screens.shot(page, "phone-sign-in")
        sign_in(page, world.ana)
        expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()
        each_fits_a_phone(
            page,
            screens,
            [
                ("dashboard", "/customer"),
                ("orders", "/customer/orders"),
                ("proposals", "/customer/proposals"),
                ("proposal", f"/customer/proposals/{world.quote_id}"),
                ("order", f"/customer/orders/{world.invoiced_order_id}"),
            ],
        )
    finally:
        context.close()


def test_the_pages_speak_the_browsers_language_then_the_users(
    browser: Browser, portal: PortalServer, world: World, screens: Screens
) -> None:
    # Before sign-in: the browser's language (Polish here), its own labels.
    context, page = new_page(browser, portal, locale="pl-PL")
    try:
        page.goto("/sign-in")
        expect(page.locator("html")).to_have_attribute("lang", "pl")
        expect(page.get_by_label("Nazwa użytkownika")).to_be_visible()
        expect(page.get_by_label("Hasło")).to_be_visible()
        expect(page.get_by_role("button", name="Zaloguj się")).to_be_visible()
        screens.shot(page, "sign-in-pl")
        # Bob's own language once he is signed in (Spanish), money and dates formatted for it.
        sign_in(page, world.bob, ("Nazwa użytkownika", "Hasło", "Zaloguj się"))
        expect(page.locator("html")).to_have_attribute("lang", "es")
        menu = page.get_by_role("navigation", name="Menú principal")
        expect(menu.get_by_role("link", name="Pedidos")).to_be_visible()
        menu.get_by_role("link", name="Propuestas").click()
        page.locator(f"tr[data-quote-id='{world.bobs_quote_id}']").get_by_role(
            "link", name=re.compile("Ver")
        ).click()
        expect(page.get_by_role("heading", name=re.compile("Propuesta"))).to_be_visible()
        expect(page.get_by_role("button", name="Aprobar propuesta")).to_be_enabled()
        expect(page.locator(".totals .grand dd")).to_have_text(re.compile(r"^137,50\s?BRL$"))
        screens.shot(page, "proposal-es")
    finally:
        context.close()


def test_the_sign_in_form_works_by_keyboard_alone(
    browser: Browser, portal: PortalServer, world: World
) -> None:
    context, page = new_page(browser, portal)
    try:
        page.goto("/sign-in")
        page.keyboard.press("Tab")
        expect(page.get_by_role("link", name="Skip to the content")).to_be_focused()
        page.keyboard.press("Tab")
        expect(page.get_by_role("link", name="OMS portal")).to_be_focused()
        page.keyboard.press("Tab")
        expect(page.get_by_label("Username")).to_be_focused()
        page.keyboard.type(world.ana.username)
        page.keyboard.press("Tab")
        expect(page.get_by_label("Password")).to_be_focused()
        page.keyboard.type(world.ana.password)
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name="Sign in")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()
    finally:
        context.close()


def test_the_lists_page_with_the_services_cursors(
    browser: Browser, system: RunningServices, world: World, screens: Screens
) -> None:
    # A portal of its own showing one row a page, on the same services.
    with PortalServer(
        dev_stack=True,
        orders_url=system.url("orders"),
        billing_url=system.url("billing"),
        page_size=1,
    ) as one_a_page:
        context, page = new_page(browser, one_a_page)
        try:
            sign_in(page, world.ana)
            expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()
            page.goto("/customer/orders")
            pages = page.get_by_role("navigation", name="Pages")
            expect(pages.get_by_role("link", name="First page")).to_have_count(0)
            first = page.locator("tbody tr").get_attribute("data-order-id")
            seen = [first]
            screens.shot(page, "orders-page-1")
            while pages.get_by_role("link", name="Next page").count():
                pages.get_by_role("link", name="Next page").click()
                expect(page).to_have_url(re.compile(r"cursor="))
                expect(page.locator("tbody tr")).to_have_count(1)
                seen.append(page.locator("tbody tr").get_attribute("data-order-id"))
            screens.shot(page, "orders-last-page")
            # Every order of Ana's once, newest first: the invoiced one is the oldest.
            assert len(seen) >= 2 and len(set(seen)) == len(seen)
            assert seen[-1] == world.invoiced_order_id
            pages.get_by_role("link", name="First page").click()
            expect(page.locator(f"tr[data-order-id='{first}']")).to_be_visible()
            # A cursor that means nothing to the service: the first page, not an error.
            answer = page.goto("/customer/orders?cursor=not-a-cursor")
            assert answer is not None and answer.status == 200
            expect(page.locator(f"tr[data-order-id='{first}']")).to_be_visible()
        finally:
            context.close()
