"""The access check of DESIGN section 9 (issue 10): every route of every service, called
as every role, over records of two sales reps and four customers, counting the answers
that reach past the caller's role or scope.

Used by ``tests/test_access.py`` and by the reliability suite's ``access`` scenario, on
services running as processes that verify the tokens of the orders service:

1. Sign in as admin and build the records through the routes: two sales reps, two
   customers of each, a user of every role (back office, warehouse, each rep, one per
   customer), a partner with its client credentials, the dev stack's service client
   (role ``service``: the notifications service's own credential), products (the first
   with a photo), stock, orders (some invoiced and part paid, some with an open pick
   list, some placed by the rep and by the customer), quotes (draft and sent). Wait until
   everything has settled, then read back what exists as the admin sees it: the expected
   world.
2. Read every service's ``/openapi.json``. For every route, every caller:
   - reads (GET) naming a record of each customer (his own, a customer's of the same
     rep, of the other rep), list filters (``customer_id``, ``order_id``,
     ``invoice_number``) naming his own and foreign records, every page of a list, and a
     cursor the admin got;
   - without a token, with an expired one, one of another issuer, a forged one (another
     key) and ``alg: none``: 401;
   - writes the role may not take (403) and writes on records outside his scope (404);
     then the admin's view of everything must be what it was before (a refused write
     changed nothing);
   - the writes the role may take, on his own records;
   - after a portfolio change (a customer moves from one rep to the other), every read
     again: the old rep sees nothing of that customer any more, anywhere.
3. Every 2xx answer is scanned for ids of customers, orders, quotes, invoices (and their
   numbers), pick lists, customer users and partners outside the caller's reach; every
   list is compared with the caller's own records, and ``totals_by_status`` (and counts)
   with what his own records give.

A service's token reads the documents DESIGN section 10 lets it send (the proposal PDF, an
invoice's PDF and XML: ``SERVICE_ROUTES``), any customer's, and gets 403 on every other
route of every service, a route without a rule too.

A leak is an answer (or a change) that reaches past the caller's scope or role: a record,
total or count of someone else, a 2xx for a record outside his scope, a write refused but
done. Any other answer not in DESIGN section 9's table (a 403 where the role may act, a
404 for his own record, a 5xx, a 401 without ``WWW-Authenticate``) is an unexpected
status. The expected result is no leak and no unexpected status.
"""

from __future__ import annotations

import base64
import importlib
import itertools
import json
import re
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any, Protocol
from urllib.parse import quote as url_quote

import httpx
import jwt
import psycopg
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from oms_dev.client import TOKEN_PATH, SignIn, new_password
from oms_kit.auth import ADMIN, BACK_OFFICE, CUSTOMER, PARTNER, SALES_REP, SERVICE, WAREHOUSE

ISSUER = "orders"
JWKS_PATH = "/.well-known/jwks.json"
#: Routes every caller may call without a token (DESIGN section 5).
PUBLIC = frozenset(
    {
        ("orders", "POST", TOKEN_PATH),
        ("orders", "GET", JWKS_PATH),
    }
)
PUBLIC_PATHS = frozenset({"/health", "/ready", "/openapi.json", "/docs", JWKS_PATH})
METHODS = ("get", "post", "put", "patch", "delete")
SETTLE_TIMEOUT_S = 180.0
#: How long nothing may change before the records count as settled.
QUIET_S = 3.0
POLL_S = 0.3
#: A list is read a few items at a time, so that every page boundary is crossed.
PAGE = 3
MAX_PAGES = 100
CURRENCY = "EUR"

Json = Any


class SetupFailed(RuntimeError):
    """The records the check needs could not be built (a route missing or refusing)."""


# --- who calls ---------------------------------------------------------------------------


class Token(Protocol):
    def token(self) -> str: ...


class ClientSignIn:
    """A client (a partner's, or a service's own) signed in with the client-credentials
    grant (RFC 6749 4.4)."""

    def __init__(self, orders_url: str, client_id: str, client_secret: str) -> None:
        self.orders_url = orders_url.rstrip("/")
        self.client_id = client_id
        self._secret = client_secret
        self._token: str | None = None
        self._renew_at = 0.0

    def token(self) -> str:
        if self._token is None or time.monotonic() >= self._renew_at:
            started = time.monotonic()
            response = httpx.post(
                self.orders_url + TOKEN_PATH,
                data={
                    "grant_type": "client_credentials",
                    "client_id": self.client_id,
                    "client_secret": self._secret,
                },
                timeout=30.0,
            )
            if response.status_code != 200:
                raise SetupFailed(
                    f"client {self.client_id} signing in: "
                    f"{response.status_code} {response.text[:300]}"
                )
            body = response.json()
            lifetime = float(body.get("expires_in") or 0)
            self._token = str(body["access_token"])
            self._renew_at = started + lifetime - min(60.0, lifetime / 4)
        return self._token


@dataclass(frozen=True)
class Caller:
    """A signed-in user (or partner client) and what his token stands for."""

    name: str
    role: str
    signed_in: Token
    sales_rep_id: str | None = None
    customer_id: str | None = None
    partner_id: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def scoped(self) -> bool:
        """Sees only part of the customers' records (his own, his portfolio's, none); a
        service reaches every customer's, on the few routes open to it."""
        return self.role not in (ADMIN, BACK_OFFICE, SERVICE)

    def __str__(self) -> str:
        return f"{self.name} ({self.role})"


# --- the records -------------------------------------------------------------------------


@dataclass
class Rec:
    """A record the check knows: its kind, and whose it is (a customer's, a rep's, a
    partner's; none of these: everybody's, like a product)."""

    kind: str
    id: str
    customer_id: str | None = None
    rep_id: str | None = None
    partner_id: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        owner = self.customer_id or self.rep_id or self.partner_id
        return f"{self.kind} {self.id}" + (f" (of {owner})" if owner else "")


#: Kinds of records a customer owns (what a scope is about).
OWNED = frozenset(
    {
        "customer",
        "order",
        "quote",
        "invoice",
        "pick_list",
        "user",
        "partner",
        "attachment",
        "connection",
        "import_run",
        "notification",
    }
)
#: Kinds the world knows completely (every record that exists): lists are compared with it.
COMPLETE = frozenset({"customer", "order", "quote", "invoice", "pick_list"})
#: What a path or query parameter names.
PARAM_KINDS = {
    "invoice_number": "invoice",
    "customer_id": "customer",
    "order_id": "order",
    "quote_id": "quote",
    "attachment_id": "attachment",
    "invoice_id": "invoice",
    "pick_list_id": "pick_list",
    "sku": "product",
    "user_id": "user",
    "partner_id": "partner",
    "sales_rep_id": "sales_rep",
    "connection_id": "connection",
    "import_run_id": "import_run",
    "notification_id": "notification",
    "supplier_id": "supplier",
    "purchase_order_id": "purchase_order",
    "goods_issue_id": "goods_issue",
    "shipment_id": "shipment",
    "price_list_id": "price_list",
}
#: Path parameters that name no record but one of a few fixed things: the value used.
FIXED_PARAMS = {"document_type": "order_confirmed", "language": "en"}
ID_KEYS = {kind: f"{kind}_id" for kind in OWNED | {"sales_rep"}}
#: Query parameters that name a record by something else than its id.
FILTER_FIELDS = {"invoice_number": "number"}
UUID_IN_TEXT = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


@dataclass
class World:
    """Every record of the run, as the admin reads it once everything has settled."""

    tag: str
    rep_of_customer: dict[str, str] = field(default_factory=dict)
    customer_of_partner: dict[str, str] = field(default_factory=dict)
    #: The orders partners pushed: the partner's (and their customer's) records.
    partner_of_order: dict[str, str] = field(default_factory=dict)
    skus: list[str] = field(default_factory=list)
    #: The notifications' template at ``FIXED_PARAMS`` as it was (written back unchanged).
    template: dict[str, str] = field(default_factory=dict)
    records: dict[str, list[Rec]] = field(default_factory=lambda: defaultdict(list))
    texts: dict[str, Rec] = field(default_factory=dict)

    def add(self, rec: Rec, *also: str, named: bool = True) -> Rec:
        """Keep ``rec``; ``named``: look for its id (and ``also``) in answers."""
        self.records[rec.kind].append(rec)
        for text in (rec.id, *also) if named else ():
            if text:
                self.texts[text] = rec
        return rec

    def forget(self, *kinds: str) -> None:
        """Drop the records of ``kinds`` (to read them again)."""
        for kind in kinds:
            for rec in self.records.pop(kind, []):
                for text, named in list(self.texts.items()):
                    if named is rec:
                        del self.texts[text]

    def of(self, kind: str) -> list[Rec]:
        return self.records.get(kind, [])

    def rep_of(self, rec: Rec) -> str | None:
        if rec.rep_id is not None:
            return rec.rep_id
        return self.rep_of_customer.get(rec.customer_id or "")

    def sees(self, caller: Caller, rec: Rec) -> bool:
        """Whether ``rec`` is within ``caller``'s reach (DESIGN section 9)."""
        if caller.role in (ADMIN, BACK_OFFICE, SERVICE) or rec.kind in ("product", "price_list"):
            return True
        if caller.role == WAREHOUSE:
            return rec.kind in (
                "order",
                "pick_list",
                "supplier",
                "purchase_order",
                "goods_issue",
                "shipment",
            )
        # A partner's id is on the orders it pushed for the customer it books them to:
        # that customer and his rep see it on them.
        if caller.role == SALES_REP:
            return self.rep_of(rec) == caller.sales_rep_id
        if caller.role == CUSTOMER:
            if rec.customer_id is not None:
                return rec.customer_id == caller.customer_id
            return rec.rep_id is not None and rec.rep_id == self.rep_of_customer.get(
                caller.customer_id or ""
            )
        if caller.role == PARTNER:
            if rec.partner_id is not None:
                return rec.partner_id == caller.partner_id
            booked = self.customer_of_partner.get(caller.partner_id or "")
            return rec.kind == "customer" and rec.id == booked
        return False

    def foreign_in(self, caller: Caller, body: Json) -> list[Rec]:
        """The records outside ``caller``'s reach that ``body`` names."""
        found: dict[str, Rec] = {}
        for text in texts_in(body):
            rec = self.texts.get(text)
            if rec is not None and not self.sees(caller, rec):
                found[rec.id] = rec
        return list(found.values())


def texts_in(body: Json) -> Iterator[str]:
    """Every string of a JSON document (keys too), and the UUIDs inside longer ones."""
    if isinstance(body, str):
        yield body
        if len(body) > 36:
            yield from UUID_IN_TEXT.findall(body)
    elif isinstance(body, dict):
        for key, value in body.items():
            yield from texts_in(key)
            yield from texts_in(value)
    elif isinstance(body, list):
        for value in body:
            yield from texts_in(value)


