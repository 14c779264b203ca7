"""The order-to-cash workload, driven through the public routes like a back office and a
warehouse would (signed in as the admin, who may do both), and the check of the final state
against what a clean run gives.

Every order: placed (with an ``Idempotency-Key``), its stock reserved (an open pick list),
then either cancelled (every ``CANCEL_EVERY``-th order: its stock goes back) or picked
in full, invoiced by billing, and paid in full (with an ``Idempotency-Key``). A client
that loses a response (a killed process, PostgreSQL gone) retries the same request, as a
real client would; the idempotency keys make that safe.
"""

from __future__ import annotations

import io
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import pypdf
from oms_dev.client import SignInFailed

from reliability.harness import Harness

CANCEL_EVERY = 10
UNIT_PRICE = Decimal("10.00")
TAX_RATE = Decimal("0.21")
SKUS = 6
CUSTOMERS = 4
STEP_TIMEOUT_S = 180.0
POLL_S = 0.25


class FlowFailed(RuntimeError):
    """A request kept failing, or answered what the routes never promise."""


class Client:
    """httpx with the retries of a patient client, signed in as the harness's admin:
    connection errors, 5xx and 409 (a concurrent change) are retried with the same request
    until ``timeout``, and so is a sign-in that found orders down or its database gone."""

    def __init__(self, harness: Harness, timeout: float = STEP_TIMEOUT_S) -> None:
        self.harness = harness
        self.timeout = timeout
        self.http = httpx.Client(timeout=10.0, auth=harness.admin.auth)
        self.server_errors: Counter[int] = Counter()

    def url(self, service: str, path: str) -> str:
        return self.harness.url(service) + path

    def call(
        self,
        method: str,
        service: str,
        path: str,
        *,
        ok: Iterable[int] = (200, 201),
        accept: Iterable[int] = (),
        retry_on: Iterable[int] = (409,),
        **kwargs: Any,
    ) -> httpx.Response:
        """The response once its status is in ``ok`` or ``accept``; retried meanwhile."""
        wanted = set(ok) | set(accept)
        deadline = time.monotonic() + self.timeout
        last = "no answer"
        while True:
            try:
                response = self.http.request(method, self.url(service, path), **kwargs)
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}"
            except SignInFailed as exc:
                if not exc.retryable:
                    raise FlowFailed(str(exc)) from exc
                last = str(exc)
            else:
                if response.status_code in wanted:
                    return response
                if response.status_code >= 500:
                    self.server_errors[response.status_code] += 1
                elif response.status_code not in set(retry_on):
                    raise FlowFailed(
                        f"{method} {service}{path} -> {response.status_code}: {response.text[:300]}"
                    )
                last = f"{response.status_code}: {response.text[:200]}"
            if time.monotonic() > deadline:
                raise FlowFailed(f"{method} {service}{path} kept failing: {last}")
            time.sleep(POLL_S)

    def json(self, method: str, service: str, path: str, **kwargs: Any) -> Any:
        return self.call(method, service, path, **kwargs).json()

    def wait(self, what: str, probe: Callable[[], Any], timeout: float | None = None) -> Any:
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            try:
                value = probe()
            except (httpx.TransportError, FlowFailed, SignInFailed):
                value = None
            if value:
                return value
            if time.monotonic() > deadline:
                raise FlowFailed(f"timed out waiting for {what}")
            time.sleep(POLL_S)

    def close(self) -> None:
        self.http.close()


@dataclass
class ExpectedOrder:
    key: str
    customer_id: str
    sku: str
    quantity: int
    cancel: bool
    order_id: str = ""
    total: Decimal = Decimal(0)
    invoice_id: str = ""
    picked: bool = False  # the driver's pick confirmation went through
    done: bool = False  # the driver did every step of its flow

    @property
    def status(self) -> str:
        return "cancelled" if self.cancel else "completed"


