"""``python -m reliability``: break the running system on purpose and count what was
lost or doubled.

    python -m reliability                       every scenario, a few hundred orders each
    python -m reliability --quick               CI counts (a few dozen orders)
    python -m reliability --scenario races -s poison --orders 50
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

from rich.console import Console
from rich.table import Table

from reliability.harness import Harness
from reliability.registry import SCENARIOS
from reliability.scenario import Outcome, Settings

DEFAULT_ORDERS = 200
QUICK_ORDERS = 24

console = Console()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reliability", description=__doc__)
    parser.add_argument("--orders", type=int, help=f"orders per scenario ({DEFAULT_ORDERS})")
    parser.add_argument(
        "-s",
        "--scenario",
        action="append",
        choices=list(SCENARIOS),
        help="run only this scenario (repeatable)",
    )
    parser.add_argument("--quick", action="store_true", help=f"CI counts ({QUICK_ORDERS} orders)")
    parser.add_argument("--keep", type=Path, help="keep logs and data in this directory")
    args = parser.parse_args(argv)
    orders = args.orders or (QUICK_ORDERS if args.quick else DEFAULT_ORDERS)
    names = args.scenario or list(SCENARIOS)
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="oms-reliability-") as tmp:
        home = args.keep or Path(tmp)
        home.mkdir(parents=True, exist_ok=True)
        os.chmod(home, 0o755)  # noqa: S103 - the embedded server runs as its own user
        outcomes = run(names, home, orders, args.quick)
    return report(outcomes)


def run(names: list[str], home: Path, orders: int, quick: bool) -> list[Outcome]:
    harness = Harness(home, quick=quick)
    outcomes: list[Outcome] = []
    harness.start_postgres()
    try:
        for name in names:
            console.print(f"[bold]scenario {name}[/bold]: {orders} orders")
            started = time.monotonic()
            harness.start_broker()
            try:
                outcome = SCENARIOS[name](harness, Settings(orders, quick, home / "logs"))
            except Exception as exc:
                outcome = Outcome(name, orders=orders)
                outcome.failures.append(f"{type(exc).__name__}: {exc}")
                console.print(traceback.format_exc(), markup=False)
            finally:
                harness.stop_services()
                if harness.broker is not None:
                    harness.broker.stop()
                    harness.broker = None
            outcome.seconds = time.monotonic() - started
            outcomes.append(outcome)
            mark = "[green]passed[/green]" if outcome.passed else "[red]FAILED[/red]"
            console.print(f"  {mark} in {outcome.seconds:.0f} s")
            for line in outcome.failures[:20] + outcome.notes:
                console.print(f"  - {line}", markup=False)
    finally:
        harness.close()
    return outcomes


def report(outcomes: list[Outcome]) -> int:
    table = Table(title="OMS reliability")
    for col in (
        "scenario",
        "orders",
        "lost",
        "duplicated",
        "leaks",
        "seconds to recover",
        "result",
    ):
        table.add_column(col, justify="left" if col in ("scenario", "result") else "right")
    for o in outcomes:
        table.add_row(
            o.name,
            str(o.orders),
            str(o.lost),
            str(o.duplicated),
            str(o.leaks),
            f"{o.recover_s:.1f}" if o.recover_s is not None else "-",
            "passed" if o.passed else "FAILED",
        )
    console.print(table)
    lost = sum(o.lost for o in outcomes)
    duplicated = sum(o.duplicated for o in outcomes)
    leaks = sum(o.leaks for o in outcomes)
    print(
        f"reliability: {len(outcomes)} scenarios, {lost} lost, {duplicated} duplicated, "
        f"{leaks} leaks"
    )
    return 0 if all(o.passed for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
