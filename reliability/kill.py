"""Scenario 1, SIGKILL: while orders flow, every few seconds one process of orders,
inventory or billing (its API, or its worker: consumer, relay and projections) is killed
with SIGKILL at a random moment and started again (the API on the same port), as a
supervisor would. Nothing may be lost or doubled."""

from __future__ import annotations

import random
import threading
import time

from oms_dev.manifest import ROLES

from reliability.harness import Harness
from reliability.scenario import Outcome, Settings, faulted_run


def run(harness: Harness, settings: Settings) -> Outcome:
    rng = random.Random(20240601)  # noqa: S311 - chaos, not crypto
    gap = (0.5, 2.0) if settings.quick else (2.0, 6.0)
    # A killed consumer's group needs 10-20 s to rebalance (tansu's session timeout):
    # killing without end would only measure that. Every process once, then a few more.
    most = 6 if settings.quick else 18

    def chaos(h: Harness, driving: threading.Event, out: Outcome) -> float | None:
        kills = 0
        # Every process is killed at least once (even if the orders are through by then),
        # and more at random while orders flow.
        victims = [(s, r) for s in h.running for r in ROLES]
        rng.shuffle(victims)
        while victims or (driving.is_set() and kills < most):
            time.sleep(rng.uniform(*gap))
            victim = victims.pop() if victims else (rng.choice(h.running), rng.choice(ROLES))
            h.restart(*victim)
            kills += 1
        out.notes.append(f"{kills} processes SIGKILLed and restarted")
        return time.monotonic()

    return faulted_run("sigkill", harness, settings, chaos)