# --- the rules: DESIGN section 9's table, route by route ----------------------------------

ALLOW, EITHER, DENY = "allow", "either", "deny"

Body = Callable[["World", "Rec | None", "Caller"], Json]
Prefer = Callable[["Rec"], bool]


@dataclass(frozen=True)
class Rule:
    """Who may call a route: ``allow`` roles must be let through (admin always is, unless
    ``admin`` is false: a route for a partner's own client), roles in ``either`` may be let
    through or refused (403) as the service decided where DESIGN leaves it open, every
    other role gets 403. ``scope`` names the kind of record the body names (``customer_id``
    in ``POST /orders``); ``prefer`` picks records a write fits (an order waiting for
    approval, an open pick list); ``items`` is the kind a list's items are; ``last``: run
    after every other call (a signing key's rotation); ``missing``: roles that have no
    record of their own there (404); ``query``: parameters every call sends (one call
    per value given); ``headers``: headers a call sends (a new ``Idempotency-Key``);
    ``earner``: the list's items are a sales rep's own (his commissions: they name the
    customers he sold to, also once they are another rep's), so each item's
    ``sales_rep_id`` is checked instead of the customers it names; ``absent``: the route
    answers 404 when nothing is there yet (nothing saved for later in his cart, nothing
    billed to a customer), so a 404 is an answer too where the caller may act; ``files``: sent as
    ``multipart/form-data`` instead of the body (a photo)."""

    allow: frozenset[str] = frozenset()
    either: frozenset[str] = frozenset()
    body: Body | None = None
    scope: str | None = None
    prefer: Prefer | None = None
    items: str | None = None
    last: bool = False
    missing: frozenset[str] = frozenset()
    admin: bool = True
    query: Mapping[str, Sequence[str]] = field(default_factory=dict)
    headers: Callable[[], dict[str, str]] | None = None
    earner: bool = False
    absent: bool = False
    files: Mapping[str, tuple[str, bytes, str]] | None = None

    def access(self, role: str) -> str:
        if (role == ADMIN and self.admin) or role in self.allow:
            return ALLOW
        return EITHER if role in self.either else DENY


def rule(allow: str = "", either: str = "", **kwargs: Any) -> Rule:
    """``allow``/``either``: role names separated by spaces."""
    return Rule(frozenset(allow.split()), frozenset(either.split()), **kwargs)


def _status(*statuses: str) -> Prefer:
    return lambda rec: rec.attrs.get("status") in statuses


def _lines(world: World, quantity: int = 1) -> list[dict[str, Any]]:
    return [{"sku": world.skus[0], "quantity": quantity}]


def _empty(world: World, rec: Rec | None, caller: Caller) -> Json:
    return {}


def _password_body(world: World, rec: Rec | None, caller: Caller) -> Json:
    """His own password again (it stays what it was), or, not knowing it (the admin's),
    a wrong one: 422 naming ``current_password``."""
    password = caller.password or "not-the-current-password"
    return {"current_password": password, "new_password": password}


def _hex() -> str:
    return uuid.uuid4().hex[:10]


def _customer_body(world: World, rec: Rec | None, caller: Caller) -> Json:
    return {
        "name": f"Access {world.tag} extra customer",
        "tax_id": f"ACC-{world.tag}-{_hex()}",
        "email": f"extra-{_hex()}@example.com",
        "credit_limit": "1000.00",
        "payment_terms_days": [30],
        "currency": CURRENCY,
    }


def _price_list_body(world: World, rec: Rec | None, caller: Caller) -> Json:
    return {
        "name": f"Access {world.tag} price list",
        "currency": CURRENCY,
        "items": [{"sku": world.skus[0], "discount_percent": "5"}],
    }


def _product_body(world: World, rec: Rec | None, caller: Caller) -> Json:
    return {
        "sku": f"ACC-{world.tag}-{_hex()}",
        "name": "Access check extra product",
        "unit_price": "5.00",
        "currency": CURRENCY,
        "tax_rate": "0.21",
    }


def _placed_body(world: World, rec: Rec | None, caller: Caller) -> Json:
    return {"customer_id": rec.id if rec else "", "lines": _lines(world)}


def _pick_body(world: World, rec: Rec | None, caller: Caller) -> Json:
    lines = rec.attrs.get("lines", []) if rec else []
    return {"lines": [{k: ln[k] for k in ("sku", "quantity", "warehouse", "lot")} for ln in lines]}


def _purchase_receipt_body(world: World, rec: Rec | None, caller: Caller) -> Json:
    """A hundredth of the purchase order's first line: every caller may receive some."""
    line = (rec.attrs.get("lines") or [{}])[0] if rec else {}
    return {
        "lines": [{"sku": line.get("sku", ""), "quantity": 0.01, "warehouse": "ACC", "lot": "L-PO"}]
    }


def _user_body(world: World, rec: Rec | None, caller: Caller) -> Json:
    return {
        "username": f"acc-{world.tag}-{_hex()}",
        "password": new_password(),
        "role": WAREHOUSE,
    }


def _rep_body(world: World, rec: Rec | None, caller: Caller) -> Json:
    return {"name": f"Access {world.tag} extra rep", "email": f"rep-{_hex()}@example.com"}


def _partner_body(world: World, rec: Rec | None, caller: Caller) -> Json:
    return {"name": f"Access {world.tag} extra partner", "customer_id": world.of("customer")[0].id}


def _today() -> str:
    return time.strftime("%Y-%m-%d", time.gmtime())