@dataclass
class Workload:
    """What the driver did: the expected final state is derived from it."""

    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:6].upper())
    skus: list[str] = field(default_factory=list)
    received: dict[str, int] = field(default_factory=dict)
    customers: list[str] = field(default_factory=list)
    orders: list[ExpectedOrder] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    extra_invoices: int = 0  # invoices issued outside the workload (other scenario parts)
    #: The customers' fiscal data where the company's fiscal country asks for it (Mexico:
    #: an RFC, c_RegimenFiscal, postal code), replacing the made-up tax ids.
    customer_fiscal: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def setup(self, client: Client, n_orders: int, stock_per_sku: int | None = None) -> None:
        """Products, customers and plenty of stock (received before any fault)."""
        for i in range(SKUS):
            sku = f"REL-{self.tag}-{i}"
            client.call(
                "POST",
                "orders",
                "/products",
                json={
                    "sku": sku,
                    "name": f"Reliability item {i}",
                    "unit_price": str(UNIT_PRICE),
                    "currency": "EUR",
                    "tax_rate": str(TAX_RATE),
                },
            )
            quantity = stock_per_sku or (n_orders * 3)
            client.call(
                "POST",
                "inventory",
                "/stock/receipts",
                json={"sku": sku, "warehouse": "MAD", "lot": f"L-{self.tag}", "quantity": quantity},
            )
            self.skus.append(sku)
            self.received[sku] = quantity
        for i in range(CUSTOMERS):
            body = client.json(
                "POST",
                "orders",
                "/customers",
                json={
                    "name": f"Reliability customer {i}",
                    "tax_id": f"ES-REL-{self.tag}-{i}",
                    "email": f"ap{i}@example.com",
                    "credit_limit": "100000000.00",
                    "payment_terms_days": [30],
                    "currency": "EUR",
                    **self.customer_fiscal,
                },
            )
            self.customers.append(body["customer_id"])

    def plan(self, n_orders: int) -> list[ExpectedOrder]:
        start = len(self.orders)
        planned = [
            ExpectedOrder(
                key=f"rel-{self.tag}-{start + i}",
                customer_id=self.customers[(start + i) % len(self.customers)],
                sku=self.skus[(start + i) % len(self.skus)],
                quantity=1 + (start + i) % 3,
                cancel=(start + i) % CANCEL_EVERY == CANCEL_EVERY - 1,
            )
            for i in range(n_orders)
        ]
        self.orders.extend(planned)
        return planned

    def drive(
        self, harness: Harness, n_orders: int, workers: int = 6, timeout: float = STEP_TIMEOUT_S
    ) -> None:
        """Run ``n_orders`` orders through the flow, ``workers`` at a time."""
        planned = self.plan(n_orders)
        local = threading.local()

        def client() -> Client:
            if not hasattr(local, "client"):
                local.client = Client(harness, timeout)
            found: Client = local.client
            return found

        def one(order: ExpectedOrder) -> None:
            try:
                run_order(client(), order)
            except (FlowFailed, httpx.HTTPError) as exc:
                with self.lock:
                    self.errors.append(f"order {order.key}: {exc}")

        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(one, planned))


