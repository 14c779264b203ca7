"""One small HTTP client per service, calling its public routes (DESIGN section 5) with
the signed-in person's bearer token: the services decide what he may see and do, and the
portal shows their answers. A 401 means the token is no longer good (the session
expired), a 404 that the record does not exist or is not his, 5xx or no answer that the
service is unavailable; 409, 413 and 422 are refusals a page explains."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from oms_portal.settings import Settings

JSON = dict[str, Any]


class ServiceError(Exception):
    def __init__(self, service: str, status: int | None, detail: str = "") -> None:
        super().__init__(f"{service}: {status} {detail}".strip())
        self.service = service
        self.status = status
        self.detail = detail


class TokenRefused(ServiceError):
    """401: the token expired or is no longer accepted."""


class NotFound(ServiceError):
    """404: no such record, or not the caller's to see."""


class Forbidden(ServiceError):
    """403: the caller's role may not do this."""


class Unavailable(ServiceError):
    """The service did not answer, or answered with a server error."""


class Refused(ServiceError):
    """409, 413, 422: the service refused what was asked; ``field`` names the field."""

    def __init__(self, service: str, status: int, detail: str, field: str | None) -> None:
        super().__init__(service, status, detail)
        self.field = field


@dataclass(frozen=True)
class TokenGrant:
    access_token: str
    expires_in: int


@dataclass(frozen=True)
class Download:
    content: bytes
    content_type: str
    disposition: str | None


class SignInRefused(Exception):
    """Wrong username or password (``too_many``: refused for a while after failures)."""

    def __init__(self, too_many: bool = False) -> None:
        super().__init__("too many attempts" if too_many else "wrong username or password")
        self.too_many = too_many


def _problem(response: httpx.Response) -> tuple[str, str | None]:
    """The detail and the first field named of a problem+json answer."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200], None
    if not isinstance(body, dict):
        return "", None
    detail = str(body.get("detail") or body.get("title") or "")
    errors = body.get("errors")
    field = None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        field = errors[0].get("field")
    return detail, str(field) if field else None


def segment(value: str) -> str:
    """A record id as one segment of a service's path: what a person typed in the portal's
    address stays one segment (``a/b`` or ``..`` reach no other route)."""
    if value in ("", ".", ".."):
        raise NotFound("portal", 404, "no such record")
    return quote(value, safe="")


class ServiceClient:
    """The public routes of one service."""

    def __init__(self, name: str, base_url: str, timeout: float) -> None:
        self.name = name
        self.http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def request(
        self, method: str, path: str, token: str | None, **options: Any
    ) -> httpx.Response:
        headers = {**options.pop("headers", {})}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            response = await self.http.request(method, path, headers=headers, **options)
        except httpx.HTTPError as exc:
            raise Unavailable(self.name, None, repr(exc)) from exc
        status = response.status_code
        if status < 400:
            return response
        detail, field = _problem(response)
        if status == 401:
            raise TokenRefused(self.name, status, detail)
        if status == 403:
            raise Forbidden(self.name, status, detail)
        if status == 404:
            raise NotFound(self.name, status, detail)
        if status in (409, 413, 422):
            raise Refused(self.name, status, detail, field)
        raise Unavailable(self.name, status, detail)

    async def get(self, path: str, token: str, **params: Any) -> JSON:
        query = {name: value for name, value in params.items() if value not in (None, "")}
        body: JSON = (await self.request("GET", path, token, params=query)).json()
        return body

    async def post(self, path: str, token: str, **options: Any) -> JSON:
        body: JSON = (await self.request("POST", path, token, **options)).json()
        return body

    async def download(self, path: str, token: str) -> Download:
        response = await self.request("GET", path, token)
        return Download(
            content=response.content,
            content_type=response.headers.get("content-type", "application/octet-stream"),
            disposition=response.headers.get("content-disposition"),
        )


class OrdersClient(ServiceClient):
    """Sign-in, users, customers, the catalogue, quotes, orders and their documents."""

    async def sign_in(self, username: str, password: str) -> TokenGrant:
        try:
            response = await self.http.post(
                "/auth/token",
                data={"grant_type": "password", "username": username, "password": password},
            )
        except httpx.HTTPError as exc:
            raise Unavailable(self.name, None, repr(exc)) from exc
        if response.status_code in (400, 401):
            raise SignInRefused()
        if response.status_code == 429:
            raise SignInRefused(too_many=True)
        if response.status_code != 200:
            raise Unavailable(self.name, response.status_code, response.text[:200])
        body = response.json()
        return TokenGrant(str(body["access_token"]), int(body.get("expires_in") or 0))

    async def me(self, token: str) -> JSON:
        return await self.get("/users/me", token)

    async def customer(self, token: str, customer_id: str) -> JSON:
        return await self.get(f"/customers/{segment(customer_id)}", token)

    async def customers(self, token: str, **filters: Any) -> JSON:
        """The customers within the caller's reach, by name (``q`` searches)."""
        return await self.get("/customers", token, **filters)

    async def product(self, token: str, sku: str) -> JSON:
        return await self.get(f"/products/{segment(sku)}", token)

    async def products(self, token: str, **filters: Any) -> JSON:
        """The catalogue's search (``q``), by name, paged, with each photo's address and
        the stock as orders last heard it."""
        return await self.get("/products", token, **filters)

    async def product_image(self, token: str, sku: str) -> Download:
        return await self.download(f"/products/{segment(sku)}/image", token)

    async def associated_products(self, token: str, sku: str) -> JSON:
        return await self.get(f"/products/{segment(sku)}/associated", token)

    async def cart(self, token: str) -> JSON:
        """The signed-in customer user's cart and saved-for-later list, kept by orders
        (the same on every device), priced by the catalogue now."""
        return await self.get("/cart", token)

    async def set_cart_line(self, token: str, sku: str, quantity: str) -> JSON:
        """Put the quantity of a product in the cart (0 removes it)."""
        response = await self.request(
            "PUT", f"/cart/lines/{segment(sku)}", token, json={"quantity": quantity}
        )
        body: JSON = response.json()
        return body

    async def save_for_later(self, token: str, sku: str) -> JSON:
        return await self.post(f"/cart/lines/{segment(sku)}/save-for-later", token)

    async def move_to_cart(self, token: str, sku: str) -> JSON:
        return await self.post(f"/cart/saved/{segment(sku)}/move-to-cart", token)

    async def check_out(self, token: str, note: str | None, idempotency_key: str) -> JSON:
        """The cart placed as the customer's order; the same key again (a double click)
        answers with the order placed the first time and places nothing."""
        return await self.post(
            "/cart/checkout",
            token,
            json={"note": note},
            headers={"Idempotency-Key": idempotency_key},
        )

    async def orders(self, token: str, **filters: Any) -> JSON:
        return await self.get("/orders", token, **filters)

    async def order(self, token: str, order_id: str) -> JSON:
        return await self.get(f"/orders/{segment(order_id)}", token)

    async def order_attachments(self, token: str, order_id: str) -> JSON:
        return await self.get(f"/orders/{segment(order_id)}/attachments", token)

    async def quotes(self, token: str, **filters: Any) -> JSON:
        return await self.get("/quotes", token, **filters)

    async def quote(self, token: str, quote_id: str) -> JSON:
        return await self.get(f"/quotes/{segment(quote_id)}", token)

    async def quote_attachments(self, token: str, quote_id: str) -> JSON:
        return await self.get(f"/quotes/{segment(quote_id)}/attachments", token)

    async def attachment(self, token: str, attachment_id: str) -> Download:
        return await self.download(f"/attachments/{segment(attachment_id)}", token)

    async def sign_contract(
        self, token: str, quote_id: str, name: str, data: bytes, content_type: str
    ) -> JSON:
        return await self.post(
            f"/quotes/{segment(quote_id)}/signed-contract",
            token,
            files={"file": (name, data, content_type)},
        )

    async def approve_quote(self, token: str, quote_id: str) -> JSON:
        return await self.post(f"/quotes/{segment(quote_id)}/approve", token)

    async def create_quote(self, token: str, body: JSON, idempotency_key: str) -> JSON:
        return await self.post(
            "/quotes", token, json=body, headers={"Idempotency-Key": idempotency_key}
        )

    async def send_quote(self, token: str, quote_id: str) -> JSON:
        return await self.post(f"/quotes/{segment(quote_id)}/send", token)

    async def place_order(self, token: str, body: JSON, idempotency_key: str) -> JSON:
        """The same key again (a second click) answers with the order placed the first
        time and places nothing."""
        return await self.post(
            "/orders", token, json=body, headers={"Idempotency-Key": idempotency_key}
        )