#: A product's photo: a PNG by its content (what orders checks).
PHOTO = {"file": ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png")}


def _new_key() -> dict[str, str]:
    return {"Idempotency-Key": f"access-{uuid.uuid4().hex}"}


def _commission_rule_body(world: World, rec: Rec | None, caller: Caller) -> Json:
    customer = world.of("customer")[0]
    return {
        "sales_rep_id": world.rep_of_customer[customer.id],
        "customer_id": customer.id,
        "rate_percent": "7",
    }


#: Where a marketplace connection of the check reaches: nowhere (an import fails).
NOWHERE = "http://127.0.0.1:9"


def _connection_body(world: World, rec: Rec | None, caller: Caller) -> Json:
    return {
        "marketplace": "amazon",
        "name": f"Access {world.tag} {_hex()}",
        "seller_id": "ACCESS-SELLER",
        "marketplace_ids": ["A1PA6795UKMFR9"],
        "customer_id": world.of("customer")[0].id,
        "client_id": "access-client",
        "client_secret": "access-secret",
        "refresh_token": "access-refresh-token",
        "endpoint": NOWHERE,
        "lwa_endpoint": f"{NOWHERE}/auth/o2/token",
    }


def _partner_order_body(world: World, rec: Rec | None, caller: Caller) -> Json:
    return {"external_order_id": f"ACC-{_hex()}", "lines": _lines(world)}


def _stock_alert_body(world: World, rec: Rec | None, caller: Caller) -> Json:
    """An alert for the caller himself (a rep), or for the first rep (the back office)."""
    reps = world.of("sales_rep")
    rep = caller.sales_rep_id or (reps[0].id if reps else "")
    return {"sku": world.skus[0], "sales_rep_id": rep}


STAFF = "back_office"
#: A partner is a client, not a user: it has no user record of its own (404).
PARTNER_CLIENT = frozenset({PARTNER})
EVERY_USER = "back_office warehouse sales_rep customer"
#: Who reads a document: whoever reads its quote or invoice, and another service (the
#: notifications service attaches them to e-mails), whoever's it is.
DOCUMENT_READERS = "back_office sales_rep customer service"
#: The only routes a service's token may call (DESIGN sections 9 and 10): every other
#: route of every service answers it 403.
SERVICE_ROUTES = frozenset(
    {
        ("orders", "GET", "/quotes/{quote_id}/pdf"),
        ("billing", "GET", "/invoices/{invoice_id}/xml"),
        ("billing", "GET", "/invoices/{invoice_id}/pdf"),
    }
)
_spare: Prefer = lambda rec: bool(rec.attrs.get("spare"))  # noqa: E731

#: (service, method, path) -> who may call it. A route of an /openapi.json that is not
#: here is reported (the check must cover every route) and called with every role as
#: ``either``.
RULES: dict[tuple[str, str, str], Rule] = {
    # orders: identity (DESIGN section 9)
    ("orders", "POST", "/users"): rule("", body=_user_body),
    ("orders", "GET", "/users"): rule("", items="user"),
    ("orders", "GET", "/users/me"): rule(EVERY_USER, missing=PARTNER_CLIENT),
    ("orders", "POST", "/users/me/password"): rule(
        EVERY_USER, body=_password_body, missing=PARTNER_CLIENT
    ),
    ("orders", "POST", "/users/{user_id}/disable"): rule("", prefer=_spare),
    ("orders", "POST", "/users/{user_id}/enable"): rule("", prefer=_spare),
    ("orders", "POST", "/sales-reps"): rule(STAFF, body=_rep_body),
    ("orders", "GET", "/sales-reps"): rule(STAFF, items="sales_rep"),
    ("orders", "POST", "/partners"): rule("", body=_partner_body),
    ("orders", "POST", "/partners/{partner_id}/rotate-secret"): rule("", prefer=_spare),
    ("orders", "POST", "/partners/{partner_id}/disable"): rule("", prefer=_spare),
    ("orders", "POST", "/auth/keys/rotate"): rule("", last=True),
    # orders: customers and products
    ("orders", "POST", "/customers"): rule(STAFF, body=_customer_body),
    ("orders", "GET", "/customers"): rule("back_office sales_rep", "customer", items="customer"),
    ("orders", "GET", "/customers/{customer_id}"): rule("back_office sales_rep customer"),
    ("orders", "PATCH", "/customers/{customer_id}"): rule(
        STAFF, body=lambda w, r, c: {"email": f"changed-{_hex()}@example.com"}
    ),
    ("orders", "POST", "/products"): rule(STAFF, body=_product_body),
    ("orders", "GET", "/products"): rule(EVERY_USER),
    ("orders", "GET", "/products/{sku}"): rule(EVERY_USER),
    # orders: the catalogue's photos and associated products (DESIGN sections 14 and 15):
    # read by every user (the first product has a photo: the same PNG is put again),
    # written by the back office
    ("orders", "GET", "/products/{sku}/image"): rule(EVERY_USER),
    ("orders", "PUT", "/products/{sku}/image"): rule(STAFF, files=PHOTO),
    ("orders", "GET", "/products/{sku}/associated"): rule(EVERY_USER),
    ("orders", "PUT", "/products/{sku}/associated"): rule(STAFF, body=lambda w, r, c: {"skus": []}),
    # orders: price lists (DESIGN section 15): written by the back office, read by reps too
    ("orders", "POST", "/price-lists"): rule(STAFF, body=_price_list_body),
    ("orders", "GET", "/price-lists"): rule("back_office sales_rep"),
    ("orders", "GET", "/price-lists/{price_list_id}"): rule("back_office sales_rep"),
    # orders: a customer user's own cart (the admin has none: 403); a line is saved for
    # later and moved back, then the cart checked out with a new Idempotency-Key (each
    # customer places a portal order); what is not there (yet) is 404
    ("orders", "GET", "/cart"): rule("customer", admin=False),
    ("orders", "PUT", "/cart/lines/{sku}"): rule(
        "customer", admin=False, body=lambda w, r, c: {"quantity": 1}
    ),
    ("orders", "POST", "/cart/lines/{sku}/save-for-later"): rule(
        "customer", admin=False, absent=True
    ),
    ("orders", "POST", "/cart/saved/{sku}/move-to-cart"): rule(
        "customer", admin=False, absent=True
    ),
    ("orders", "POST", "/cart/checkout"): rule(
        "customer", admin=False, body=lambda w, r, c: {"note": "access check"}, headers=_new_key
    ),
    # orders: orders
    ("orders", "POST", "/orders"): rule(
        "back_office sales_rep customer", body=_placed_body, scope="customer"
    ),
    ("orders", "GET", "/orders"): rule("back_office sales_rep customer", items="order"),
    ("orders", "GET", "/orders/{order_id}"): rule("back_office sales_rep customer"),
    ("orders", "GET", "/orders/{order_id}/history"): rule("back_office sales_rep customer"),
    ("orders", "POST", "/orders/{order_id}/approve"): rule(
        STAFF, prefer=_status("pending_approval")
    ),
    ("orders", "POST", "/orders/{order_id}/cancel"): rule(
        STAFF, body=lambda w, r, c: {"reason": "access check"}, prefer=_status("pending_approval")
    ),
    # orders: quotes (a rep prepares and sends his portfolio's; accepting, rejecting and
    # expiring one is the back office's: the customer's approval is DESIGN section 10's)
    ("orders", "POST", "/quotes"): rule(
        "back_office sales_rep", body=_placed_body, scope="customer"
    ),
    ("orders", "GET", "/quotes"): rule("back_office sales_rep customer", items="quote"),
    ("orders", "GET", "/quotes/{quote_id}"): rule("back_office sales_rep customer"),
    ("orders", "POST", "/quotes/{quote_id}/revise"): rule(
        "back_office sales_rep",
        body=lambda w, r, c: {"lines": _lines(w, 2)},
        prefer=_status("draft"),
    ),
    ("orders", "POST", "/quotes/{quote_id}/duplicate"): rule("back_office sales_rep"),
    ("orders", "POST", "/quotes/{quote_id}/send"): rule(
        "back_office sales_rep", prefer=_status("draft")
    ),
    ("orders", "POST", "/quotes/{quote_id}/accept"): rule(STAFF, prefer=_status("sent")),
    ("orders", "POST", "/quotes/{quote_id}/reject"): rule(
        STAFF, body=lambda w, r, c: {"reason": "access check"}, prefer=_status("sent")
    ),
    ("orders", "POST", "/quotes/{quote_id}/expire"): rule(STAFF, prefer=_status("draft", "sent")),
    # orders: documents (DESIGN section 10). The uploads are sent no file here (422 naming
    # it where the caller reaches the quote): who may upload is what is checked.
    ("orders", "GET", "/quotes/{quote_id}/pdf"): rule(DOCUMENT_READERS),
    ("orders", "GET", "/quotes/{quote_id}/attachments"): rule("back_office sales_rep customer"),
    ("orders", "POST", "/quotes/{quote_id}/attachments"): rule(STAFF),
    ("orders", "POST", "/quotes/{quote_id}/signed-contract"): rule("customer"),
    ("orders", "POST", "/quotes/{quote_id}/approve"): rule("customer", prefer=_status("sent")),
    ("orders", "GET", "/orders/{order_id}/attachments"): rule("back_office sales_rep customer"),
    ("orders", "GET", "/attachments/{attachment_id}"): rule("back_office sales_rep customer"),
    # billing's documents: like the invoice itself, and a service's
    ("billing", "GET", "/invoices/{invoice_id}/xml"): rule(DOCUMENT_READERS),
    ("billing", "GET", "/invoices/{invoice_id}/pdf"): rule(DOCUMENT_READERS),
    # commissions (DESIGN section 12): the back office sets rates and rules and settles; a
    # rep reads his own rate, commissions and settlements
    ("commissions", "GET", "/sales-reps/{sales_rep_id}/commission"): rule("back_office sales_rep"),
    ("commissions", "PUT", "/sales-reps/{sales_rep_id}/commission"): rule(
        STAFF, body=lambda w, r, c: {"rate_percent": "5"}
    ),
    ("commissions", "POST", "/commission-rules"): rule(STAFF, body=_commission_rule_body),
    ("commissions", "GET", "/commissions"): rule(
        "back_office sales_rep",
        items="commission",
        earner=True,
        query={"view": ("to_invoice", "invoiced", "paid")},
    ),
    ("commissions", "GET", "/settlements"): rule(
        "back_office sales_rep", items="settlement", earner=True
    ),
    ("commissions", "POST", "/settlements"): rule(
        STAFF,
        scope="sales_rep",
        body=lambda w, r, c: {"sales_rep_id": r.id if r else "", "until": _today()},
    ),
    # marketplace-ingest (DESIGN section 13): connections and imports are the back office's;
    # a partner's client pushes its orders (nobody else: there is no partner to book them
    # to) and reads them, the back office every partner's
    ("marketplace-ingest", "POST", "/connections"): rule(STAFF, body=_connection_body),
    ("marketplace-ingest", "POST", "/connections/{connection_id}/imports"): rule(
        STAFF, body=lambda w, r, c: {"created_from": "2026-01-01T00:00:00Z"}
    ),
    ("marketplace-ingest", "GET", "/imports"): rule(STAFF, items="import_run"),
    ("marketplace-ingest", "GET", "/imports/{import_run_id}"): rule(STAFF),
    ("marketplace-ingest", "POST", "/partner/orders"): rule(
        "partner", admin=False, body=_partner_order_body, headers=_new_key
    ),
    ("marketplace-ingest", "GET", "/partner/orders/{order_id}"): rule(
        "back_office partner", prefer=lambda rec: rec.partner_id is not None
    ),
    # notifications (DESIGN section 11): settings, templates and resending are the back
    # office's; the log is read within reach; stock alerts are a rep's own
    ("notifications", "GET", "/settings"): rule(STAFF),
    ("notifications", "PUT", "/settings/{document_type}"): rule(
        STAFF, body=lambda w, r, c: {"enabled": True}
    ),
    ("notifications", "GET", "/templates/{document_type}/{language}"): rule(STAFF),
    ("notifications", "PUT", "/templates/{document_type}/{language}"): rule(
        STAFF, body=lambda w, r, c: dict(w.template)
    ),
    ("notifications", "GET", "/notifications"): rule(
        "back_office sales_rep customer", items="notification"
    ),
    ("notifications", "GET", "/notifications/{notification_id}"): rule(
        "back_office sales_rep customer"
    ),
    ("notifications", "POST", "/notifications/{notification_id}/resend"): rule(
        STAFF, prefer=_status("sent", "failed")
    ),
    ("notifications", "POST", "/stock-alerts"): rule(
        "back_office sales_rep", body=_stock_alert_body
    ),
    ("notifications", "GET", "/stock-alerts"): rule(
        "back_office sales_rep", items="stock_alert", earner=True
    ),
    # inventory
    ("inventory", "POST", "/stock/receipts"): rule(
        "back_office warehouse",
        body=lambda w, r, c: {"sku": w.skus[0], "warehouse": "ACC", "lot": "L-ACC", "quantity": 5},
    ),
    ("inventory", "POST", "/stock/returns"): rule(
        "back_office warehouse",
        body=lambda w, r, c: {
            "sku": w.skus[0],
            "warehouse": "ACC",
            "lot": "L-RETURNS",
            "quantity": 1,
            "reason": "access check",
        },
    ),
    ("inventory", "GET", "/stock"): rule(EVERY_USER),
    ("inventory", "GET", "/stock/{sku}"): rule(EVERY_USER),
    ("inventory", "GET", "/pick-lists"): rule("back_office warehouse", items="pick_list"),
    ("inventory", "GET", "/pick-lists/{pick_list_id}"): rule("back_office warehouse"),
    ("inventory", "POST", "/pick-lists/{pick_list_id}/confirm"): rule(
        "back_office warehouse", body=_pick_body, prefer=_status("open")
    ),
    ("inventory", "POST", "/suppliers"): rule(
        "back_office warehouse",
        body=lambda w, r, c: {"name": f"Access {w.tag} supplier", "email": "buy@example.com"},
    ),
    ("inventory", "GET", "/suppliers"): rule("back_office warehouse"),
    ("inventory", "PUT", "/stock/{sku}/supplier"): rule(
        "back_office warehouse", body=lambda w, r, c: {"supplier_id": w.of("supplier")[0].id}
    ),
    ("inventory", "POST", "/purchase-orders/from-orders"): rule(
        "back_office warehouse",
        body=lambda w, r, c: {"order_ids": w.of("purchase_order")[0].attrs["order_ids"]},
    ),
    ("inventory", "GET", "/purchase-orders"): rule("back_office warehouse"),
    ("inventory", "POST", "/goods-issues/{goods_issue_id}/shipment"): rule(
        "back_office warehouse",
        body=lambda w, r, c: {"carrier": "LOCAL", "parcels": [{"weight_kg": 1}]},
    ),
    ("inventory", "GET", "/shipments/{shipment_id}"): rule("back_office warehouse"),
    ("inventory", "GET", "/shipments/{shipment_id}/waybill"): rule("back_office warehouse"),
    ("inventory", "GET", "/purchase-orders/{purchase_order_id}"): rule("back_office warehouse"),
    ("inventory", "POST", "/purchase-orders/{purchase_order_id}/receive"): rule(
        "back_office warehouse",
        body=_purchase_receipt_body,
        prefer=_status("open", "partially_received"),
    ),
    # billing
    ("billing", "GET", "/invoices"): rule("back_office sales_rep customer", items="invoice"),
    ("billing", "GET", "/invoices/{invoice_id}"): rule("back_office sales_rep customer"),
    ("billing", "POST", "/invoices/{invoice_id}/payments"): rule(
        STAFF,
        body=lambda w, r, c: {"amount": "0.01"},
        prefer=lambda rec: Decimal(str(rec.attrs.get("open_amount", "0"))) > 0,
    ),
    # Cancelling and crediting are the back office's (DESIGN section 15): an unpaid
    # invoice is cancelled, a cent credited on an open one.
    ("billing", "POST", "/invoices/{invoice_id}/cancel"): rule(
        STAFF,
        body=lambda w, r, c: {"reason": "access check"},
        prefer=lambda rec: (
            rec.attrs.get("status") in ("issued", "stamped", "stamping_failed")
            and rec.attrs.get("open_amount") == rec.attrs.get("total")
        ),
    ),
    ("billing", "POST", "/invoices/{invoice_id}/credit-notes"): rule(
        STAFF,
        body=lambda w, r, c: {"reason": "access check", "amount": "0.01"},
        prefer=lambda rec: Decimal(str(rec.attrs.get("open_amount", "0"))) > 0,
    ),
    ("billing", "GET", "/receivables/aging"): rule("back_office sales_rep customer"),
    # Invoicing on demand: the back office chooses the goods issues (none waits here: the
    # world's customers are invoiced per goods issue, so a 422 naming it)
    ("billing", "GET", "/goods-issues"): rule("back_office sales_rep customer"),
    ("billing", "POST", "/invoices/batch"): rule(
        STAFF, body=lambda w, r, c: {"goods_issue_ids": [f"acc-{w.tag}-none"]}
    ),
    # A customer with nothing billed has no statement (404): those the back office adds
    # during the check.
    ("billing", "GET", "/customers/{customer_id}/statement"): rule(
        "back_office sales_rep customer", absent=True
    ),
}


# --- what an answer should be ------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    """A 2xx may come (``ok``), or one of ``statuses``."""

    ok: bool
    statuses: frozenset[int] = frozenset()

    def met(self, status: int) -> bool:
        return (self.ok and 200 <= status < 300) or status in self.statuses

    def __str__(self) -> str:
        parts = (["2xx"] if self.ok else []) + [str(s) for s in sorted(self.statuses)]
        return " or ".join(parts)


WRITE_REFUSALS = frozenset({409, 422})  # the state or the input does not allow it now


def expect(
    access: str, inside: bool, write: bool, listing: bool = False, absent: bool = False
) -> Expect:
    """What DESIGN section 9 promises: 403 for a role that may not, 404 for a record
    outside the caller's scope (a list filtered by a foreign id: empty, or 404), and
    otherwise an answer (a write may be refused by the record's state: 409, 422; a route
    that finds nothing there yet, ``absent``: 404)."""
    fine = (WRITE_REFUSALS if write else frozenset()) | ({404} if absent else frozenset())
    if access == DENY:
        return Expect(False, frozenset({403}))
    if access == ALLOW:
        if inside:
            return Expect(True, fine)
        return Expect(listing, frozenset({404}))
    if inside:
        return Expect(True, fine | {403})
    return Expect(listing, frozenset({403, 404}))


# --- the routes --------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    service: str
    method: str
    path: str
    path_params: tuple[str, ...]
    query: tuple[tuple[str, bool], ...]  # (name, required)
    has_body: bool

    @property
    def write(self) -> bool:
        return self.method != "GET"

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.service, self.method, self.path)

    def __str__(self) -> str:
        return f"{self.service} {self.method} {self.path}"


