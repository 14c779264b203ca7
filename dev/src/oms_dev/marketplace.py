"""A test double of Amazon's Selling Partner API and of Login with Amazon, in process.

Written from Amazon's published models (amzn/selling-partner-api-models): Orders API
2026-01-01 (``searchOrders``, ``getOrder``), Orders v0 ``confirmShipment`` and Listings
Items 2021-08-01 ``patchListingsItem``; field names, required fields, enums and error
shapes follow them. It refuses what Amazon refuses: no ``x-amz-access-token``, both the
created and the lastUpdated filters (or neither), a ``*Before`` later than two minutes
before now or earlier than its ``*After``, a date with a time-zone offset, a page size
outside 1..100, a body missing a required field. Datasets (``BUYER``, ``RECIPIENT``,
``FULFILLMENT``, ``PROCEEDS``, ``CANCELLATION``) are in an order only when
``includedData`` asks for them. It pages, throttles on demand (429 ``QuotaExceeded``) and
lets a test change orders after they were read (a buyer's cancellation).

Its clock is its own: ``advance()`` moves it forward, so that a change made "now" can be
older than two minutes without waiting.

    with MarketplaceDouble() as amazon:
        amazon.add_order("SKU-1", quantity=2, unit_price="9.99")
        ... POST /connections {endpoint: amazon.url, lwa_endpoint: amazon.lwa_url, ...}
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import secrets
import socket
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

SEARCH_ORDERS = "searchOrders"
GET_ORDER = "getOrder"
CONFIRM_SHIPMENT = "confirmShipment"
PATCH_LISTINGS_ITEM = "patchListingsItem"

#: Amazon's default usage plans (requests per second, burst), from the models.
RATE_LIMITS = {
    SEARCH_ORDERS: (0.0056, 20),
    GET_ORDER: (0.5, 30),
    CONFIRM_SHIPMENT: (2.0, 10),
    PATCH_LISTINGS_ITEM: (5.0, 5),
}

FULFILLMENT_STATUSES = (
    "PENDING_AVAILABILITY",
    "PENDING",
    "UNSHIPPED",
    "PARTIALLY_SHIPPED",
    "SHIPPED",
    "CANCELLED",
    "UNFULFILLABLE",
)
INCLUDED_DATA = (
    "BUYER",
    "RECIPIENT",
    "PROCEEDS",
    "EXPENSE",
    "PROMOTION",
    "CANCELLATION",
    "FULFILLMENT",
    "PACKAGES",
    "TAX",
    "PAYMENT",
    "FULFILLMENT_ORDERS",
)
#: ISO 8601 in UTC with ``Z``: what the Selling Partner API accepts in practice.
_UTC_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")
TWO_MINUTES = timedelta(minutes=2)


def iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _errors(status: int, code: str, message: str, details: str = "") -> JSONResponse:
    error: dict[str, str] = {"code": code, "message": message}
    if details:
        error["details"] = details
    return JSONResponse({"errors": [error]}, status_code=status)


class _Refused(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def _invalid(message: str, details: str = "") -> _Refused:
    return _Refused(_errors(400, "InvalidInput", message, details))


@dataclass
class Item:
    order_item_id: str
    seller_sku: str
    quantity: int
    unit_price: Decimal
    title: str = "Item"
    asin: str = "B000000000"


@dataclass
class AmazonOrder:
    order_id: str
    created: datetime
    updated: datetime
    marketplace_id: str
    status: str
    items: list[Item]
    currency: str
    buyer: dict[str, str]
    address: dict[str, str]
    fulfilled_by: str = "MERCHANT"
    cancel_reason: str | None = None

    def shape(self, included: set[str]) -> dict[str, Any]:
        """The order as an Orders API 2026-01-01 ``Order``, with the datasets asked for."""
        order: dict[str, Any] = {
            "orderId": self.order_id,
            "createdTime": iso(self.created),
            "lastUpdatedTime": iso(self.updated),
            "salesChannel": {
                "channelName": "AMAZON",
                "marketplaceId": self.marketplace_id,
                "marketplaceName": "Amazon",
            },
            "orderItems": [self._item(item, included) for item in self.items],
        }
        if "BUYER" in included:
            order["buyer"] = dict(self.buyer)
        if "RECIPIENT" in included:
            order["recipient"] = {"deliveryAddress": dict(self.address)}
        if "FULFILLMENT" in included:
            order["fulfillment"] = {
                "fulfillmentStatus": self.status,
                "fulfilledBy": self.fulfilled_by,
            }
        if "PROCEEDS" in included:
            total = sum((i.unit_price * i.quantity for i in self.items), Decimal(0))
            order["proceeds"] = {"grandTotal": self._money(total)}
        return order

    def _money(self, amount: Decimal) -> dict[str, str]:
        return {"amount": format(amount, "f"), "currencyCode": self.currency}

    def _item(self, item: Item, included: set[str]) -> dict[str, Any]:
        shaped: dict[str, Any] = {
            "orderItemId": item.order_item_id,
            "quantityOrdered": item.quantity,
            "product": {
                "asin": item.asin,
                "title": item.title,
                "sellerSku": item.seller_sku,
                "price": {"unitPrice": self._money(item.unit_price)},
            },
        }
        if "PROCEEDS" in included:
            shaped["proceeds"] = {"proceedsTotal": self._money(item.unit_price * item.quantity)}
        if "FULFILLMENT" in included:
            shipped = item.quantity if self.status == "SHIPPED" else 0
            shaped["fulfillment"] = {
                "quantityFulfilled": shipped,
                "quantityUnfulfilled": item.quantity - shipped,
            }
        if "CANCELLATION" in included and self.status == "CANCELLED":
            shaped["cancellation"] = {
                "cancellationRequest": {
                    "requester": "BUYER",
                    "cancelReason": self.cancel_reason or "",
                }
            }
        return shaped


@dataclass
class Credentials:
    client_id: str = field(default_factory=lambda: "amzn1.application-oa2-client." + _hex(16))
    client_secret: str = field(default_factory=lambda: "amzn1.oa2-cs.v1." + _hex(32))
    refresh_token: str = field(default_factory=lambda: "Atzr|" + _hex(40))


def _hex(n: int) -> str:
    return secrets.token_hex(n)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class MarketplaceDouble:
    """The double; start it (a context manager) and point a connection at ``url`` and
    ``lwa_url``. Everything it was asked is in ``calls`` (operation, query/body, status)."""

    def __init__(
        self,
        *,
        seller_id: str = "A1SELLERDOUBLE",
        marketplace_id: str = "ATVPDKIKX0DER",
        currency: str = "USD",
        token_lifetime_s: int = 3600,
        credentials: Credentials | None = None,
        port: int | None = None,
    ) -> None:
        self.seller_id = seller_id
        self.marketplace_id = marketplace_id
        self.currency = currency
        self.credentials = credentials or Credentials()
        self.token_lifetime_s = token_lifetime_s
        self.orders: dict[str, AmazonOrder] = {}
        self.shipments: list[dict[str, Any]] = []
        self.listings: list[dict[str, Any]] = []
        self.calls: list[tuple[str, dict[str, Any], int]] = []
        self.token_exchanges = 0
        self._tokens: dict[str, float] = {}
        self._throttle: Counter[str] = Counter()
        self._failures: dict[str, int] = defaultdict(int)
        self._offset = timedelta(0)
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        self.port = port or _free_port()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # --- the test's side ---------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def lwa_url(self) -> str:
        return f"{self.url}/auth/o2/token"

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance(self, **delta: float) -> None:
        """Move the double's clock forward (``minutes=5``)."""
        with self._lock:
            self._offset += timedelta(**delta)

    def add_order(
        self,
        *lines: tuple[str, int, str],
        created: datetime | None = None,
        status: str = "UNSHIPPED",
        order_id: str | None = None,
        buyer_name: str | None = None,
        address: dict[str, str] | None = None,
    ) -> AmazonOrder:
        """An order of ``(seller_sku, quantity, unit_price)`` lines, created at ``created``
        (default: ten minutes before the double's now); ``address`` fields replace those of
        the made-up one (``city``, ``postalCode``, ``countryCode``...)."""
        with self._lock:
            n = next(self._ids)
            created = created or self.now() - timedelta(minutes=10)
            order = AmazonOrder(
                order_id=order_id or f"{100 + n % 900:03d}-{n:07d}-{n * 7 % 10_000_000:07d}",
                created=created,
                updated=created,
                marketplace_id=self.marketplace_id,
                status=status,
                items=[
                    Item(
                        order_item_id=f"{n:07d}{i:07d}",
                        seller_sku=sku,
                        quantity=quantity,
                        unit_price=Decimal(price),
                        title=f"Product {sku}",
                    )
                    for i, (sku, quantity, price) in enumerate(lines, start=1)
                ],
                currency=self.currency,
                buyer={
                    "buyerName": buyer_name or f"Buyer {n}",
                    "buyerEmail": f"b{n}@marketplace.amazon.com",
                },
                address={
                    "name": buyer_name or f"Buyer {n}",
                    "addressLine1": f"{n} Main Street",
                    "city": "Seattle",
                    "stateOrRegion": "WA",
                    "postalCode": "98101",
                    "countryCode": "US",
                    "addressType": "RESIDENTIAL",
                    **(address or {}),
                },
            )
            self.orders[order.order_id] = order
            return order

    def change(self, order_id: str, status: str, reason: str | None = None) -> AmazonOrder:
        """The order moves to ``status`` now (a cancellation after import, a shipment)."""
        if status not in FULFILLMENT_STATUSES:
            raise ValueError(f"not an Amazon fulfillment status: {status}")
        with self._lock:
            order = self.orders[order_id]
            order.status = status
            order.cancel_reason = reason
            order.updated = self.now()
            return order

    def throttle(self, operation: str, times: int) -> None:
        """The next ``times`` calls of ``operation`` answer 429 QuotaExceeded."""
        with self._lock:
            self._throttle[operation] += times

    def fail(self, operation: str, times: int) -> None:
        """The next ``times`` calls of ``operation`` answer 503 (a passing outage)."""
        with self._lock:
            self._failures[operation] += times

    def count(self, operation: str, status: int | None = None) -> int:
        return sum(1 for op, _, s in self.calls if op == operation and status in (None, s))

    # --- running ----------------------------------------------------------------------

    def __enter__(self) -> MarketplaceDouble:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        config = uvicorn.Config(
            self.app(), host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True, name="sp-api")
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the marketplace double did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/auth/o2/token", self._token, methods=["POST"]),
                Route("/orders/2026-01-01/orders", self._search_orders, methods=["GET"]),
                Route("/orders/2026-01-01/orders/{orderId}", self._get_order, methods=["GET"]),
                Route(
                    "/orders/v0/orders/{orderId}/shipmentConfirmation",
                    self._confirm_shipment,
                    methods=["POST"],
                ),
                Route(
                    "/listings/2021-08-01/items/{sellerId}/{sku}",
                    self._patch_listings_item,
                    methods=["PATCH"],
                ),
            ]
        )

    # --- Login with Amazon --------------------------------------------------------------

    async def _token(self, request: Request) -> Response:
        form = await request.form()
        expected = {
            "grant_type": "refresh_token",
            "refresh_token": self.credentials.refresh_token,
            "client_id": self.credentials.client_id,
            "client_secret": self.credentials.client_secret,
        }
        for name in ("grant_type", "refresh_token", "client_id", "client_secret"):
            if not form.get(name):
                return self._lwa_error("invalid_request", f"Missing parameter: {name}")
        if form.get("grant_type") != "refresh_token":
            return self._lwa_error("unsupported_grant_type", "Unsupported grant type")
        if form.get("client_id") != expected["client_id"] or (
            form.get("client_secret") != expected["client_secret"]
        ):
            return self._lwa_error("invalid_client", "Client authentication failed", 401)
        if form.get("refresh_token") != expected["refresh_token"]:
            return self._lwa_error("invalid_grant", "The request has an invalid grant parameter")
        token = "Atza|" + _hex(48)
        with self._lock:
            self.token_exchanges += 1
            self._tokens[token] = time.monotonic() + self.token_lifetime_s
        return JSONResponse(
            {
                "access_token": token,
                "refresh_token": self.credentials.refresh_token,
                "token_type": "bearer",
                "expires_in": self.token_lifetime_s,
            }
        )

    @staticmethod
    def _lwa_error(code: str, description: str, status: int = 400) -> Response:
        return JSONResponse({"error": code, "error_description": description}, status)

    # --- the Selling Partner API ---------------------------------------------------------

    def _gate(self, operation: str, request: Request) -> None:
        """Refuse a call without a valid access token; 429/503 when asked to."""
        token = request.headers.get("x-amz-access-token")
        with self._lock:
            expires = self._tokens.get(token or "")
            if expires is None or expires < time.monotonic():
                raise _Refused(
                    _errors(
                        403,
                        "Unauthorized",
                        "Access to requested resource is denied.",
                        "The access token you provided is revoked, malformed or invalid."
                        if token
                        else "Access token is missing in the request header.",
                    )
                )
            if self._throttle[operation] > 0:
                self._throttle[operation] -= 1
                response = _errors(
                    429, "QuotaExceeded", "You exceeded your quota for the requested resource."
                )
                response.headers["x-amzn-RateLimit-Limit"] = str(RATE_LIMITS[operation][0])
                raise _Refused(response)
            if self._failures[operation] > 0:
                self._failures[operation] -= 1
                raise _Refused(
                    _errors(503, "ServiceUnavailable", "Service temporarily unavailable.")
                )

    def _answer(
        self, operation: str, request: Request, detail: dict[str, Any], respond: Any
    ) -> Response:
        try:
            self._gate(operation, request)
            response: Response = respond()
        except _Refused as refused:
            response = refused.response
        response.headers.setdefault("x-amzn-RateLimit-Limit", str(RATE_LIMITS[operation][0]))
        response.headers["x-amzn-RequestId"] = _hex(8)
        with self._lock:
            self.calls.append((operation, detail, response.status_code))
        return response

    def _instant(self, name: str, value: str | None) -> datetime | None:
        if value is None:
            return None
        if not _UTC_INSTANT.match(value):
            raise _invalid(f"Invalid {name}: {value}", "Dates must be ISO 8601 in UTC (Z).")
        return datetime.fromisoformat(value.replace("Z", "+00:00"))

    async def _search_orders(self, request: Request) -> Response:
        query = request.query_params
        detail = {k: query.getlist(k) if len(query.getlist(k)) > 1 else v for k, v in query.items()}
        return self._answer(SEARCH_ORDERS, request, detail, lambda: self._search(query))

    def _search(self, query: Any) -> Response:
        token = query.get("paginationToken")
        if token:
            try:
                state = json.loads(base64.urlsafe_b64decode(token.encode()))
            except ValueError as exc:
                raise _invalid("Invalid paginationToken") from exc
            return self._page(state)
        created_after = self._instant("createdAfter", query.get("createdAfter"))
        created_before = self._instant("createdBefore", query.get("createdBefore"))
        updated_after = self._instant("lastUpdatedAfter", query.get("lastUpdatedAfter"))
        updated_before = self._instant("lastUpdatedBefore", query.get("lastUpdatedBefore"))
        if (created_after is None) == (updated_after is None):
            raise _invalid("Exactly one of createdAfter and lastUpdatedAfter must be provided.")
        if created_after is not None and (updated_after or updated_before):
            raise _invalid(
                "lastUpdatedAfter and lastUpdatedBefore cannot be used with createdAfter."
            )
        if updated_after is not None and created_before is not None:
            raise _invalid("createdBefore cannot be used with lastUpdatedAfter.")
        latest = self.now() - TWO_MINUTES
        after = created_after or updated_after
        before = created_before or updated_before
        name = "createdBefore" if created_after else "lastUpdatedBefore"
        if before is not None:
            if before > latest:
                raise _invalid(f"{name} must be at least two minutes before the request time.")
            if after is not None and before < after:
                raise _invalid(f"{name} must be equal to or after the After date.")
        else:
            before = latest
        size = query.get("maxResultsPerPage", "100")
        if not size.isdigit() or not 1 <= int(size) <= 100:
            raise _invalid("maxResultsPerPage must be between 1 and 100.")
        statuses = query.getlist("fulfillmentStatuses")
        included = query.getlist("includedData")
        marketplaces = query.getlist("marketplaceIds")
        for value in statuses:
            if value not in FULFILLMENT_STATUSES:
                raise _invalid(f"Invalid fulfillmentStatuses: {value}")
        for value in included:
            if value not in INCLUDED_DATA:
                raise _invalid(f"Invalid includedData: {value}")
        assert after is not None
        state = {
            "by": "created" if created_after else "updated",
            "after": iso(after),
            "before": iso(before),
            "statuses": statuses,
            "included": included,
            "marketplaces": marketplaces,
            "size": int(size),
            "offset": 0,
        }
        return self._page(state)

    def _page(self, state: dict[str, Any]) -> Response:
        after = datetime.fromisoformat(state["after"].replace("Z", "+00:00"))
        before = datetime.fromisoformat(state["before"].replace("Z", "+00:00"))
        by_created = state["by"] == "created"
        with self._lock:
            found = sorted(
                (
                    o
                    for o in self.orders.values()
                    if after <= (o.created if by_created else o.updated) <= before
                    and (not state["statuses"] or o.status in state["statuses"])
                    and (not state["marketplaces"] or o.marketplace_id in state["marketplaces"])
                ),
                key=lambda o: ((o.created if by_created else o.updated), o.order_id),
            )
            offset, size = state["offset"], state["size"]
            page = [o.shape(set(state["included"])) for o in found[offset : offset + size]]
        body: dict[str, Any] = {"orders": page}
        body["createdBefore" if by_created else "lastUpdatedBefore"] = state["before"]
        if offset + size < len(found):
            following = dict(state, offset=offset + size)
            token = base64.urlsafe_b64encode(json.dumps(following).encode()).decode()
            body["pagination"] = {"nextToken": token}
        return JSONResponse(body)

    async def _get_order(self, request: Request) -> Response:
        order_id = request.path_params["orderId"]
        included = request.query_params.getlist("includedData")

        def respond() -> Response:
            for value in included:
                if value not in INCLUDED_DATA:
                    raise _invalid(f"Invalid includedData: {value}")
            with self._lock:
                order = self.orders.get(order_id)
                if order is None:
                    return _errors(404, "NotFound", f"Order {order_id} was not found.")
                return JSONResponse({"order": order.shape(set(included))})

        return self._answer(GET_ORDER, request, {"orderId": order_id}, respond)

    async def _confirm_shipment(self, request: Request) -> Response:
        order_id = request.path_params["orderId"]
        raw = await request.body()

        def respond() -> Response:
            body = _json_object(raw)
            _require(body, ("marketplaceId", "packageDetail"), "")
            package = body["packageDetail"]
            if not isinstance(package, dict):
                raise _invalid("packageDetail must be an object.")
            fields = ("packageReferenceId", "carrierCode", "trackingNumber", "shipDate")
            _require(package, (*fields, "orderItems"), "packageDetail.")
            self._instant("shipDate", package["shipDate"])
            items = package["orderItems"]
            if not isinstance(items, list) or not items:
                raise _invalid("packageDetail.orderItems must list at least one item.")
            for item in items:
                _require(item, ("orderItemId", "quantity"), "packageDetail.orderItems[].")
            with self._lock:
                order = self.orders.get(order_id)
                if order is None:
                    return _errors(404, "NotFound", f"Order {order_id} was not found.")
                known = {i.order_item_id for i in order.items}
                for item in items:
                    if item["orderItemId"] not in known:
                        raise _invalid(f"Unknown orderItemId {item['orderItemId']}.")
                if order.status == "CANCELLED":
                    raise _invalid("The order is cancelled.")
                self.shipments.append({"orderId": order_id, **body})
                order.status = "SHIPPED"
                order.updated = self.now()
            return Response(status_code=204)

        return self._answer(CONFIRM_SHIPMENT, request, {"orderId": order_id}, respond)

    async def _patch_listings_item(self, request: Request) -> Response:
        seller_id = request.path_params["sellerId"]
        sku = request.path_params["sku"]
        marketplaces = request.query_params.getlist("marketplaceIds")
        raw = await request.body()

        def respond() -> Response:
            if not marketplaces:
                raise _invalid("Missing required parameter marketplaceIds.")
            if seller_id != self.seller_id:
                return _errors(403, "Unauthorized", "Access to requested resource is denied.")
            body = _json_object(raw)
            _require(body, ("productType", "patches"), "")
            patches = body["patches"]
            if not isinstance(patches, list) or not patches:
                raise _invalid("patches must list at least one operation.")
            for patch in patches:
                _require(patch, ("op", "path"), "patches[].")
                if patch["op"] not in ("add", "replace", "merge", "delete"):
                    raise _invalid(f"Invalid op {patch['op']}.")
            submission = _hex(16)
            with self._lock:
                self.listings.append(
                    {"sku": sku, "marketplaceIds": marketplaces, **body, "submissionId": submission}
                )
            return JSONResponse(
                {"sku": sku, "status": "ACCEPTED", "submissionId": submission, "issues": []}
            )

        return self._answer(PATCH_LISTINGS_ITEM, request, {"sku": sku}, respond)

    def quantities(self, sku: str) -> list[int]:
        """The fulfillment_availability quantities patched for ``sku``, oldest first."""
        out: list[int] = []
        for listing in self.listings:
            if listing["sku"] != sku:
                continue
            for patch in listing["patches"]:
                if patch["path"] == "/attributes/fulfillment_availability":
                    out.extend(int(v["quantity"]) for v in patch.get("value", []))
        return out

    def snapshot(self) -> Iterator[AmazonOrder]:
        with self._lock:
            yield from list(self.orders.values())


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw or b"null")
    except ValueError as exc:
        raise _invalid("The request body is not valid JSON.") from exc
    if not isinstance(body, dict):
        raise _invalid("The request body must be a JSON object.")
    return body


def _require(body: Any, names: tuple[str, ...], prefix: str) -> None:
    if not isinstance(body, dict):
        raise _invalid(f"{prefix.rstrip('.')} must be an object.")
    for name in names:
        if body.get(name) in (None, ""):
            raise _invalid(f"Missing required field {prefix}{name}.")
