"""Scenario failover: orders, inventory and billing each run two worker processes, which
share the relay, the projections and the background loops through leases. While orders
flow, the process holding a service's ``relay`` lease (the one publishing its events; the
services in turn) is SIGKILLed again and again and started again, as the supervisor does.
Each kill waits until the other worker is up and contending for the lease (the one started
again after the last kill may still be starting). For each kill: the seconds until
publishing resumes, that is until another process holds ``relay`` and the service's relay
position (its ``relay:kafka`` row) moves past where the killed one left it, or the log is
relayed to its end. Nothing may be lost or doubled, and
publishing must resume within ``MAX_RESUME_S`` every time."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import psycopg
from oms_dev.supervisor import role_of
from oms_kit.eventstore import app_name, events_table
from oms_kit.leadership import application_name, holders
from psycopg import sql

from reliability.harness import FLOW, Harness
from reliability.scenario import Outcome, Settings, faulted_run

WORKERS = 2
RELAY = "relay"
#: The relay's row in a service's tracking table (oms_kit.relay.OutboxRelay.position_name).
RELAY_POSITION = "relay:kafka"
#: Publishing must resume within this after its holder is killed (leases are retried every
#: OMS_LEASE_RETRY_S, 1 s; the rest is a restarted relay's producer connecting).
MAX_RESUME_S = 15.0
#: How long a kill may wait for publishing to resume before it counts as never.
GIVE_UP_S = 60.0
POLL_S = 0.1


@dataclass(frozen=True)
class Log:
    """Where a service's relay is in its event log."""

    relayed: int
    head: int


def run(harness: Harness, settings: Settings) -> Outcome:
    kills = 3 if settings.quick else 6
    gap_s = 0.5 if settings.quick else 3.0

    def fail_over(h: Harness, driving: threading.Event, out: Outcome) -> float | None:
        resumed: list[tuple[str, float]] = []
        for n in range(kills):
            time.sleep(gap_s)
            service = h.running[n % len(h.running)]
            took = kill_relay_holder(h, service, out)
            if took is not None:
                resumed.append((service, took))
        if not driving.is_set():
            out.notes.append("the orders were through before the last kill")
        out.notes.append(
            f"{len(resumed)} relay holders SIGKILLed; publishing resumed after: "
            + ", ".join(f"{service} {took:.1f} s" for service, took in resumed)
        )
        if resumed:
            worst = max(took for _, took in resumed)
            out.notes.append(f"max resume {worst:.1f} s (limit {MAX_RESUME_S:.0f} s)")
            out.check(worst <= MAX_RESUME_S, f"publishing resumed after {worst:.1f} s")
        return time.monotonic()

    return faulted_run("failover", harness, settings, fail_over, only=FLOW, workers=WORKERS)


def kill_relay_holder(h: Harness, service: str, out: Outcome) -> float | None:
    """SIGKILL the process publishing ``service``'s events and start it again; the seconds
    until another holds the relay and the relay moved on (None, and a failure, if never)."""
    assert h.supervisor is not None
    dsn = h.service_dsn(service)
    deadline = time.monotonic() + GIVE_UP_S
    # A holder, and a standby: every other worker of the service up and contending (a
    # worker restarted by the last kill may still be starting).
    while (pid := holders(dsn).get(RELAY)) is None or not standing_by(h, dsn, service, pid):
        if time.monotonic() > deadline:
            out.failures.append(f"{service}: no holder of {RELAY!r} with another standing by")
            return None
        time.sleep(POLL_S)
    key = h.supervisor.key_of(pid)
    assert key is not None
    h.supervisor.kill(*key)
    killed_at = time.monotonic()
    # Read once the process is gone: what it left, not what it was still writing.
    left = relay_log(dsn, service).relayed
    h.supervisor.spawn(*key)
    while time.monotonic() < killed_at + GIVE_UP_S:
        holder = holders(dsn).get(RELAY)
        log = relay_log(dsn, service)
        if holder not in (None, pid) and (log.relayed > left or log.relayed >= log.head):
            return time.monotonic() - killed_at
        time.sleep(POLL_S)
    out.failures.append(f"{service}: publishing did not resume {GIVE_UP_S:.0f} s after a kill")
    return None


def standing_by(h: Harness, dsn: str, service: str, holder: int) -> bool:
    """Whether ``holder`` is one of our worker processes and every other worker of the
    service contends for the relay (its lease connection, named after its pid, is open)."""
    assert h.supervisor is not None
    if h.supervisor.key_of(holder) is None:
        return False
    others = {
        application_name(service, RELAY, process.pid)
        for (name, role), process in h.supervisor.processes.items()
        if name == service and role_of(role) == "worker" and process.pid != holder
    }
    with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
        rows = conn.execute(
            "SELECT application_name FROM pg_stat_activity WHERE application_name = ANY(%s)",
            (list(others),),
        ).fetchall()
    return bool(others) and {name for (name,) in rows} == others


def relay_log(dsn: str, service: str) -> Log:
    """The relay's recorded position and the last position of the service's log."""
    with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
        row = conn.execute(
            sql.SQL(
                "SELECT (SELECT max(notification_id) FROM {} WHERE application_name = %s), "
                "(SELECT max(notification_id) FROM {})"
            ).format(
                sql.Identifier(f"{app_name(service)}_tracking"),
                sql.Identifier(events_table(service)),
            ),
            (RELAY_POSITION,),
        ).fetchone()
    relayed, head = row if row is not None else (None, None)
    return Log(relayed or 0, head or 0)