def operations(http: httpx.Client, urls: Mapping[str, str]) -> list[Operation]:
    """Every route of every service, from its ``/openapi.json`` (the public ones aside)."""
    found: list[Operation] = []
    for service, url in urls.items():
        document = http.get(f"{url}/openapi.json").raise_for_status().json()
        for path, item in document.get("paths", {}).items():
            for method in METHODS:
                spec = item.get(method)
                if spec is None or path in PUBLIC_PATHS:
                    continue
                if (service, method.upper(), path) in PUBLIC:
                    continue
                params = [*item.get("parameters", []), *spec.get("parameters", [])]
                found.append(
                    Operation(
                        service=service,
                        method=method.upper(),
                        path=path,
                        path_params=tuple(p["name"] for p in params if p.get("in") == "path"),
                        query=tuple(
                            (p["name"], bool(p.get("required")))
                            for p in params
                            if p.get("in") == "query"
                        ),
                        has_body="requestBody" in spec,
                    )
                )
    return found


# --- the report ----------------------------------------------------------------------------


@dataclass
class AccessReport:
    routes: int = 0
    callers: int = 0
    calls: int = 0
    orders: int = 0
    leaks: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    uncovered: list[str] = field(default_factory=list)
    #: What was checked: answers by status, answers scanned, records they named (all
    #: within reach unless leaked), lists and totals compared.
    tally: Counter[str] = field(default_factory=Counter)
    #: Writes let through but refused by the record's state or the input (409, 422).
    conflicts: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.leaks and not self.unexpected and not self.uncovered

    def not_covered(self, line: str) -> None:
        if line not in self.uncovered:
            self.uncovered.append(line)

    def checked(self) -> str:
        return ", ".join(f"{what}: {n}" for what, n in sorted(self.tally.items()))

    def summary(self) -> str:
        return (
            f"access: {self.routes} routes, {self.callers} callers, {self.calls} calls, "
            f"{len(self.leaks)} leaks, {len(self.unexpected)} unexpected statuses"
            + (f", {len(self.uncovered)} routes without a rule" if self.uncovered else "")
        )

    def problems(self) -> list[str]:
        return (
            [f"leak: {line}" for line in self.leaks]
            + [f"unexpected: {line}" for line in self.unexpected]
            + [f"no rule: {line}" for line in self.uncovered]
        )


# --- calling -------------------------------------------------------------------------------


class Http:
    """The services' routes, with a given token (or none), counted."""

    def __init__(self, urls: Mapping[str, str]) -> None:
        self.urls = dict(urls)
        self.client = httpx.Client(timeout=60.0)
        self.calls = 0

    def request(
        self,
        service: str,
        method: str,
        path: str,
        token: str | None,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Json = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
    ) -> httpx.Response:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        headers = sent
        if content is not None:
            sent["Content-Type"] = "application/json"
        last: Exception | None = None
        for _ in range(3):
            try:
                self.calls += 1
                return self.client.request(
                    method,
                    self.urls[service] + path,
                    params=params,
                    json=json_body if content is None and files is None else None,
                    content=content,
                    files=files if content is None else None,
                    headers=headers,
                )
            except httpx.TransportError as exc:
                last = exc
                time.sleep(1.0)
        raise RuntimeError(f"{method} {service}{path}: no answer ({last!r})")

    def close(self) -> None:
        self.client.close()


class Api:
    """The calls that build the records: retried on 5xx, 409 and lost answers for a
    while (the services are eventually consistent), anything else unexpected fails."""

    def __init__(self, http: Http) -> None:
        self.http = http

    def call(
        self,
        who: Token,
        service: str,
        method: str,
        path: str,
        *,
        ok: Sequence[int] = (200, 201),
        params: Mapping[str, Any] | None = None,
        json_body: Json = None,
        timeout: float = 60.0,
        headers: Mapping[str, str] | None = None,
    ) -> Json:
        deadline = time.monotonic() + timeout
        while True:
            answer = self.http.request(
                service,
                method,
                path,
                who.token(),
                params=params,
                json_body=json_body,
                headers=headers,
            )
            if answer.status_code in ok:
                return answer.json() if answer.content else None
            if answer.status_code < 500 and answer.status_code != 409:
                raise SetupFailed(
                    f"{method} {service}{path} -> {answer.status_code}: {answer.text[:400]}"
                )
            if time.monotonic() > deadline:
                raise SetupFailed(
                    f"{method} {service}{path} kept failing: "
                    f"{answer.status_code} {answer.text[:300]}"
                )
            time.sleep(POLL_S)

    def all_items(
        self, who: Token, service: str, path: str, params: Mapping[str, Any] | None = None
    ) -> list[Json]:
        items: list[Json] = []
        query: dict[str, Any] = {**(params or {}), "limit": 200}
        for _ in range(MAX_PAGES):
            page = self.call(who, service, "GET", path, ok=(200,), params=query)
            items += page["items"]
            if not page.get("next_cursor"):
                return items
            query["cursor"] = page["next_cursor"]
        raise SetupFailed(f"GET {service}{path}: more than {MAX_PAGES} pages")