def run_order(c: Client, order: ExpectedOrder, *, pay: bool = True) -> None:
    placed = c.json(
        "POST",
        "orders",
        "/orders",
        json={
            "customer_id": order.customer_id,
            "lines": [{"sku": order.sku, "quantity": order.quantity}],
        },
        headers={"Idempotency-Key": order.key},
    )
    order.order_id = placed["order_id"]
    order.total = Decimal(placed["total"])

    def open_pick_list() -> dict[str, Any] | None:
        items = c.json("GET", "inventory", "/pick-lists", params={"order_id": order.order_id})
        return next((p for p in items["items"] if p["status"] == "open"), None)

    pick = c.wait(f"the pick list of {order.order_id}", open_pick_list)
    if order.cancel:
        c.call(
            "POST",
            "orders",
            f"/orders/{order.order_id}/cancel",
            json={"reason": "reliability run"},
        )
        order.done = True
        return
    lines = [{k: ln[k] for k in ("sku", "quantity", "warehouse", "lot")} for ln in pick["lines"]]
    response = c.call(
        "POST",
        "inventory",
        f"/pick-lists/{pick['pick_list_id']}/confirm",
        json={"lines": lines},
        headers={"Idempotency-Key": f"pick-{pick['pick_list_id']}"},
        accept=(409, 422),
        retry_on=(),
    )
    if response.status_code in (409, 422):
        # A retry of a confirmation whose answer was lost but that did get through (the
        # stock is issued by then, or the list is done): confirmed if the list is done.
        again = c.json("GET", "inventory", f"/pick-lists/{pick['pick_list_id']}")
        if again["status"] != "done":
            raise FlowFailed(
                f"pick list {pick['pick_list_id']}: {response.status_code} "
                f"{response.text[:300]} and it is {again['status']}"
            )
    order.picked = True

    def invoice() -> dict[str, Any] | None:
        items = c.json("GET", "billing", "/invoices", params={"order_id": order.order_id})
        return items["items"][0] if items["items"] else None

    inv = c.wait(f"the invoice of {order.order_id}", invoice)
    order.invoice_id = inv["invoice_id"]
    if not pay:
        return
    c.call(
        "POST",
        "billing",
        f"/invoices/{inv['invoice_id']}/payments",
        json={"amount": inv["total"]},
        headers={"Idempotency-Key": f"pay-{order.key}"},
    )
    order.done = True


# --- the check -------------------------------------------------------------------------


@dataclass
class Verdict:
    lost: int = 0
    duplicated: int = 0
    problems: list[str] = field(default_factory=list)

    def lose(self, n: int, what: str) -> None:
        self.lost += n
        self.problems.append(f"lost: {what}")

    def double(self, n: int, what: str) -> None:
        self.duplicated += n
        self.problems.append(f"duplicated: {what}")

    def merge(self, other: Verdict) -> None:
        self.lost += other.lost
        self.duplicated += other.duplicated
        self.problems += other.problems


def all_invoices(c: Client) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 200}
    while True:
        page = c.json("GET", "billing", "/invoices", params=params)
        out += page["items"]
        if not page["next_cursor"]:
            return out
        params["cursor"] = page["next_cursor"]


def check_invoice_numbers(c: Client, series: str = "A") -> Verdict:
    """Invoice numbers are A-000001..A-N: unique and without gaps."""
    return check_numbers(Counter(i["number"] for i in all_invoices(c)), series, "invoice")


def check_numbers(numbers: Counter[str], series: str, what: str) -> Verdict:
    """``numbers`` (each with how often it was found) are <series>-000001..N: each once,
    without gaps."""
    verdict = Verdict()
    for number, count in numbers.items():
        if count > 1:
            verdict.double(count - 1, f"{what} number {number} used {count} times")
    bad = [n for n in numbers if not n.startswith(f"{series}-")]
    if bad:
        verdict.problems.append(f"unexpected {what} series: {bad[:5]}")
    seen = {int(n.split("-")[-1]) for n in numbers if n not in bad}
    top = max(seen, default=0)
    gaps = sorted(set(range(1, top + 1)) - seen)
    if gaps:
        verdict.lose(len(gaps), f"{what} numbers missing (gaps): {gaps[:10]}")
    return verdict


CFDI = "{http://www.sat.gob.mx/cfd/4}"
STAMP = "{http://www.sat.gob.mx/TimbreFiscalDigital}TimbreFiscalDigital"