class BillingClient(ServiceClient):
    """Invoices with their installments, their PDFs, and the customer's statement."""

    async def invoices(self, token: str, **filters: Any) -> JSON:
        return await self.get("/invoices", token, **filters)

    async def invoice(self, token: str, invoice_id: str) -> JSON:
        return await self.get(f"/invoices/{segment(invoice_id)}", token)

    async def invoice_pdf(self, token: str, invoice_id: str) -> Download:
        return await self.download(f"/invoices/{segment(invoice_id)}/pdf", token)

    async def statement(self, token: str, customer_id: str) -> JSON:
        return await self.get(f"/customers/{segment(customer_id)}/statement", token)


class InventoryClient(ServiceClient):
    """Stock availability."""

    async def stock(self, token: str, sku: str) -> JSON:
        return await self.get(f"/stock/{segment(sku)}", token)


class CommissionsClient(ServiceClient):
    """A rep's commissions, in the three views (to invoice, invoiced, paid)."""

    async def commissions(self, token: str, **filters: Any) -> JSON:
        return await self.get("/commissions", token, **filters)


class NotificationsClient(ServiceClient):
    """A rep's stock alerts (an e-mail when a product is back in stock)."""

    async def stock_alerts(self, token: str, **filters: Any) -> JSON:
        return await self.get("/stock-alerts", token, **filters)

    async def request_stock_alert(self, token: str, sku: str) -> JSON:
        return await self.post("/stock-alerts", token, json={"sku": sku})


class Clients:
    """The services the portal calls."""

    def __init__(
        self,
        orders: OrdersClient,
        billing: BillingClient,
        inventory: InventoryClient,
        commissions: CommissionsClient,
        notifications: NotificationsClient,
    ) -> None:
        self.orders = orders
        self.billing = billing
        self.inventory = inventory
        self.commissions = commissions
        self.notifications = notifications

    @classmethod
    def from_settings(cls, settings: Settings) -> Clients:
        timeout = settings.service_timeout_s
        return cls(
            orders=OrdersClient("orders", settings.orders_url, timeout),
            billing=BillingClient("billing", settings.billing_url, timeout),
            inventory=InventoryClient("inventory", settings.inventory_url, timeout),
            commissions=CommissionsClient("commissions", settings.commissions_url, timeout),
            notifications=NotificationsClient("notifications", settings.notifications_url, timeout),
        )

    async def aclose(self) -> None:
        for client in (
            self.orders,
            self.billing,
            self.inventory,
            self.commissions,
            self.notifications,
        ):
            await client.aclose()
