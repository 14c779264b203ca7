"""Scenario 2, the broker lost mid-flow: the dev broker is stopped and an empty one
started on the same port (topics created again). The operator's procedure then restores
every event from the event stores: ``oms republish SERVICE`` for each service. Consumers
start over from the earliest offset of the new broker and drop, by their tracking
records, what they had applied: nothing lost, no effect doubled."""

from __future__ import annotations

import threading
import time

from reliability.harness import Harness
from reliability.scenario import Outcome, Settings, faulted_run


def run(harness: Harness, settings: Settings) -> Outcome:
    def lose_broker(h: Harness, driving: threading.Event, out: Outcome) -> float | None:
        time.sleep(3.0 if settings.quick else 8.0)  # mid-flow
        if not driving.is_set():
            out.notes.append("the driver finished before the broker was lost (too few orders)")
        h.replace_broker()
        replaced = time.monotonic()
        for service in h.running:
            result = h.cli("republish", service)
            out.check(
                result.returncode == 0 and "republished" in result.stdout,
                f"oms republish {service}: {result.returncode} {result.stdout[-300:]} "
                f"{result.stderr[-1500:]}",
            )
            out.notes.append(" ".join(result.stdout.split()[-8:]))
        return replaced

    return faulted_run("broker-lost", harness, settings, lose_broker)
