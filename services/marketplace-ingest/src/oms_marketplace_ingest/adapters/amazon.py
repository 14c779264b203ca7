"""The Selling Partner API client: Login with Amazon tokens (the refresh-token grant, no
AWS signing; a token is reused until shortly before it expires), a token bucket per
operation from Amazon's published usage plans, and 429s waited out and retried, never
skipped. Nothing here logs a credential, a token or a request's headers."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

log = logging.getLogger(__name__)

SEARCH_ORDERS = "searchOrders"
GET_ORDER = "getOrder"
CONFIRM_SHIPMENT = "confirmShipment"
PATCH_LISTINGS_ITEM = "patchListingsItem"

#: Amazon's default usage plans (requests per second, burst) from its published models.
RATE_LIMITS: dict[str, tuple[float, int]] = {
    SEARCH_ORDERS: (0.0056, 20),
    GET_ORDER: (0.5, 30),
    CONFIRM_SHIPMENT: (2.0, 10),
    PATCH_LISTINGS_ITEM: (5.0, 5),
}
#: What the import reads with each order.
INCLUDED_DATA = ("BUYER", "RECIPIENT", "FULFILLMENT", "CANCELLATION")
#: A token is renewed this long before Amazon says it expires.
TOKEN_MARGIN_S = 60.0


class MarketplaceError(Exception):
    """A call the marketplace refused (not a throttle: those are waited out)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class TokenBucket:
    """``rate`` tokens a second up to ``burst``; ``take`` waits for one."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic):
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._at = clock()
        self._lock = threading.Lock()

    def delay(self) -> float:
        """Take a token; how long to wait before using it."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now
            self._tokens -= 1
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str
    refresh_token: str


class AccessTokens:
    """Login with Amazon: the refresh-token exchange, its token cached until it expires."""

    def __init__(self, http: httpx.Client, lwa_endpoint: str, credentials: Credentials) -> None:
        self._http = http
        self._endpoint = lwa_endpoint
        self._credentials = credentials
        self._token: str | None = None
        self._expires = 0.0
        self._lock = threading.Lock()

    def get(self, *, renew: bool = False) -> str:
        with self._lock:
            if renew or self._token is None or time.monotonic() >= self._expires:
                self._exchange()
            assert self._token is not None
            return self._token

    def _exchange(self) -> None:
        try:
            response = self._http.post(
                self._endpoint,
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": self._credentials.refresh_token,
                    "client_id": self._credentials.client_id,
                    "client_secret": self._credentials.client_secret,
                },
            )
        except httpx.HTTPError as exc:
            raise MarketplaceError(f"Login with Amazon unreachable: {type(exc).__name__}") from exc
        if response.status_code != 200:
            error = _field(response, "error") or f"HTTP {response.status_code}"
            raise MarketplaceError(f"Login with Amazon refused the credentials: {error}")
        body = response.json()
        self._token = str(body["access_token"])
        lifetime = float(body.get("expires_in", 3600))
        self._expires = time.monotonic() + max(lifetime - TOKEN_MARGIN_S, lifetime / 2)


def _field(response: httpx.Response, name: str) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    value = body.get(name) if isinstance(body, dict) else None
    return str(value) if value is not None else None


def _errors(response: httpx.Response) -> str:
    try:
        errors = response.json().get("errors") or []
        return "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors) or response.text
    except (ValueError, AttributeError):
        return response.text[:200]


@dataclass
class SearchPage:
    orders: list[dict[str, Any]]
    #: The upper bound Amazon applied (``lastUpdatedBefore`` or ``createdBefore``).
    before: str | None
    next_token: str | None


