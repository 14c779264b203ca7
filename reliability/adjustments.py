"""Scenario credit-notes: the order-to-cash workload with the back office's adjustments
mixed in, while billing's processes (API and worker) and the orders worker that hears
billing's events are SIGKILLed at random moments and started again.

Half the customers are invoiced on demand: their goods issues wait, and a back-office
clerk (a thread of its own) keeps choosing every waiting one and invoicing them in one
batch (``POST /invoices/batch``), asking the same choice again while an answer is lost.
The other half are invoiced per goods issue. Each invoiced order then gets one of: paid
in full; credited in part (a quarter of its total, by amount) and the rest paid; credited
in full; its invoice cancelled. Credit notes carry an ``Idempotency-Key``; a cancellation
asked again answers the same.

Compared at the end, per order: its status on orders (completed; shipped once its only
invoice is cancelled; cancelled), the invoice's status, payments and credit notes on
billing, and what orders shows credited and paid; one invoice per picked order, numbered
A-000001.. without gaps; credit notes numbered A-NC-000001.. without gaps, one per
credited order; every customer's open balance and unbilled orders on orders back to zero;
nothing open in billing's aging; stock on hand = received - issued."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from reliability.harness import Harness
from reliability.scenario import RECOVERY_DEADLINE_S, Outcome, Settings
from reliability.workload import (
    Client,
    ExpectedOrder,
    FlowFailed,
    Verdict,
    Workload,
    all_invoices,
    check_invoice_numbers,
    check_numbers,
    check_order,
    run_order,
)

NAME = "credit-notes"
SERVICES = ["orders", "inventory", "billing"]
#: The processes killed: billing's, and the orders worker that hears billing's events.
VICTIMS = [("billing", "api"), ("billing", "worker"), ("orders", "worker")]
ON_DEMAND = "on_demand"
#: What happens to an invoiced order, by its position in the plan.
PAY, CREDIT_PART, CREDIT_ALL, CANCEL_INVOICE = "pay", "credit part", "credit all", "cancel"
ACTIONS = [PAY, CREDIT_PART, CREDIT_ALL, CANCEL_INVOICE, PAY]
CENT = Decimal("0.01")
CREDIT_SERIES = "A-NC"
POLL_S = 0.5


@dataclass
class Adjusted:
    """An order of the plan and what the back office does once it is invoiced."""

    order: ExpectedOrder
    action: str
    credited: Decimal = Decimal(0)
    paid: Decimal = Decimal(0)
    finished: bool = False

    @property
    def status(self) -> str:
        if self.order.cancel:
            return "cancelled"
        return "shipped" if self.action == CANCEL_INVOICE else "completed"


def run(harness: Harness, settings: Settings) -> Outcome:
    out = Outcome(NAME, orders=settings.orders)
    rng = random.Random(20261203)  # noqa: S311 - chaos, not crypto
    harness.start_services(settings.log_dir / NAME, only=SERVICES)
    client = Client(harness)
    try:
        work = Workload()
        work.setup(client, settings.orders)
        on_demand = work.customers[len(work.customers) // 2 :]
        for customer_id in on_demand:
            client.call(
                "PATCH", "orders", f"/customers/{customer_id}", json={"invoicing": ON_DEMAND}
            )
        plan = [
            Adjusted(order, ACTIONS[i % len(ACTIONS)])
            for i, order in enumerate(work.plan(settings.orders))
        ]
        kills, batches = _drive_while_killing(harness, work, plan, on_demand, settings, rng)
        out.notes.append(f"{kills} processes SIGKILLed and restarted; {batches} batch invoicings")
        started = time.monotonic()
        if not _wait_converged(client, work, plan):
            out.failures.append(f"did not converge within {RECOVERY_DEADLINE_S:.0f} s")
        out.recover_s = time.monotonic() - started
        out.take(verify(client, work, plan, set(on_demand)))
        done = Counter(a.action for a in plan if a.finished and not a.order.cancel)
        batched = sum(
            1
            for a in plan
            if a.finished and not a.order.cancel and a.order.customer_id in on_demand
        )
        out.notes.append(
            f"invoiced orders: {dict(done)}; {batched} of them invoiced on demand; "
            f"{sum(1 for a in plan if a.order.cancel)} orders cancelled before invoicing"
        )
        if client.server_errors:
            out.notes.append(f"5xx answered meanwhile: {dict(client.server_errors)}")
    finally:
        client.close()
        harness.stop_services()
    return out


def _drive_while_killing(
    harness: Harness,
    work: Workload,
    plan: list[Adjusted],
    on_demand: list[str],
    settings: Settings,
    rng: random.Random,
) -> tuple[int, int]:
    """Drive the plan (6 at a time) and the batch invoicing; meanwhile kill a victim every
    few seconds: each at least once, more while orders flow. (kills, batches made)"""
    driving = threading.Event()
    driving.set()
    batches = [0]

    def drive() -> None:
        try:
            _drive(harness, work, plan)
        finally:
            driving.clear()

    def invoice_on_demand() -> None:
        clerk = Client(harness)
        try:
            while driving.is_set():
                batches[0] += _invoice_waiting(clerk, on_demand)
                time.sleep(POLL_S)
        except FlowFailed as exc:
            with work.lock:
                work.errors.append(f"batch invoicing: {exc}")
        finally:
            clerk.close()

    threads = [
        threading.Thread(target=drive, name="driver"),
        threading.Thread(target=invoice_on_demand, name="clerk"),
    ]
    for thread in threads:
        thread.start()
    kills = 0
    most = len(VICTIMS) + (1 if settings.quick else 8)
    gap = (1.0, 3.0) if settings.quick else (2.0, 6.0)
    victims = list(VICTIMS)
    rng.shuffle(victims)
    try:
        while victims or (driving.is_set() and kills < most):
            time.sleep(rng.uniform(*gap))
            victim = victims.pop() if victims else rng.choice(VICTIMS)
            harness.restart(*victim)
            kills += 1
    finally:
        for thread in threads:
            thread.join()
    return kills, batches[0]


def _invoice_waiting(clerk: Client, customers: list[str]) -> int:
    """Invoice every goods issue of ``customers`` waiting to be invoiced, in one batch;
    1 when a batch was made. The list is a read model: a goods issue invoiced a moment
    ago may still be listed, so a refusal naming one (409, 422) is followed by a fresh
    list, never by another choice sent blind."""
    chosen: list[str] = []
    for customer_id in customers:
        page = clerk.json(
            "GET",
            "billing",
            "/goods-issues",
            params={"customer_id": customer_id, "uninvoiced": "true", "limit": 200},
        )
        chosen += [gi["goods_issue_id"] for gi in page["items"]]
    if not chosen:
        return 0
    answer = clerk.call(
        "POST",
        "billing",
        "/invoices/batch",
        json={"goods_issue_ids": chosen},
        accept=(409, 422),
        retry_on=(),
    )
    return 1 if answer.status_code == 201 else 0


def _drive(harness: Harness, work: Workload, plan: list[Adjusted]) -> None:
    local = threading.local()

    def one(adjusted: Adjusted) -> None:
        if not hasattr(local, "client"):
            local.client = Client(harness)
        try:
            run_order(local.client, adjusted.order, pay=False)
            if not adjusted.order.cancel:
                _adjust(local.client, adjusted)
            adjusted.finished = True
        except FlowFailed as exc:
            with work.lock:
                work.errors.append(f"order {adjusted.order.key}: {exc}")

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(one, plan))


def _adjust(c: Client, adjusted: Adjusted) -> None:
    """The back office's step once the order is invoiced."""
    order = adjusted.order
    invoice_path = f"/invoices/{order.invoice_id}"
    if adjusted.action == CANCEL_INVOICE:
        c.call("POST", "billing", f"{invoice_path}/cancel", json={"reason": "wrong address"})
        return
    if adjusted.action in (CREDIT_PART, CREDIT_ALL):
        body: dict[str, Any] = {"reason": "damaged in transit"}
        if adjusted.action == CREDIT_PART:
            body["amount"] = str(quarter(order.total))
        note = c.json(
            "POST",
            "billing",
            f"{invoice_path}/credit-notes",
            json=body,
            headers={"Idempotency-Key": f"credit-{order.key}"},
            retry_on=(),
        )
        adjusted.credited = Decimal(note["total"])
    rest = order.total - adjusted.credited
    if rest > 0:
        c.call(
            "POST",
            "billing",
            f"{invoice_path}/payments",
            json={"amount": str(rest)},
            headers={"Idempotency-Key": f"pay-{order.key}"},
        )
        adjusted.paid = rest


