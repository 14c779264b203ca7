"""Scenario 4, races: many concurrent orders on scarce stock (never oversold), concurrent
approve and cancel of one order (each answers 200 or 409, and the final state is the one
the 200s describe), concurrent payments on one invoice (never more than is open)."""

from __future__ import annotations

import importlib.util
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from reliability.harness import Harness
from reliability.scenario import Outcome, Settings
from reliability.workload import (
    Client,
    Workload,
    check_invoice_documents,
    check_invoice_numbers,
    run_order,
)

PAYMENT_RACES = 3
PAYERS = 8


#: The scenario runs for a Mexican company (the dev stack's test CSD seals its invoices,
#: the local provider stamps them): its customers are a company with an RFC.
MEXICO = {"OMS_FISCAL_COUNTRY": "MX"}
MEXICAN_CUSTOMER = {"tax_id": "EKU9003173C9", "fiscal_regime": "601", "postal_code": "42501"}
CFDI_CHECKS = Path(__file__).resolve().parent.parent / "services/billing/tests/cfdi_checks.py"


def cfdi_checker() -> Callable[[bytes], Any] | None:
    """billing's own test check of a CFDI (SAT's cfdv40.xsd, the Sello against the
    certificate it carries), when its file is there; None otherwise."""
    if not CFDI_CHECKS.exists():
        return None
    spec = importlib.util.spec_from_file_location("cfdi_checks", CFDI_CHECKS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    check: Callable[[bytes], Any] = module.check_cfdi
    return check


def run(harness: Harness, settings: Settings) -> Outcome:
    out = Outcome("races")
    harness.start_services(settings.log_dir / "races", env=MEXICO)
    client = Client(harness, timeout=120)
    try:
        work = Workload(customer_fiscal=MEXICAN_CUSTOMER)
        work.setup(client, settings.orders)
        started = time.monotonic()
        scarce_stock(harness, client, work, settings.orders, out)
        approve_vs_cancel(harness, client, work, max(4, settings.orders // 4), out)
        concurrent_payments(harness, client, work, out)
        out.recover_s = time.monotonic() - started
        out.take(check_invoice_numbers(client))
        # The documents of every invoiced order of the scenario (the paid ones).
        cfdi = cfdi_checker()
        documents = check_invoice_documents(client, [o.invoice_id for o in work.orders], cfdi=cfdi)
        out.take(documents)
        checked = "validated CFDI 4.0 (cfdv40.xsd, Sello)" if cfdi else "CFDI"
        out.notes.append(f"documents: {len(work.orders)} invoices' {checked} XML and PDF checked")
    finally:
        client.close()
        harness.stop_services()
    return out


def _post(harness: Harness, service: str, path: str, body: dict[str, Any]) -> httpx.Response:
    with httpx.Client(timeout=30, auth=harness.admin.auth) as http:
        return http.post(harness.url(service) + path, json=body)


def scarce_stock(harness: Harness, client: Client, work: Workload, n: int, out: Outcome) -> None:
    """``n`` one-unit orders at once on ``n // 4`` units: exactly that many confirmed."""
    units = max(1, n // 4)
    sku = f"SCARCE-{work.tag}"
    client.call(
        "POST",
        "orders",
        "/products",
        json={
            "sku": sku,
            "name": "Scarce",
            "unit_price": "10.00",
            "currency": "EUR",
            "tax_rate": "0.21",
        },
    )
    client.call(
        "POST",
        "inventory",
        "/stock/receipts",
        json={"sku": sku, "warehouse": "MAD", "lot": "S1", "quantity": units},
    )
    body = {"customer_id": work.customers[0], "lines": [{"sku": sku, "quantity": 1}]}
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda _: _post(harness, "orders", "/orders", body), range(n)))
    codes = Counter(r.status_code for r in responses)
    out.orders += n
    out.check(codes[201] == n, f"scarce stock: order placement answered {dict(codes)}")
    ids = [r.json()["order_id"] for r in responses if r.status_code == 201]

    def settled() -> list[str] | None:
        statuses = [client.json("GET", "orders", f"/orders/{i}")["status"] for i in ids]
        return (
            statuses
            if statuses.count("confirmed") + statuses.count("on_hold") == len(ids)
            and statuses.count("on_hold") >= len(ids) - units
            else None
        )

    try:
        statuses = client.wait("every scarce order to be confirmed or held", settled, 120)
    except Exception as exc:
        out.failures.append(f"scarce stock: {exc}")
        return
    confirmed = statuses.count("confirmed")
    stock = client.json("GET", "inventory", f"/stock/{sku}")
    if confirmed > units or Decimal(str(stock["reserved"])) > units:
        out.double(confirmed - units, f"oversold: {confirmed} confirmed on {units} units")
    if confirmed < units:
        out.lose(units - confirmed, f"only {confirmed} of {units} units sold")
    out.check(
        Decimal(str(stock["available"])) == 0,
        f"scarce stock: {stock['available']} still available",
    )


def approve_vs_cancel(
    harness: Harness, client: Client, work: Workload, pairs: int, out: Outcome
) -> None:
    """Orders waiting for approval, each approved and cancelled at the same moment."""
    body = {
        "customer_id": work.customers[1],
        "origin": "rep",
        "lines": [{"sku": work.skus[0], "quantity": 1}],
    }
    ids = [client.json("POST", "orders", "/orders", json=body)["order_id"] for _ in range(pairs)]
    out.orders += pairs
    both_won = one_won = 0

    def race(order_id: str) -> tuple[int, int]:
        with ThreadPoolExecutor(max_workers=2) as pool:
            approve = pool.submit(_post, harness, "orders", f"/orders/{order_id}/approve", {})
            cancel = pool.submit(
                _post, harness, "orders", f"/orders/{order_id}/cancel", {"reason": "race"}
            )
            return approve.result().status_code, cancel.result().status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(race, ids))
    for order_id, (approved, cancelled) in zip(ids, results, strict=True):
        if approved not in (200, 409) or cancelled not in (200, 409):
            out.failures.append(f"approve/cancel {order_id}: {approved}/{cancelled}")
            continue
        if approved == cancelled == 409:
            out.lose(1, f"approve/cancel {order_id}: both refused")
            continue
        status = client.json("GET", "orders", f"/orders/{order_id}")["status"]
        # Cancel answered 200: cancelled (approving first is allowed and then cancelling
        # too). Only approve answered 200: confirmed, and its stock reserved.
        want = "cancelled" if cancelled == 200 else "confirmed"
        if status != want:
            out.lose(1, f"approve {approved}/cancel {cancelled} left {order_id} {status}")
        if approved == cancelled == 200:
            both_won += 1
        else:
            one_won += 1
    out.notes.append(
        f"approve vs cancel: {one_won} races with one winner and a 409, "
        f"{both_won} approved then cancelled"
    )
    confirmed = sum(1 for a, c in results if a == 200 and c == 409)

    def reserved_settles() -> bool:
        # Scenario-wide: only these confirmed orders reserve the first sku.
        stock = client.json("GET", "inventory", f"/stock/{work.skus[0]}")
        return bool(Decimal(str(stock["reserved"])) == confirmed)

    try:
        client.wait(f"{confirmed} units reserved by the approved orders", reserved_settles, 120)
    except Exception:
        stock = client.json("GET", "inventory", f"/stock/{work.skus[0]}")
        reserved = int(Decimal(str(stock["reserved"])))
        if reserved > confirmed:
            out.double(reserved - confirmed, f"{reserved} units reserved for {confirmed} orders")
        else:
            out.lose(confirmed - reserved, f"{reserved} units reserved for {confirmed} orders")


def concurrent_payments(harness: Harness, client: Client, work: Workload, out: Outcome) -> None:
    """Invoices of 4 units each paid by ``PAYERS`` concurrent quarter payments: exactly
    four are taken, the rest refused (422), and the invoice is paid exactly once over."""
    planned = work.plan(PAYMENT_RACES)
    for order in planned:
        order.quantity = 4
        order.cancel = False
        order.sku = work.skus[1]
        run_order(client, order, pay=False)
    out.orders += PAYMENT_RACES
    for order in planned:
        invoice = client.json("GET", "billing", f"/invoices/{order.invoice_id}")
        total = Decimal(invoice["total"])
        quarter = (total / 4).quantize(Decimal("0.01"))
        path = f"/invoices/{order.invoice_id}/payments"
        body = {"amount": str(quarter)}
        with ThreadPoolExecutor(max_workers=PAYERS) as pool:
            futures = [pool.submit(_post, harness, "billing", path, body) for _ in range(PAYERS)]
            codes = [f.result().status_code for f in futures]
        counted = Counter(codes)
        out.check(
            set(counted) <= {201, 409, 422}, f"payments on {invoice['number']}: {dict(counted)}"
        )
        after = client.json("GET", "billing", f"/invoices/{order.invoice_id}")
        paid = sum((Decimal(p["amount"]) for p in after["payments"]), Decimal(0))
        if paid > total or len(after["payments"]) != counted[201]:
            out.double(1, f"invoice {invoice['number']}: paid {paid} of {total}, {dict(counted)}")
        elif counted[201] < 4 and counted[409] == 0:
            out.lose(1, f"invoice {invoice['number']}: only {counted[201]} payments taken")
        out.check(
            Decimal(after["open_amount"]) == total - paid,
            f"invoice {invoice['number']}: open {after['open_amount']} after paying {paid}",
        )
