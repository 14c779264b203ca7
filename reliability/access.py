"""Scenario 7, access: who may see and do what (DESIGN section 9). On the harness's
processes (orders issuing the tokens, every service verifying them), the leak check of
``oms_dev.access``: two sales reps, two customers of each, a user of every role and a
partner; every route of every service called as every one of them, without a token and
with expired, forged, another issuer's and ``alg: none`` ones, and again after a customer
moves to the other rep. Any record, total or count outside a caller's reach (a leak) or
any answer not in DESIGN section 9's table fails the scenario."""

from __future__ import annotations

from oms_dev.access import check_access, issuer_signer
from rich.console import Console

from reliability.harness import SERVICES, Harness
from reliability.scenario import Outcome, Settings

#: Orders per customer: the quick run's few, a few more in the full run (longer lists,
#: more pages).
QUICK_ORDERS_PER_CUSTOMER = 4

console = Console()


def run(harness: Harness, settings: Settings) -> Outcome:
    per_customer = QUICK_ORDERS_PER_CUSTOMER if settings.quick else max(4, settings.orders // 20)
    out = Outcome("access")
    harness.start_services(settings.log_dir / "access", only=SERVICES)
    try:
        report = check_access(
            {name: harness.url(name) for name in SERVICES},
            harness.admin,
            issuer_signer(harness.pg_dsn),
            admin_password=harness.admin_password,
            orders_per_customer=per_customer,
            log=lambda line: console.print(f"  {line}", markup=False),
        )
        out.orders = report.orders
        out.leaks = len(report.leaks)
        out.failures += report.problems()
        out.notes.append(report.summary())
        out.notes.append(f"checked: {report.checked()}")
    finally:
        harness.stop_services()
    return out