def quarter(total: Decimal) -> Decimal:
    return (total / 4).quantize(CENT, rounding=ROUND_HALF_UP)


# --- the check ---------------------------------------------------------------------------


def _wait_converged(c: Client, work: Workload, plan: list[Adjusted]) -> bool:
    """Every finished order's status reached on orders, no stock reserved, and every
    customer's open balance back to zero on orders."""
    deadline = time.monotonic() + RECOVERY_DEADLINE_S
    wanted = Counter(a.status for a in plan if a.finished)
    while time.monotonic() < deadline:
        try:
            listed = c.json("GET", "orders", "/orders", params={"limit": 1})["totals_by_status"]
            reached = all(listed.get(s, {}).get("count", 0) >= n for s, n in wanted.items())
            stocks = [c.json("GET", "inventory", f"/stock/{sku}") for sku in work.skus]
            balances = [c.json("GET", "orders", f"/customers/{cid}") for cid in work.customers]
            if (
                reached
                and all(Decimal(str(s["reserved"])) == 0 for s in stocks)
                and all(Decimal(b["open_balance"]) == 0 for b in balances)
            ):
                return True
        except FlowFailed:
            pass
        time.sleep(POLL_S)
    return False


def verify(c: Client, work: Workload, plan: list[Adjusted], on_demand: set[str]) -> Verdict:
    v = Verdict()
    v.problems += work.errors
    invoices_by_order: dict[str, list[dict[str, Any]]] = {}
    every_invoice = all_invoices(c)
    for inv in every_invoice:
        invoices_by_order.setdefault(inv["order_id"], []).append(inv)
    issued: Counter[str] = Counter()
    credit_numbers: Counter[str] = Counter()
    for adjusted in plan:
        order = adjusted.order
        if order.picked:
            issued[order.sku] += order.quantity
        if not order.order_id:
            v.problems.append(f"order {order.key} never placed")
            continue
        invoices = invoices_by_order.get(order.order_id, [])
        view = check_order(
            c, v, order, invoices, expected=adjusted.status, finished=adjusted.finished
        )
        if view is None:
            continue
        detail = c.json("GET", "billing", f"/invoices/{invoices[0]['invoice_id']}")
        notes = detail["credit_notes"]
        credit_numbers.update(n["number"] for n in notes)
        _check_invoice(v, adjusted, detail, view, on_demand)
    v.merge(check_numbers(credit_numbers, CREDIT_SERIES, "credit note"))
    credited = sum(1 for a in plan if a.finished and a.credited)
    if len(credit_numbers) != credited:
        (v.double if len(credit_numbers) > credited else v.lose)(
            abs(len(credit_numbers) - credited),
            f"{len(credit_numbers)} credit notes, expected {credited}",
        )
    expected_invoices = sum(1 for a in plan if a.order.picked)
    if len(every_invoice) > expected_invoices:
        v.double(
            len(every_invoice) - expected_invoices,
            f"{len(every_invoice)} invoices, expected {expected_invoices}",
        )
    v.merge(check_invoice_numbers(c))
    for customer_id in work.customers:
        credit = c.json("GET", "orders", f"/customers/{customer_id}")
        for field in ("open_balance", "unbilled_orders"):
            if Decimal(credit[field]) != 0:
                v.problems.append(f"customer {customer_id}: {field} {credit[field]} on orders")
    aging = c.json("GET", "billing", "/receivables/aging")
    still_open = sum((Decimal(b["total"]) for b in aging["buckets"]), Decimal(0))
    if still_open != 0:
        v.problems.append(f"billing's aging shows {still_open} still open")
    for sku in work.skus:
        stock = c.json("GET", "inventory", f"/stock/{sku}")
        on_hand = Decimal(str(stock["on_hand"]))
        want = work.received[sku] - issued[sku]
        if on_hand != want:
            (v.double if on_hand < want else v.lose)(
                1, f"{sku}: on hand {on_hand}, expected {want}"
            )
    return v