def check_invoice_documents(
    c: Client, invoice_ids: Iterable[str], *, cfdi: Callable[[bytes], Any] | None = None
) -> Verdict:
    """Each invoice's documents once it is stamped (the XML answers 409 until then and is
    asked again): ``/xml`` parses, is a Comprobante with the invoice's Total (``cfdi``,
    when given, checks it further: a Mexican company's stamped CFDI 4.0), ``/pdf`` is a PDF
    that parses and shows the invoice's number."""
    v = Verdict()
    for invoice_id in invoice_ids:
        detail = c.json("GET", "billing", f"/invoices/{invoice_id}")
        number, total = detail["number"], Decimal(detail["total"])
        xml = c.call("GET", "billing", f"/invoices/{invoice_id}/xml").content
        try:
            root = ET.fromstring(xml)  # noqa: S314 - our own service's answer
        except ET.ParseError as exc:
            v.problems.append(f"invoice {number}: its XML does not parse: {exc}")
            continue
        if root.tag != f"{CFDI}Comprobante" or Decimal(root.get("Total", "-1")) != total:
            v.problems.append(
                f"invoice {number}: XML {root.tag} with Total {root.get('Total')}, not {total}"
            )
        if cfdi is not None:
            stamp = root.find(f"{CFDI}Complemento/{STAMP}")
            if stamp is None or stamp.get("Version") != "1.1":
                v.problems.append(f"invoice {number}: no TimbreFiscalDigital 1.1 in its CFDI")
            try:
                cfdi(xml)
            except Exception as exc:  # any failed check is the scenario's failure
                v.problems.append(f"invoice {number}: not a valid stamped CFDI: {exc!r}"[:300])
        pdf = c.call("GET", "billing", f"/invoices/{invoice_id}/pdf")
        if not pdf.headers.get("content-type", "").startswith("application/pdf"):
            v.problems.append(f"invoice {number}: PDF served as {pdf.headers.get('content-type')}")
            continue
        try:
            text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
        except Exception as exc:  # a PDF that does not parse fails the check
            v.problems.append(f"invoice {number}: its PDF does not parse: {exc!r}")
            continue
        if number not in text:
            v.problems.append(f"invoice {number}: its PDF does not show its number")
    return v


def converged(c: Client, work: Workload) -> bool:
    """Cheap: every order has reached its expected status, every sku reserves nothing."""
    listed: Counter[str] = Counter()
    body = c.json("GET", "orders", "/orders", params={"limit": 1})
    for status, totals in body["totals_by_status"].items():
        listed[status] = totals["count"]
    wanted = Counter(o.status for o in work.orders if o.done)
    if any(listed[s] < n for s, n in wanted.items()):
        return False
    stocks = [c.json("GET", "inventory", f"/stock/{sku}") for sku in work.skus]
    return all(stock["reserved"] == 0 for stock in stocks)


def wait_converged(c: Client, work: Workload, timeout: float) -> float | None:
    """Seconds until the state converged, or None when it did not within ``timeout``."""
    started = time.monotonic()
    deadline = started + timeout
    while time.monotonic() < deadline:
        try:
            if converged(c, work):
                return time.monotonic() - started
        except (httpx.HTTPError, FlowFailed):
            pass
        time.sleep(0.5)
    return None