class SellingPartnerApi:
    """One connection's client. ``sleep`` is injectable so tests need not wait."""

    def __init__(
        self,
        *,
        endpoint: str,
        lwa_endpoint: str,
        credentials: Credentials,
        timeout_s: float = 30.0,
        throttle_base_s: float = 1.0,
        throttle_max_s: float = 60.0,
        transient_attempts: int = 5,
        sleep: Callable[[float], None] = time.sleep,
        stop: threading.Event | None = None,
    ) -> None:
        self._endpoint = endpoint.rstrip("/")
        self._http = httpx.Client(timeout=timeout_s)
        self.tokens = AccessTokens(self._http, lwa_endpoint, credentials)
        self.buckets = {op: TokenBucket(rate, burst) for op, (rate, burst) in RATE_LIMITS.items()}
        self._throttle_base_s = throttle_base_s
        self._throttle_max_s = throttle_max_s
        self._attempts = transient_attempts
        self._sleep = sleep
        self._stop = stop
        self.throttled = 0

    def close(self) -> None:
        self._http.close()

    # Orders API 2026-01-01
    def search_orders(self, params: dict[str, Any]) -> Iterator[SearchPage]:
        """Every page of ``searchOrders`` with ``params`` (``paginationToken`` followed)."""
        query = dict(params)
        query.setdefault("includedData", list(INCLUDED_DATA))
        before_key = "lastUpdatedBefore" if "lastUpdatedAfter" in query else "createdBefore"
        token: str | None = None
        while True:
            body = self._call(
                SEARCH_ORDERS,
                "GET",
                "/orders/2026-01-01/orders",
                params=query if token is None else {"paginationToken": token},
            )
            token = (body.get("pagination") or {}).get("nextToken")
            yield SearchPage(
                orders=list(body.get("orders") or []), before=body.get(before_key), next_token=token
            )
            if not token:
                return

    def get_order(self, order_id: str) -> dict[str, Any]:
        body = self._call(
            GET_ORDER,
            "GET",
            f"/orders/2026-01-01/orders/{quote(order_id, safe='')}",
            params={"includedData": list(INCLUDED_DATA)},
        )
        order: dict[str, Any] = body["order"]
        return order

    # Orders v0
    def confirm_shipment(self, order_id: str, payload: dict[str, Any]) -> None:
        self._call(
            CONFIRM_SHIPMENT,
            "POST",
            f"/orders/v0/orders/{quote(order_id, safe='')}/shipmentConfirmation",
            json=payload,
        )

    # Listings Items 2021-08-01
    def patch_listings_item(
        self, seller_id: str, sku: str, marketplace_ids: list[str], body: dict[str, Any]
    ) -> dict[str, Any]:
        return self._call(
            PATCH_LISTINGS_ITEM,
            "PATCH",
            f"/listings/2021-08-01/items/{quote(seller_id, safe='')}/{quote(sku, safe='')}",
            params={"marketplaceIds": marketplace_ids},
            json=body,
        )

    def _wait(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if self._stop is not None:
            if self._stop.wait(seconds):
                raise MarketplaceError("stopped while waiting")
        else:
            self._sleep(seconds)

    def _call(self, operation: str, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        throttles = 0
        transient = 0
        renewed = False
        while True:
            self._wait(self.buckets[operation].delay())
            try:
                response = self._http.request(
                    method,
                    self._endpoint + path,
                    headers={"x-amz-access-token": self.tokens.get()},
                    **kwargs,
                )
            except httpx.HTTPError as exc:
                transient += 1
                if transient >= self._attempts:
                    raise MarketplaceError(f"{operation}: {type(exc).__name__}") from exc
                self._wait(min(self._throttle_base_s * 2**transient, self._throttle_max_s))
                continue
            if response.status_code == 429:
                # Throttled: wait (longer each time, up to the cap) and try again, forever.
                throttles += 1
                self.throttled += 1
                wait = min(self._throttle_base_s * 2 ** (throttles - 1), self._throttle_max_s)
                log.info("%s throttled (429), retrying in %.2fs", operation, wait)
                self._wait(wait)
                continue
            if response.status_code == 403 and not renewed:
                # An access token Amazon no longer accepts: exchange once more.
                renewed = True
                self.tokens.get(renew=True)
                continue
            if response.status_code >= 500:
                transient += 1
                if transient >= self._attempts:
                    raise MarketplaceError(
                        f"{operation}: {_errors(response)}", response.status_code
                    )
                self._wait(min(self._throttle_base_s * 2**transient, self._throttle_max_s))
                continue
            if response.status_code >= 400:
                raise MarketplaceError(f"{operation}: {_errors(response)}", response.status_code)
            if response.status_code == 204 or not response.content:
                return {}
            body: dict[str, Any] = response.json()
            return body