def _check_invoice(
    v: Verdict,
    adjusted: Adjusted,
    detail: dict[str, Any],
    view: dict[str, Any],
    on_demand: set[str],
) -> None:
    """One invoiced order: billing's invoice and what orders shows of it."""
    order = adjusted.order
    number = detail["number"]
    if Decimal(detail["total"]) != order.total:
        v.problems.append(f"invoice {number}: total {detail['total']}, order {order.total}")
    if order.customer_id in on_demand and len(detail["goods_issue_ids"]) != 1:
        v.problems.append(f"invoice {number} made on demand of {detail['goods_issue_ids']}")
    expected_status = {
        CANCEL_INVOICE: "cancelled",
        CREDIT_ALL: "credited",
    }.get(adjusted.action, "paid")
    if detail["status"] != expected_status:
        v.problems.append(f"invoice {number} is {detail['status']}, expected {expected_status}")
    notes = detail["credit_notes"]
    want_notes = 1 if adjusted.credited else 0
    if len(notes) != want_notes:
        (v.double if len(notes) > want_notes else v.lose)(
            abs(len(notes) - want_notes), f"invoice {number} has {len(notes)} credit notes"
        )
    payments = detail["payments"]
    want_payments = 1 if adjusted.paid else 0
    if len(payments) != want_payments:
        (v.double if len(payments) > want_payments else v.lose)(
            abs(len(payments) - want_payments), f"invoice {number} has {len(payments)} payments"
        )
    if Decimal(detail["open_amount"]) != 0:
        v.problems.append(f"invoice {number} open {detail['open_amount']}")
    # What orders heard of it.
    seen = {i["invoice_id"]: i["status"] for i in view["invoices"]}
    if len(seen) != 1:
        (v.double if len(seen) > 1 else v.lose)(
            abs(len(seen) - 1), f"orders sees {len(seen)} invoices on {order.order_id}"
        )
    order_side = {CANCEL_INVOICE: "cancelled", CREDIT_ALL: "credited"}.get(adjusted.action, "paid")
    if seen.get(detail["invoice_id"]) != order_side:
        v.problems.append(
            f"orders shows invoice {number} {seen.get(detail['invoice_id'])}, not {order_side}"
        )
    for field, want in (("credited_amount", adjusted.credited), ("paid_amount", adjusted.paid)):
        got = Decimal(view[field])
        if got != want:
            (v.double if got > want else v.lose)(
                1, f"order {order.order_id}: {field} {got}, expected {want}"
            )
