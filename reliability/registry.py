"""The scenarios, in the order they run (the cheap ones first)."""

from __future__ import annotations

from collections.abc import Callable

from reliability import (
    access,
    adjustments,
    bad_input,
    broker_lost,
    failover,
    kill,
    mail,
    marketplace,
    pg_down,
    poison,
    races,
)
from reliability.harness import Harness
from reliability.scenario import Outcome, Settings

Scenario = Callable[[Harness, Settings], Outcome]

SCENARIOS: dict[str, Scenario] = {
    "races": races.run,
    "poison": poison.run,
    "bad-input": bad_input.run,
    "sigkill": kill.run,
    "failover": failover.run,
    "postgres-down": pg_down.run,
    "broker-lost": broker_lost.run,
    "access": access.run,
    "marketplace": marketplace.run,
    "mail": mail.run,
    "credit-notes": adjustments.run,
}