def eventually(what: str, probe: Callable[[], Any], timeout: float = SETTLE_TIMEOUT_S) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SetupFailed(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(POLL_S)


# --- 1. the records --------------------------------------------------------------------------


@dataclass
class Cast:
    """The callers and the world they act in."""

    world: World
    callers: list[Caller]
    admin: Caller
    #: By name (c1a, c1b: rep1's; c2a, c2b: rep2's): the ids of customers and reps.
    customers: dict[str, str] = field(default_factory=dict)
    reps: dict[str, str] = field(default_factory=dict)


def build(
    api: Api,
    admin: SignIn,
    admin_password: str | None,
    orders_per_customer: int,
    log: Callable[[str], None],
    service_client: tuple[str, str],
) -> Cast:
    """Two reps, two customers each, a user of every role, a partner, a service client
    (``service_client``: its id and secret), orders and quotes; once settled, the world as
    the admin reads it."""
    tag = uuid.uuid4().hex[:6]
    world = World(tag)
    orders_url = api.http.urls[ISSUER]

    def user(
        role: str, name: str, spare: bool = False, **ids: str
    ) -> tuple[SignIn, dict[str, Any]]:
        """A new user, signed in; his record (with his password, for his own changes)."""
        username = f"acc-{tag}-{name}"
        password = new_password()
        made = api.call(
            admin,
            ISSUER,
            "POST",
            "/users",
            ok=(201,),
            json_body={"username": username, "password": password, "role": role, **ids},
        )
        return SignIn(orders_url, username, password), {
            "user_id": made["user_id"],
            "username": username,
            "spare": spare,
            "password": password,
        }

    log("building: sales reps, customers, users, partner")
    reps = [
        api.call(
            admin,
            ISSUER,
            "POST",
            "/sales-reps",
            ok=(201,),
            json_body={"name": f"Access {tag} rep {n}", "email": f"rep{n}-{tag}@example.com"},
        )["sales_rep_id"]
        for n in (1, 2)
    ]
    customers: dict[str, str] = {}  # name -> id
    for n, rep in enumerate(reps, start=1):
        for letter in "ab":
            made = api.call(
                admin,
                ISSUER,
                "POST",
                "/customers",
                ok=(201,),
                json_body={
                    "name": f"Access {tag} customer {n}{letter}",
                    "tax_id": f"ACC-{tag}-{n}{letter}",
                    "email": f"c{n}{letter}-{tag}@example.com",
                    "credit_limit": "1000000.00",
                    "payment_terms_days": [30],
                    "sales_rep_id": rep,
                    "currency": CURRENCY,
                },
            )
            customers[f"c{n}{letter}"] = made["customer_id"]
            world.rep_of_customer[made["customer_id"]] = rep
            world.add(
                Rec("customer", made["customer_id"], customer_id=made["customer_id"], attrs=made)
            )
    for rep in reps:
        # A rep's id and user are not customers' records: an order's history names the
        # rep who placed it, also after the customer has moved to another rep.
        world.add(Rec("sales_rep", rep, rep_id=rep), named=False)

    admin_caller = Caller("admin", ADMIN, admin, password=admin_password)
    callers = [admin_caller]
    staff_users: dict[str, SignIn] = {}
    for role in (BACK_OFFICE, WAREHOUSE):
        signed_in, made = user(role, role.replace("_", "-"))
        staff_users[role] = signed_in
        callers.append(
            Caller(role.replace("_", "-"), role, signed_in, password=made.pop("password"))
        )
    for n, rep in enumerate(reps, start=1):
        signed_in, made = user(SALES_REP, f"rep{n}", sales_rep_id=rep)
        password = made.pop("password")
        world.add(Rec("user", made["user_id"], rep_id=rep, attrs=made), named=False)
        callers.append(Caller(f"rep{n}", SALES_REP, signed_in, sales_rep_id=rep, password=password))
    for name, customer in customers.items():
        signed_in, made = user(CUSTOMER, name, customer_id=customer)
        password = made.pop("password")
        world.add(Rec("user", made["user_id"], customer_id=customer, attrs=made), made["username"])
        callers.append(Caller(name, CUSTOMER, signed_in, customer_id=customer, password=password))
    _, spare = user(WAREHOUSE, "spare", spare=True)
    spare.pop("password")
    world.add(Rec("user", spare["user_id"], attrs=spare), spare["username"])

    partner_customer = customers["c2b"]
    clients: dict[str, ClientSignIn] = {}  # partner id -> its client, signed in
    for name, spare_partner in (("partner", False), ("partner-spare", True)):
        made = api.call(
            admin,
            ISSUER,
            "POST",
            "/partners",
            ok=(201,),
            json_body={"name": f"Access {tag} {name}", "customer_id": partner_customer},
        )
        world.customer_of_partner[made["partner_id"]] = partner_customer
        world.add(
            Rec(
                "partner",
                made["partner_id"],
                customer_id=partner_customer,
                partner_id=made["partner_id"],
                attrs={"spare": spare_partner, "client_id": made["client_id"]},
            ),
            made["client_id"],
        )
        client = ClientSignIn(orders_url, made["client_id"], made["client_secret"])
        clients[made["partner_id"]] = client
        if not spare_partner:
            callers.append(Caller("partner", PARTNER, client, partner_id=made["partner_id"]))
    service_id, service_secret = service_client
    callers.append(
        Caller(service_id, SERVICE, ClientSignIn(orders_url, service_id, service_secret))
    )

    log("building: products, stock, orders, quotes")
    back_office = staff_users[BACK_OFFICE]
    warehouse = staff_users[WAREHOUSE]
    for n in range(2):
        sku = f"ACC-{tag}-{n}"
        api.call(
            admin,
            ISSUER,
            "POST",
            "/products",
            ok=(201,),
            json_body={
                "sku": sku,
                "name": f"Access check item {n}",
                "unit_price": "10.00",
                "currency": CURRENCY,
                "tax_rate": "0.21",
            },
        )
        api.call(
            warehouse,
            "inventory",
            "POST",
            "/stock/receipts",
            ok=(201,),
            json_body={"sku": sku, "warehouse": "ACC", "lot": f"L-{tag}", "quantity": 100000},
        )
        world.skus.append(sku)
        world.add(Rec("product", sku))
    photo = api.http.request(
        ISSUER, "PUT", f"/products/{world.skus[0]}/image", admin.token(), files=PHOTO
    )
    if photo.status_code != 200:
        raise SetupFailed(f"the first product's photo: {photo.status_code} {photo.text[:300]}")
    price_list = api.call(
        admin,
        ISSUER,
        "POST",
        "/price-lists",
        ok=(201,),
        json_body=_price_list_body(world, None, admin_caller),
    )
    world.add(Rec("price_list", price_list["price_list_id"]))

    if "commissions" in api.http.urls:
        log("building: commission rates and a rule")
        for rep in reps:
            api.call(
                admin,
                "commissions",
                "PUT",
                f"/sales-reps/{rep}/commission",
                ok=(200,),
                json_body={"rate_percent": "5"},
            )
        api.call(
            admin,
            "commissions",
            "POST",
            "/commission-rules",
            ok=(201,),
            json_body={
                "sales_rep_id": reps[0],
                "customer_id": customers["c1a"],
                "rate_percent": "7",
            },
        )
    if "notifications" in api.http.urls:
        template = api.call(admin, "notifications", "GET", _template_path(), ok=(200,))
        world.template = {"subject": template["subject"], "body": template["body"]}
    if "marketplace-ingest" in api.http.urls:
        log("building: a marketplace connection, an import, the partners' orders")
        marketplace(api, world, back_office, clients, customers["c1a"])

    by_name = {c.name: c for c in callers}
    billed: list[str] = []
    picking: list[str] = []
    for name, customer in customers.items():
        rep_name = "rep1" if name.startswith("c1") else "rep2"
        for i in range(orders_per_customer):
            placer = (
                back_office,
                back_office,
                by_name[rep_name].signed_in,
                by_name[name].signed_in,
            )[i % 4]
            placed = api.call(
                placer,
                ISSUER,
                "POST",
                "/orders",
                ok=(201,),
                json_body={
                    "customer_id": customer,
                    "lines": [{"sku": world.skus[i % 2], "quantity": 1 + i % 3}],
                },
            )
            if i % 4 == 0:
                billed.append(placed["order_id"])
            elif i % 4 == 1:
                picking.append(placed["order_id"])
        for i, creator in enumerate((back_office, back_office, by_name[rep_name].signed_in)):
            made = api.call(
                creator,
                ISSUER,
                "POST",
                "/quotes",
                ok=(201,),
                json_body={"customer_id": customer, "lines": _lines(world, 1 + i)},
            )
            if i == 1:
                api.call(back_office, ISSUER, "POST", f"/quotes/{made['quote_id']}/send", ok=(200,))

    def open_pick_list(order_id: str) -> Json:
        found = api.call(
            warehouse, "inventory", "GET", "/pick-lists", ok=(200,), params={"order_id": order_id}
        )
        return next((p for p in found["items"] if p["status"] == "open"), None)

    def invoices_of(order_id: str) -> Json:
        return api.call(
            admin, "billing", "GET", "/invoices", ok=(200,), params={"order_id": order_id}
        )["items"]

    log(f"building: waiting for {len(billed)} invoices")
    for order_id in billed:
        pick = eventually(f"the pick list of order {order_id}", partial(open_pick_list, order_id))
        issued = api.call(
            warehouse,
            "inventory",
            "POST",
            f"/pick-lists/{pick['pick_list_id']}/confirm",
            ok=(200,),
            json_body=_pick_body(
                world, Rec("pick_list", pick["pick_list_id"], attrs=pick), admin_caller
            ),
        )
        # Goods issues and shipments are the warehouse's; their ids are on the customer's
        # order too (not looked for in answers).
        world.add(Rec("goods_issue", issued["goods_issue_id"]), named=False)
    shipped = api.call(
        warehouse,
        "inventory",
        "POST",
        f"/goods-issues/{world.of('goods_issue')[0].id}/shipment",
        ok=(201,),
        json_body={"carrier": "LOCAL", "parcels": [{"weight_kg": 1}]},
    )
    world.add(Rec("shipment", shipped["shipment_id"]), named=False)
    for order_id in billed:
        invoice = eventually(f"the invoice of order {order_id}", partial(invoices_of, order_id))[0]
        api.call(
            back_office,
            "billing",
            "POST",
            f"/invoices/{invoice['invoice_id']}/payments",
            ok=(201,),
            json_body={"amount": "1.00"},
        )
    for order_id in picking:
        eventually(f"the pick list of order {order_id}", partial(open_pick_list, order_id))
    purchasing(api, world, warehouse, picking)

    log("building: waiting until everything has settled")
    eventually(
        "the statements to show the payments",
        lambda: all(
            len(
                api.call(admin, "billing", "GET", f"/customers/{c}/statement", ok=(200, 404)).get(
                    "entries", []
                )
            )
            >= 2
            for c in customers.values()
        ),
    )
    settled(api, admin, world)
    read_world(api, admin, world)
    return Cast(
        world,
        callers,
        admin_caller,
        customers,
        {f"rep{n}": rep for n, rep in enumerate(reps, start=1)},
    )


def purchasing(api: Api, world: World, warehouse: Token, order_ids: list[str]) -> None:
    """A supplier of every sku and a purchase order for the lines of confirmed orders."""
    supplier = api.call(
        warehouse,
        "inventory",
        "POST",
        "/suppliers",
        ok=(201,),
        json_body={"name": f"Access {world.tag} supplier", "email": "buy@example.com"},
    )["supplier_id"]
    world.add(Rec("supplier", supplier))
    for sku in world.skus:
        api.call(
            warehouse,
            "inventory",
            "PUT",
            f"/stock/{url_quote(sku, safe='')}/supplier",
            ok=(200,),
            json_body={"supplier_id": supplier},
        )
    made = api.call(
        warehouse,
        "inventory",
        "POST",
        "/purchase-orders/from-orders",
        ok=(201,),
        json_body={"order_ids": order_ids},
    )
    for purchase_order in made["items"]:
        world.add(Rec("purchase_order", purchase_order["purchase_order_id"], attrs=purchase_order))


def _template_path() -> str:
    return "/templates/{document_type}/{language}".format(**FIXED_PARAMS)


def marketplace(
    api: Api, world: World, back_office: Token, clients: Mapping[str, Token], customer: str
) -> None:
    """A connection (to nowhere) booked to ``customer`` and an import run of it; an order
    pushed by each partner client, once it is in orders."""
    body = {**_connection_body(world, None, Caller("", BACK_OFFICE, back_office))}
    body["customer_id"] = customer
    connection = api.call(
        back_office, "marketplace-ingest", "POST", "/connections", ok=(201,), json_body=body
    )["connection_id"]
    world.add(Rec("connection", connection, customer_id=customer))
    run = api.call(
        back_office,
        "marketplace-ingest",
        "POST",
        f"/connections/{connection}/imports",
        ok=(202,),
        json_body={"created_from": "2026-01-01T00:00:00Z"},
    )["import_run_id"]
    world.add(Rec("import_run", run, customer_id=customer))
    for partner_id, client in clients.items():
        pushed = api.call(
            client,
            "marketplace-ingest",
            "POST",
            "/partner/orders",
            ok=(202,),
            json_body=_partner_order_body(world, None, Caller("", PARTNER, client)),
            headers=_new_key(),
        )
        world.partner_of_order[pushed["order_id"]] = partner_id

    def placed(order_id: str) -> bool:
        answer = api.http.request(ISSUER, "GET", f"/orders/{order_id}", back_office.token())
        return answer.status_code == 200

    for order_id in world.partner_of_order:
        eventually(f"the partner's order {order_id} in orders", partial(placed, order_id))


def snapshot(api: Api, admin: Token, world: World) -> dict[str, Json]:
    """Everything the admin can read about the run's records (for 'nothing changed')."""
    shot: dict[str, Json] = {
        "orders": sorted(
            (o["order_id"], o["status"], o["total"], sorted(o.get("invoice_numbers", [])))
            for o in api.all_items(admin, ISSUER, "/orders")
        ),
        "quotes": sorted(
            (q["quote_id"], q["status"], q.get("revision"), q["total"])
            for q in api.all_items(admin, ISSUER, "/quotes")
        ),
        "invoices": sorted(
            (i["invoice_id"], i["status"], i["open_amount"], bool(i.get("stamp")))
            for i in api.all_items(admin, "billing", "/invoices")
        ),
        "users": sorted(
            (u["user_id"], u["username"], u["role"], u.get("enabled"))
            for u in api.all_items(admin, ISSUER, "/users")
        ),
        "sales reps": sorted(
            r["sales_rep_id"] for r in api.all_items(admin, ISSUER, "/sales-reps")
        ),
    }
    if "commissions" in api.http.urls:
        for rep in world.of("sales_rep"):
            shot[f"commission plan {rep.id}"] = api.call(
                admin, "commissions", "GET", f"/sales-reps/{rep.id}/commission", ok=(200, 404)
            )
        shot["settlements"] = sorted(
            s["settlement_id"] for s in api.all_items(admin, "commissions", "/settlements")
        )
    if "notifications" in api.http.urls:
        shot["notification settings"] = api.call(admin, "notifications", "GET", "/settings")
        shot["notification template"] = api.call(admin, "notifications", "GET", _template_path())
        shot["stock alerts"] = sorted(
            a["alert_id"] for a in api.all_items(admin, "notifications", "/stock-alerts")
        )
    if "marketplace-ingest" in api.http.urls:
        shot["imports"] = sorted(
            r["import_run_id"] for r in api.all_items(admin, "marketplace-ingest", "/imports")
        )
    for rec in world.of("customer"):
        shot[f"customer {rec.id}"] = api.call(admin, ISSUER, "GET", f"/customers/{rec.id}")
        statement = api.call(
            admin, "billing", "GET", f"/customers/{rec.id}/statement", ok=(200, 404)
        )
        shot[f"statement {rec.id}"] = statement
    for sku in world.skus:
        stock = api.call(admin, "inventory", "GET", f"/stock/{sku}")
        shot[f"stock {sku}"] = (stock["on_hand"], stock["reserved"], stock["available"])
    for order_id, *_ in shot["orders"]:
        lists = api.call(admin, "inventory", "GET", "/pick-lists", params={"order_id": order_id})[
            "items"
        ]
        shot[f"pick lists {order_id}"] = sorted((p["pick_list_id"], p["status"]) for p in lists)
    return shot


def settled(api: Api, admin: Token, world: World) -> dict[str, Json]:
    """Wait until the admin's view has not changed for ``QUIET_S`` (an event on its way
    from one service to the next would change it within that); the last snapshot."""
    last = snapshot(api, admin, world)
    changed_at = time.monotonic()
    deadline = changed_at + SETTLE_TIMEOUT_S
    while True:
        time.sleep(POLL_S * 2)
        now = snapshot(api, admin, world)
        if now != last:
            last, changed_at = now, time.monotonic()
        elif time.monotonic() - changed_at >= QUIET_S:
            return now
        if time.monotonic() > deadline:
            raise SetupFailed("the records never settled")


def read_world(api: Api, admin: Token, world: World) -> None:
    """Orders, quotes, invoices, pick lists and notifications as the admin lists them
    (again); the customers he lists that the world does not know yet (those the back
    office's ``POST /customers`` made), with the rep each has."""
    world.forget("order", "pick_list", "quote", "invoice", "notification")
    for customer in api.all_items(admin, ISSUER, "/customers"):
        made = customer["customer_id"]
        if made not in world.texts:
            world.add(Rec("customer", made, customer_id=made))
            if customer.get("sales_rep_id"):
                world.rep_of_customer[made] = customer["sales_rep_id"]
    for rec in world.of("customer"):
        rec.attrs = api.call(admin, ISSUER, "GET", f"/customers/{rec.id}")
    for order in api.all_items(admin, ISSUER, "/orders"):
        world.add(
            Rec(
                "order",
                order["order_id"],
                customer_id=order["customer_id"],
                partner_id=world.partner_of_order.get(order["order_id"]),
                attrs=order,
            )
        )
        lists = api.call(
            admin, "inventory", "GET", "/pick-lists", params={"order_id": order["order_id"]}
        )["items"]
        for pick in lists:
            world.add(
                Rec(
                    "pick_list",
                    pick["pick_list_id"],
                    customer_id=order["customer_id"],
                    attrs=pick,
                )
            )
    for quote in api.all_items(admin, ISSUER, "/quotes"):
        world.add(Rec("quote", quote["quote_id"], customer_id=quote["customer_id"], attrs=quote))
        # Its documents (the proposal PDF at least): the customer's like the quote.
        attachments = api.call(admin, ISSUER, "GET", f"/quotes/{quote['quote_id']}/attachments")
        for attachment in attachments["items"]:
            world.add(
                Rec(
                    "attachment",
                    attachment["attachment_id"],
                    customer_id=quote["customer_id"],
                    attrs=attachment,
                )
            )
    for invoice in api.all_items(admin, "billing", "/invoices"):
        world.add(
            Rec(
                "invoice", invoice["invoice_id"], customer_id=invoice["customer_id"], attrs=invoice
            ),
            invoice["number"],
        )
    if "notifications" in api.http.urls:
        # A customer's (the e-mails about his documents); a rep's own stock alert e-mails
        # name no customer and are left out.
        for notice in api.all_items(admin, "notifications", "/notifications"):
            if notice.get("customer_id"):
                world.add(
                    Rec(
                        "notification",
                        notice["notification_id"],
                        customer_id=notice["customer_id"],
                        attrs=notice,
                    )
                )


def move_customer(api: Api, cast: Cast, log: Callable[[str], None]) -> None:
    """A portfolio change: rep1's second customer becomes rep2's (``PATCH /customers``).
    Once orders' and billing's read models have it, the world is read again: from now
    on rep1 must see none of that customer's records anywhere, rep2 all of them."""
    moved, new_rep = cast.customers["c1b"], cast.reps["rep2"]
    rep2 = next(c for c in cast.callers if c.name == "rep2")
    log("a portfolio change: rep1's customer c1b moves to rep2; every read again")
    api.call(
        cast.admin.signed_in,
        ISSUER,
        "PATCH",
        f"/customers/{moved}",
        ok=(200,),
        json_body={"sales_rep_id": new_rep},
    )
    cast.world.rep_of_customer[moved] = new_rep

    lists = [(ISSUER, "/orders"), ("billing", "/invoices")]
    if "notifications" in api.http.urls and any(
        rec.customer_id == moved for rec in cast.world.of("notification")
    ):
        lists.append(("notifications", "/notifications"))

    def seen_by_new_rep() -> bool:
        return all(
            api.http.request(
                service, "GET", path, rep2.signed_in.token(), params={"customer_id": moved}
            )
            .json()
            .get("items")
            for service, path in lists
        )

    try:  # a service that never learns it is found by the reads that follow
        eventually("the new rep to see the customer's records", seen_by_new_rep, 60)
    except SetupFailed as exc:
        log(str(exc))
    settled(api, cast.admin.signed_in, cast.world)
    read_world(api, cast.admin.signed_in, cast.world)


# --- 2. the calls ------------------------------------------------------------------------------


def filter_value(name: str, rec: Rec | None) -> str:
    """What a query parameter ``name`` says to name ``rec``."""
    if rec is None:
        return ""
    return str(rec.attrs.get(FILTER_FIELDS[name], "")) if name in FILTER_FIELDS else rec.id


def matches(rec: Rec, name: str, value: str) -> bool:
    """Whether a list filtered by ``name=value`` holds ``rec``."""
    if name == "invoice_number":
        return value in rec.attrs.get("invoice_numbers", []) or rec.attrs.get("number") == value
    return str(rec.attrs.get(name, rec.customer_id if name == "customer_id" else None)) == value


@dataclass(frozen=True)
class Target:
    label: str
    rec: Rec | None
    inside: bool


@dataclass(frozen=True)
class Call:
    """One planned request and what it must answer."""

    op: Operation
    caller: Caller
    path: str
    params: Mapping[str, Any]
    body: Json
    expect: Expect
    target: Target
    filters: Mapping[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.params.items())
        where = f" [{self.target.label} {self.target.rec}]" if self.target.rec else ""
        return (
            f"{self.op.service} {self.op.method} {self.path}{'?' + query if query else ''} "
            f"as {self.caller}{where}"
        )


class Checker:
    def __init__(self, http: Http, api: Api, cast: Cast, report: AccessReport) -> None:
        self.http = http
        self.api = api
        self.cast = cast
        self.world = cast.world
        self.report = report
        #: Said before every finding (the round: after a portfolio change).
        self.stage = ""

    # --- planning ----------------------------------------------------------------------

    def rule_of(self, op: Operation) -> Rule:
        found = RULES.get(op.key)
        if found is None:
            return Rule(either=frozenset({BACK_OFFICE, WAREHOUSE, SALES_REP, CUSTOMER, PARTNER}))
        return found

    def targets(
        self, caller: Caller, kind: str, access: str, prefer: Prefer | None
    ) -> list[Target]:
        """The records to try: one of each customer (each rep, each partner: whoever owns
        records of the kind), the one a write fits where there is one; for a role that may
        not act at all, one (his own if he has one: the role alone must refuse it)."""
        recs = list(self.world.of(kind))
        if prefer is not None and any(prefer(r) for r in recs):
            recs = [r for r in recs if prefer(r)]
        if not recs:
            return []
        if access == DENY:
            inside = [r for r in recs if self.world.sees(caller, r)]
            rec = (inside or recs)[0]
            return [Target("own" if inside else "any", rec, bool(inside))]
        first_of_owner: dict[tuple[str | None, ...], Rec] = {}
        for rec in recs:
            first_of_owner.setdefault((rec.customer_id, rec.rep_id, rec.partner_id), rec)
        mine = self.world.rep_of_customer.get(caller.customer_id or "") or caller.sales_rep_id
        chosen: list[Target] = []
        for rec in first_of_owner.values():
            if self.world.sees(caller, rec):
                chosen.append(Target("own" if caller.scoped else "any", rec, True))
            elif mine is not None and self.world.rep_of(rec) == mine:
                chosen.append(Target("same rep's", rec, False))
            else:
                chosen.append(Target("other rep's" if mine else "another's", rec, False))
        return chosen

    def plan(self, op: Operation, caller: Caller) -> list[Call]:
        rule = self.rule_of(op)
        access = rule.access(caller.role)
        kinds = ["" if p in FIXED_PARAMS else PARAM_KINDS.get(p) for p in op.path_params]
        if None in kinds:
            self.report.not_covered(f"{op}: no records for the path parameter(s)")
            return []
        scope_kind = next((k for k in kinds if k), None) or rule.scope
        targets = (
            self.targets(caller, scope_kind, access, rule.prefer)
            if scope_kind
            else [Target("", None, True)]
        )
        calls: list[Call] = []
        for target in targets:
            path = op.path
            for param, kind in zip(op.path_params, kinds, strict=True):
                if param in FIXED_PARAMS:
                    path = path.replace("{" + param + "}", FIXED_PARAMS[param])
                    continue
                rec = target.rec if kind == scope_kind else self.any_of(str(kind))
                if rec is None:
                    self.report.not_covered(f"{op}: no {kind} record to name")
                    return []
                path = path.replace("{" + param + "}", url_quote(rec.id, safe=""))
            body = (rule.body or _empty)(self.world, target.rec, caller) if op.has_body else None
            for params, filters, listing_inside in self.query_variants(op, caller, access):
                inside = target.inside and listing_inside
                calls.append(
                    Call(
                        op,
                        caller,
                        path,
                        params,
                        body,
                        (
                            Expect(False, frozenset({404}))
                            if caller.role in rule.missing
                            else expect(
                                access,
                                inside,
                                op.write,
                                listing=bool(filters) and not op.write,
                                absent=rule.absent,
                            )
                        ),
                        target,
                        filters,
                    )
                )
        return calls

    def any_of(self, kind: str) -> Rec | None:
        recs = self.world.of(kind)
        return recs[0] if recs else None

    def query_variants(
        self, op: Operation, caller: Caller, access: str
    ) -> list[tuple[dict[str, Any], dict[str, str], bool]]:
        """(params, the id filters among them, whether they name records in reach): no
        filter, then each id filter naming a record of each customer; required ones always;
        for each value of the rule's own parameters (a list's ``view``)."""
        fixed_names = list(self.rule_of(op).query)
        combos = [
            dict(zip(fixed_names, values, strict=True))
            for values in itertools.product(*self.rule_of(op).query.values())
        ]
        filterable = [(name, req) for name, req in op.query if name in PARAM_KINDS]
        required = [name for name, req in filterable if req]
        base: dict[str, str] = {}
        base_inside = True
        for name in required:
            found = self.targets(caller, PARAM_KINDS[name], access, None)
            if not found:
                return []
            base[name] = filter_value(name, found[0].rec)
            base_inside = base_inside and found[0].inside
        variants: list[tuple[dict[str, Any], dict[str, str], bool]] = []
        for fixed in combos:
            variants.append(({**fixed, **base}, dict(base), base_inside))
            if access == DENY:
                continue
            for name, _ in filterable:
                for target in self.targets(caller, PARAM_KINDS[name], access, None):
                    if target.rec is None or base.get(name) == filter_value(name, target.rec):
                        continue
                    filters = {**base, name: filter_value(name, target.rec)}
                    inside = base_inside and target.inside
                    variants.append(({**fixed, **filters}, filters, inside))
        return variants

    # --- running -------------------------------------------------------------------------

    def run(self, call: Call) -> httpx.Response | None:
        rule = self.rule_of(call.op)
        params: dict[str, Any] = dict(call.params)
        listing = rule.items is not None
        if listing and "limit" in dict(call.op.query):
            params["limit"] = PAGE
        answer = self.http.request(
            call.op.service,
            call.op.method,
            call.path,
            call.caller.signed_in.token(),
            params=params,
            json_body=call.body,
            headers=rule.headers() if rule.headers else None,
            files=rule.files,
        )
        self.report.tally[
            f"{answer.status_code // 100}xx"
            if answer.status_code < 400
            else str(answer.status_code)
        ] += 1
        if call.expect.ok and answer.status_code in WRITE_REFUSALS:
            self.report.conflicts.append(
                f"{self.stage}{call}: {answer.status_code} {answer.text[:160]}"
            )
        if not call.expect.met(answer.status_code):
            line = (
                f"{self.stage}{call}: {answer.status_code}, expected {call.expect}: "
                f"{answer.text[:240]}"
            )
            if 200 <= answer.status_code < 300:
                self.report.leaks.append(line)
            else:
                self.report.unexpected.append(line)
        if 200 <= answer.status_code < 300:
            self.scan(call, answer)
            if listing and not call.op.write:
                self.check_list(call, params, answer)
        return answer

    def scan(self, call: Call, answer: httpx.Response, page: str = "") -> None:
        kind = answer.headers.get("content-type", "")
        if "json" not in kind:
            if "xml" in kind or kind.startswith("text/"):
                self.scan_text(call, answer.text, page)
            return  # a PDF: its scope is what its status showed
        body = answer.json()
        if self.rule_of(call.op).earner and call.caller.role == SALES_REP:
            self.check_earner(call, body, page)
            return
        self.report.tally["answers scanned"] += 1
        self.report.tally["records named"] += sum(t in self.world.texts for t in texts_in(body))
        foreign = self.world.foreign_in(call.caller, body)
        if foreign:
            shown = ", ".join(str(r) for r in foreign[:6])
            more = f" and {len(foreign) - 6} more" if len(foreign) > 6 else ""
            self.report.leaks.append(f"{self.stage}{call}{page}: the answer names {shown}{more}")

    def scan_text(self, call: Call, text: str, page: str) -> None:
        """A document (XML): the ids and numbers of records outside reach in its text."""
        self.report.tally["documents scanned"] += 1
        foreign = [
            rec
            for named, rec in self.world.texts.items()
            if len(named) >= 8 and named in text and not self.world.sees(call.caller, rec)
        ]
        if foreign:
            shown = ", ".join(str(r) for r in foreign[:6])
            self.report.leaks.append(f"{self.stage}{call}{page}: the document names {shown}")

    def check_earner(self, call: Call, body: Json, page: str) -> None:
        """A rep's commissions and settlements: every item his own."""
        self.report.tally["answers scanned"] += 1
        items = body.get("items", []) if isinstance(body, dict) else []
        others = [i for i in items if i.get("sales_rep_id") != call.caller.sales_rep_id]
        if others:
            self.report.leaks.append(
                f"{self.stage}{call}{page}: {len(others)} items of another rep "
                f"({others[0].get('sales_rep_id')})"
            )

    def check_list(self, call: Call, params: dict[str, Any], first: httpx.Response) -> None:
        """Every page: only the caller's records, all of them, and totals of his own."""
        rule = self.rule_of(call.op)
        kind = str(rule.items)
        got: list[str] = []
        every: list[Json] = []
        totals: Json = None
        answer = first
        for n in range(MAX_PAGES):
            body = answer.json()
            items = body.get("items", []) if isinstance(body, dict) else []
            every += items
            if n == 0 and isinstance(body, dict):
                totals = body.get("totals")
            got += [str(item.get(ID_KEYS.get(kind, "id"))) for item in items]
            if isinstance(body, dict) and "totals_by_status" in body:
                self.check_totals(call, body["totals_by_status"], n, kind)
            cursor = body.get("next_cursor") if isinstance(body, dict) else None
            if not cursor:
                break
            answer = self.http.request(
                call.op.service,
                "GET",
                call.path,
                call.caller.signed_in.token(),
                params={**params, "cursor": cursor},
            )
            if answer.status_code != 200:
                self.report.unexpected.append(
                    f"{self.stage}{call} page {n + 2}: {answer.status_code}: {answer.text[:240]}"
                )
                return
            self.scan(call, answer, f" page {n + 2}")
        if isinstance(totals, dict):
            self.check_sums(call, totals, every)
        if kind not in COMPLETE:
            return
        self.report.tally["lists compared"] += 1
        want = {r.id for r in self.expected_items(call, kind)}
        extra = [i for i in got if i not in want]
        missing = sorted(want - set(got))
        doubled = len(got) - len(set(got))
        if extra:
            unknown = [i for i in extra if i not in self.world.texts]
            if len(unknown) < len(extra):
                self.report.leaks.append(
                    f"{self.stage}{call}: lists {len(extra) - len(unknown)} {kind}s "
                    "outside the caller's reach"
                )
            if unknown:
                self.report.unexpected.append(
                    f"{self.stage}{call}: lists unknown {kind}s {unknown[:3]}"
                )
        if missing:
            self.report.unexpected.append(
                f"{self.stage}{call}: leaves out {len(missing)} of the caller's {kind}s "
                f"({missing[:3]})"
            )
        if doubled:
            self.report.unexpected.append(
                f"{self.stage}{call}: lists {doubled} {kind}s twice across pages"
            )

    def check_sums(self, call: Call, totals: dict[str, Any], items: list[Json]) -> None:
        """A list's ``totals``: the sums of the items the caller was given, no more."""
        self.report.tally["totals compared"] += 1
        for name, value in totals.items():
            try:
                total = Decimal(str(value))
                summed = sum((Decimal(str(item[name])) for item in items), Decimal(0))
            except (KeyError, ArithmeticError, ValueError):
                continue
            if total != summed:
                line = f"{self.stage}{call}: totals.{name} {total}, its items add up to {summed}"
                more = call.caller.scoped and total > summed
                (self.report.leaks if more else self.report.unexpected).append(line)

    def expected_items(self, call: Call, kind: str) -> list[Rec]:
        return [
            r
            for r in self.world.of(kind)
            if self.world.sees(call.caller, r)
            and all(matches(r, name, value) for name, value in call.filters.items())
        ]

    def check_totals(self, call: Call, totals: Json, page: int, kind: str = "order") -> None:
        """The list's totals per status against the caller's own records of its kind (the
        orders of GET /orders, the quotes of GET /quotes, the invoices of GET /invoices)."""
        want: dict[str, tuple[int, Decimal]] = {}
        for rec in self.expected_items(call, kind):
            status = str(rec.attrs["status"])
            count, total = want.get(status, (0, Decimal(0)))
            want[status] = (count + 1, total + Decimal(str(rec.attrs["total"])))
        got = {
            str(status): (int(value["count"]), Decimal(str(value["total"])))
            for status, value in (totals or {}).items()
            if int(value["count"])
        }
        self.report.tally["totals compared"] += 1
        if got == want:
            return
        more = call.caller.scoped and any(s not in want or got[s][0] > want[s][0] for s in got)
        line = (
            f"{self.stage}{call} page {page + 1}: totals_by_status {got}, "
            f"his own records give {want}"
        )
        (self.report.leaks if more else self.report.unexpected).append(line)

    # --- without a valid token -----------------------------------------------------------

    def refuse_bad_tokens(self, op: Operation, bad: Mapping[str, str | None]) -> None:
        path = op.path
        for param in op.path_params:
            rec = self.any_of(PARAM_KINDS.get(param, ""))
            value = FIXED_PARAMS.get(param) or (rec.id if rec else "x")
            path = path.replace("{" + param + "}", url_quote(value, safe=""))
        rule = self.rule_of(op)
        params: dict[str, Any] = {
            name: filter_value(name, self.any_of(PARAM_KINDS.get(name, "")) or Rec("", "x"))
            for name, required in op.query
            if required
        }
        params.update({name: values[0] for name, values in rule.query.items()})
        kind = PARAM_KINDS.get(op.path_params[0], "") if op.path_params else rule.scope
        body = (
            (rule.body or _empty)(self.world, self.any_of(kind or ""), self.cast.admin)
            if op.has_body
            else None
        )
        tries: list[tuple[str, str | None, Json, bytes | None]] = [
            (label, token, body, None) for label, token in bad.items()
        ]
        if op.has_body:  # the token is refused before the body is read
            tries.append(("without a token, with a body that does not parse", None, None, b"{"))
        for label, token, json_body, content in tries:
            answer = self.http.request(
                op.service,
                op.method,
                path,
                token,
                params=params,
                json_body=json_body,
                content=content,
                headers=rule.headers() if rule.headers else None,
                files=rule.files,
            )
            where = f"{op.service} {op.method} {path} {label}"
            self.report.tally[f"{answer.status_code} {label}"] += 1
            if 200 <= answer.status_code < 300:
                self.report.leaks.append(f"{where}: {answer.status_code}: {answer.text[:240]}")
            elif answer.status_code != 401:
                self.report.unexpected.append(
                    f"{where}: {answer.status_code}, expected 401: {answer.text[:240]}"
                )
            elif not answer.headers.get("www-authenticate", "").lower().startswith("bearer"):
                self.report.unexpected.append(f"{where}: 401 without WWW-Authenticate: Bearer")
            elif "problem+json" not in answer.headers.get("content-type", ""):
                self.report.unexpected.append(f"{where}: 401 is not problem+json")

    def foreign_cursor(self, op: Operation, callers: Sequence[Caller]) -> None:
        """A cursor the admin got, in the hands of a caller who sees less: still only his."""
        if "cursor" not in dict(op.query) or self.rule_of(op).items is None:
            return
        if any(required for _, required in op.query):
            return
        first = self.http.request(
            op.service, "GET", op.path, self.cast.admin.signed_in.token(), params={"limit": 1}
        )
        cursor = first.json().get("next_cursor") if first.status_code == 200 else None
        if not cursor:
            return
        for caller in callers:
            if not caller.scoped or self.rule_of(op).access(caller.role) == DENY:
                continue
            call = Call(
                op,
                caller,
                op.path,
                {"cursor": cursor, "limit": PAGE},
                None,
                Expect(True, frozenset({400, 403, 404, 422})),
                Target("admin's cursor", None, True),
            )
            answer = self.http.request(
                op.service, "GET", op.path, caller.signed_in.token(), params=call.params
            )
            if call.expect.met(answer.status_code):
                if 200 <= answer.status_code < 300:
                    self.scan(call, answer)
            else:
                self.report.unexpected.append(
                    f"{self.stage}{call}: {answer.status_code}, expected {call.expect}: "
                    f"{answer.text[:240]}"
                )


def bad_tokens(http: Http, admin_token: str, sign: Signer) -> dict[str, str | None]:
    """No token; one past its expiry and one naming another issuer (both signed with the
    issuer's key); the admin's claims signed with another key under the issuer's key id;
    the same claims with ``alg: none``."""
    claims: dict[str, Any] = jwt.decode(admin_token, options={"verify_signature": False})
    header = jwt.get_unverified_header(admin_token)
    kid = header.get("kid")
    now = int(time.time())
    expired = {**claims, "iat": now - 7200, "exp": now - 3600, "jti": uuid.uuid4().hex}
    fresh = {**claims, "iat": now, "exp": now + 600, "jti": uuid.uuid4().hex}
    forged = jwt.encode(
        fresh, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": kid}
    )

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    none = f"{part({'alg': 'none', 'typ': 'JWT', 'kid': kid})}.{part(fresh)}."
    return {
        "without a token": None,
        "with an expired token": sign(expired),
        "with a token of another issuer": sign({**fresh, "iss": f"not-{claims.get('iss')}"}),
        "with a forged token": forged,
        "with an alg-none token": none,
    }


def changed(before: Json, after: Json) -> str:
    """What differs, briefly: the entries of a list gone and come, or both values."""
    if isinstance(before, list) and isinstance(after, list):
        gone = [x for x in before if x not in after]
        came = [x for x in after if x not in before]
        return f"was {gone[:3]}, now {came[:3]}"
    return f"was {str(before)[:300]}, now {str(after)[:300]}"


#: Signs claims with a key the services trust (the issuer's own): the expired token.
Signer = Callable[[dict[str, Any]], str]


def issuer_signer(pg_dsn: str) -> Signer:
    """Signs as the orders service does: with its current signing key, read from its
    database and opened with the dev stack's key password, as an operator of the stack
    could. (Only the services' own key makes an expired token that is refused for its
    expiry, not for its signature.)"""
    settings = importlib.import_module(f"oms_{ISSUER}.settings").Settings(
        pg_dsn=pg_dsn, dev_stack=True
    )
    table: str = importlib.import_module(f"oms_{ISSUER}.identity.keys").TABLE
    password: bytes = settings.signing_key_password()

    def sign(claims: dict[str, Any]) -> str:
        with psycopg.connect(settings.service_dsn) as conn:
            row = conn.execute(
                f"SELECT kid, private_pem FROM {table} WHERE retired_at IS NULL"
            ).fetchone()
        if row is None:
            raise SetupFailed(f"{ISSUER} has no signing key")
        kid, pem = row
        key = serialization.load_pem_private_key(bytes(pem), password)
        return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": kid})  # type: ignore[arg-type]

    return sign


def dev_service_client() -> tuple[str, str]:
    """The service client orders accepts on a dev stack (the notifications service's own
    credential): its id and secret, from orders' settings."""
    clients: Mapping[str, str] = importlib.import_module(
        f"oms_{ISSUER}.settings"
    ).DEV_SERVICE_CLIENTS
    return next(iter(clients.items()))


# --- 3. all of it --------------------------------------------------------------------------


def check_access(
    urls: Mapping[str, str],
    admin: SignIn,
    sign: Signer,
    *,
    admin_password: str | None = None,
    orders_per_customer: int = 4,
    service_client: tuple[str, str] | None = None,
    log: Callable[[str], None] = lambda line: None,
) -> AccessReport:
    """Build the records, call every route as every caller, and report what reached past
    a caller's role or scope. ``urls``: orders, inventory and billing; ``admin``: the
    admin signed in at orders (``admin_password``: his password, for his own password
    change); ``sign``: signs claims with the issuer's key; ``service_client``: the id and
    secret of a service client orders accepts (the dev stack's by default)."""
    report = AccessReport()
    http = Http(urls)
    api = Api(http)
    try:
        cast = build(
            api,
            admin,
            admin_password,
            orders_per_customer,
            log,
            service_client or dev_service_client(),
        )
        world = cast.world
        report.orders = len(world.of("order"))
        report.callers = len(cast.callers)
        checker = Checker(http, api, cast, report)
        ops = operations(http.client, urls)
        report.routes = len(ops)
        for op in ops:
            if op.key not in RULES:
                report.uncovered.append(f"{op}: not in the access rules")
        before = snapshot(api, admin, world)

        log(f"reading: {len(ops)} routes as {len(cast.callers)} callers")
        plans = [call for op in ops for caller in cast.callers for call in checker.plan(op, caller)]
        for call in plans:
            if not call.op.write:
                checker.run(call)
        for op in ops:
            if not op.write:
                checker.foreign_cursor(op, cast.callers)

        log("without a valid token: every route")
        bad = bad_tokens(http, admin.token(), sign)
        for op in ops:
            checker.refuse_bad_tokens(op, bad)

        refused = [c for c in plans if c.op.write and not c.expect.ok]
        log(f"writes that must be refused: {len(refused)}")
        for call in refused:
            checker.run(call)
        time.sleep(2.0)  # a write let through would show in the read models by now
        after = snapshot(api, admin, world)
        for key in sorted(set(before) | set(after)):
            if before.get(key) != after.get(key):
                report.leaks.append(
                    f"a refused request changed {key}: {changed(before.get(key), after.get(key))}"
                )

        allowed = [c for c in plans if c.op.write and c.expect.ok]
        log(f"writes that may be taken: {len(allowed)}")
        # The narrower roles first (the warehouse confirms a pick list before the back
        # office could, the back office approves before the admin): the later callers find
        # the record changed (409), which shows they were let through all the same.
        rank = {BACK_OFFICE: 1, ADMIN: 2}
        ordered = sorted(allowed, key=lambda c: rank.get(c.caller.role, 0))
        for call in ordered:
            if not checker.rule_of(call.op).last:
                checker.run(call)

        move_customer(api, cast, log)
        checker.stage = "after the portfolio change: "
        for op in ops:
            if not op.write:
                for caller in cast.callers:
                    for call in checker.plan(op, caller):
                        checker.run(call)
        checker.stage = ""

        for call in ordered:
            if checker.rule_of(call.op).last:
                checker.run(call)
    finally:
        report.calls = http.calls
        http.close()
    return report