def verify(c: Client, work: Workload) -> Verdict:
    """Compare what the services report with what the driver did."""
    v = Verdict()
    v.problems += work.errors
    orders = [o for o in work.orders if o.order_id]
    unplaced = [o for o in work.orders if not o.order_id]
    if unplaced:
        v.problems.append(f"{len(unplaced)} orders never placed (client gave up)")
    # Orders: none doubled (per customer, every listed order is one the driver placed).
    expected_ids = {o.order_id for o in orders}
    for customer in work.customers:
        ids = Counter(_list_order_ids(c, customer))
        extra = [i for i in ids if i not in expected_ids]
        if extra:
            v.double(len(extra), f"{len(extra)} orders of customer {customer} nobody placed")
    issued: dict[str, int] = defaultdict(int)
    invoices_by_order: dict[str, list[dict[str, Any]]] = defaultdict(list)
    every_invoice = all_invoices(c)
    for inv in every_invoice:
        invoices_by_order[inv["order_id"]].append(inv)
    for order in orders:
        invoices = invoices_by_order.get(order.order_id, [])
        if order.picked:
            issued[order.sku] += order.quantity
        view = check_order(c, v, order, invoices, expected=order.status, finished=order.done)
        if view is None:
            continue
        if len(view["shipments"]) != 1:
            bad = len(view["shipments"]) - 1
            (v.double if bad > 0 else v.lose)(
                abs(bad), f"order {order.order_id} has {len(view['shipments'])} shipments"
            )
        if len(view["invoices"]) != 1:
            bad = len(view["invoices"]) - 1
            (v.double if bad > 0 else v.lose)(
                abs(bad), f"orders sees {len(view['invoices'])} invoices on {order.order_id}"
            )
        paid = Decimal(view["paid_amount"])
        if paid != order.total:
            (v.double if paid > order.total else v.lose)(
                1, f"order {order.order_id} paid {paid} of {order.total}"
            )
        detail = c.json("GET", "billing", f"/invoices/{invoices[0]['invoice_id']}")
        if Decimal(detail["total"]) != order.total:
            v.problems.append(f"invoice of {order.order_id}: total {detail['total']}")
        payments = detail["payments"]
        if len(payments) != 1:
            (v.double if len(payments) > 1 else v.lose)(
                abs(len(payments) - 1),
                f"invoice {detail['number']} has {len(payments)} payments",
            )
        if Decimal(detail["open_amount"]) != 0:
            v.problems.append(f"invoice {detail['number']} open {detail['open_amount']}")
    for sku in work.skus:
        stock = c.json("GET", "inventory", f"/stock/{sku}")
        on_hand = Decimal(str(stock["on_hand"]))
        want = work.received[sku] - issued[sku]
        if on_hand < want:
            v.double(1, f"{sku}: on hand {on_hand}, expected {want} (issued twice)")
        elif on_hand > want:
            v.lose(1, f"{sku}: on hand {on_hand}, expected {want} (an issue lost)")
        if Decimal(str(stock["reserved"])) != 0:
            v.double(1, f"{sku}: {stock['reserved']} still reserved after every order closed")
    expected_invoices = sum(1 for o in orders if o.picked) + work.extra_invoices
    if len(every_invoice) > expected_invoices:
        v.double(
            len(every_invoice) - expected_invoices,
            f"{len(every_invoice)} invoices, expected {expected_invoices}",
        )
    v.merge(check_invoice_numbers(c))
    return v


def check_order(
    c: Client,
    v: Verdict,
    order: ExpectedOrder,
    invoices: list[dict[str, Any]],
    *,
    expected: str,
    finished: bool,
) -> dict[str, Any] | None:
    """What every scenario checks of one order: never more than one invoice; once the
    driver finished its flow (one it gave up on is reported already: only doubles count),
    its status on orders, no invoice if it was cancelled, one if not. Its view on orders
    when it has an invoice to look at further, else None."""
    if len(invoices) > 1:
        v.double(len(invoices) - 1, f"order {order.order_id} has {len(invoices)} invoices")
    if not finished:
        return None
    view: dict[str, Any] = c.json("GET", "orders", f"/orders/{order.order_id}")
    if view["status"] != expected:
        v.lose(1, f"order {order.order_id} is {view['status']}, expected {expected}")
    if order.cancel:
        if invoices:
            v.double(len(invoices), f"cancelled order {order.order_id} was invoiced")
        return None
    if not invoices:
        v.lose(1, f"order {order.order_id} has no invoice")
        return None
    return view


def _list_order_ids(c: Client, customer_id: str) -> list[str]:
    ids: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"customer_id": customer_id, "limit": 200}
        if cursor:
            params["cursor"] = cursor
        page = c.json("GET", "orders", "/orders", params=params)
        ids += [o["order_id"] for o in page["items"]]
        cursor = page.get("next_cursor")
        if not cursor:
            return ids
