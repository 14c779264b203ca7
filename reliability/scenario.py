"""What every scenario shares: its result row, and the common shape "start the system,
drive the workload while a fault happens, wait until it recovers, compare"."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reliability.harness import Harness
from reliability.workload import Client, Verdict, Workload, verify, wait_converged

#: How long the system may take to converge after the fault before it "never recovered".
RECOVERY_DEADLINE_S = 240.0


@dataclass
class Outcome:
    name: str
    orders: int = 0
    lost: int = 0
    duplicated: int = 0
    #: Answers that reached past the caller's role or scope (the access scenario).
    leaks: int = 0
    recover_s: float | None = None
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.failures and self.lost == 0 and self.duplicated == 0 and self.leaks == 0

    def take(self, verdict: Verdict) -> None:
        self.lost += verdict.lost
        self.duplicated += verdict.duplicated
        self.failures += verdict.problems

    def lose(self, n: int, what: str) -> None:
        self.lost += n
        self.failures.append(f"lost: {what}")

    def double(self, n: int, what: str) -> None:
        self.duplicated += n
        self.failures.append(f"duplicated: {what}")

    def check(self, condition: bool, failure: str) -> None:
        if not condition:
            self.failures.append(failure)


@dataclass(frozen=True)
class Settings:
    orders: int
    quick: bool
    log_dir: Path


Fault = Callable[[Harness, threading.Event, Outcome], float | None]


def faulted_run(
    name: str,
    harness: Harness,
    settings: Settings,
    fault: Fault,
    clients: int = 6,
    *,
    only: Sequence[str] | None = None,
    workers: int = 1,
) -> Outcome:
    """Start the services (``only`` these; ``workers`` worker processes each), drive
    ``settings.orders`` orders with ``clients`` at a time while ``fault`` breaks things
    (until the driver is done: ``driving`` clears), then wait for convergence and compare.
    ``fault`` returns the moment (monotonic) the last fault ended, or None."""
    out = Outcome(name, orders=settings.orders)
    harness.start_services(settings.log_dir / name, only=only, workers=workers)
    client = Client(harness)
    try:
        work = Workload()
        work.setup(client, settings.orders)
        driving = threading.Event()
        driving.set()

        def drive() -> None:
            try:
                work.drive(harness, settings.orders, clients)
            finally:
                driving.clear()

        driver = threading.Thread(target=drive, name="driver")
        driver.start()
        try:
            healed_at = fault(harness, driving, out)
        finally:
            driver.join()
        healed_at = healed_at or time.monotonic()
        took = wait_converged(client, work, RECOVERY_DEADLINE_S)
        if took is None:
            out.failures.append(f"did not converge within {RECOVERY_DEADLINE_S:.0f} s")
        out.recover_s = time.monotonic() - healed_at
        out.take(verify(client, work))
        if client.server_errors:
            out.notes.append(f"5xx answered meanwhile: {dict(client.server_errors)}")
    finally:
        client.close()
        harness.stop_services()
    return out
