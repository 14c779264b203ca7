"""Several workers of one service: one relay, one runner per read model and one of each
single-active background loop at a time (a lease), and the next worker takes over when the
holder dies or loses its database connection. Real PostgreSQL and broker."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from uuid import UUID

import psycopg
from eventsourcing.application import AggregateNotFoundError
from helpers import envelope, read_topic, wait_until
from oms_dev.cli import _leases
from oms_dev.testing import Stack
from oms_kit.eventstore import Positions, build_application
from oms_kit.leadership import (
    Lease,
    app_conninfo,
    application_name,
    holders,
    lead,
    lead_thread,
    lease_key,
)
from oms_kit.runtime import worker
from oms_kit.service import Background, Inbound, Outbound, Service
from sample.app import Account, CustomerListView, OrdersSettings, SampleOrders, billing_app
from sample.workers import Beat, billing_service, orders_service

WORKERS = Path(__file__).parent / "sample" / "workers.py"
RETRY_S = 0.2


# -- no I/O ---------------------------------------------------------------------------------


def test_a_lease_key_is_a_stable_signed_64_bit_key_per_service_and_name() -> None:
    key = lease_key("orders", "relay")
    assert key == lease_key("orders", "relay")
    assert -(2**63) <= key < 2**63
    assert len({key, lease_key("billing", "relay"), lease_key("orders", "view:x")}) == 3


def test_a_long_lease_name_is_cut_short_but_keeps_the_pid() -> None:
    name = application_name("marketplace-ingest", "view:" + "x" * 80, 4_194_304)
    assert len(name.encode()) == 63
    assert name.startswith("oms:marketplace-ingest:view:x") and name.endswith(":4194304")
    assert application_name("orders", "relay", 12) == "oms:orders:relay:12"


def test_background_loops_are_named_for_their_leases() -> None:
    def retry(stop: threading.Event) -> None: ...

    settings = OrdersSettings(event_store="memory")
    service = Service(
        settings=settings,
        app=build_application(SampleOrders, settings),
        title="t",
        inbound=Inbound(SampleOrders),
        outbound=Outbound(),
        background=[retry, retry, Background(retry, "sender", side_by_side=True)],
    )
    loops = service.loops()
    qualname = "test_background_loops_are_named_for_their_leases.retry"
    assert [(b.name, b.side_by_side) for b in loops] == [
        (qualname, False),
        (f"{qualname}#2", False),
        ("sender", True),
    ]


# -- leases on a real PostgreSQL ------------------------------------------------------------


def hold_lease_in_a_process(dsn: str, service: str) -> subprocess.Popen[str]:
    """A process that takes the ``relay`` lease, says so, and sleeps."""
    code = (
        "import sys, time\n"
        "from oms_kit.leadership import Lease\n"
        f"lease = Lease({dsn!r}, {service!r}, 'relay')\n"
        "print('held' if lease.try_acquire() else 'refused', flush=True)\n"
        "time.sleep(600)\n"
    )
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)


def test_a_sigkilled_holders_lease_is_taken_by_the_next_at_once(postgres_dsn: str) -> None:
    service = f"lease-{uuid.uuid4().hex[:8]}"
    holder = hold_lease_in_a_process(postgres_dsn, service)
    lease = Lease(postgres_dsn, service, "relay")
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert holders(postgres_dsn)["relay"] == holder.pid
        assert not lease.try_acquire()
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        wait_until(lease.try_acquire, timeout=30, what="the lease to be free after the kill")
        assert lease.still_held()
        assert holders(postgres_dsn)["relay"] == os.getpid()
    finally:
        holder.kill()
        holder.wait()
        lease.release()
    assert "relay" not in holders(postgres_dsn)


class Tally:
    """Jobs running now, the most ever running at once, and how many were started."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running: set[int] = set()
        self.most = 0
        self.started = 0

    def enter(self, who: int) -> None:
        with self.lock:
            self.running.add(who)
            self.started += 1
            self.most = max(self.most, len(self.running))

    def leave(self, who: int) -> None:
        with self.lock:
            self.running.discard(who)


def terminate_holder(dsn: str, lease: Lease) -> None:
    """What a database restart does to the holder: the server drops its connection."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(a.pid) FROM pg_stat_activity a "
            "JOIN pg_locks l ON l.pid = a.pid AND l.locktype = 'advisory' AND l.granted "
            "WHERE a.application_name = %s",
            (application_name(lease.service, lease.name, os.getpid()),),
        )


def test_a_held_lease_is_checked_without_a_query_until_the_server_drops_it(
    postgres_dsn: str,
) -> None:
    lease = Lease(postgres_dsn, f"lease-{uuid.uuid4().hex[:8]}", "relay")
    name = application_name(lease.service, lease.name, os.getpid())

    def last_query() -> str:
        with psycopg.connect(postgres_dsn, autocommit=True) as conn:
            row = conn.execute(
                "SELECT query FROM pg_stat_activity WHERE application_name = %s", (name,)
            ).fetchone()
        return row[0] if row else ""

    try:
        assert lease.try_acquire()
        for _ in range(3):  # an idle holder's checks ask the database nothing
            assert lease.still_held()
        assert "pg_try_advisory_lock" in last_query()
        terminate_holder(postgres_dsn, lease)
        wait_until(lambda: not lease.still_held(), what="the holder to learn it lost the lease")
        assert not lease.held
    finally:
        lease.release()


def test_thread_jobs_run_one_at_a_time_and_move_when_the_connection_is_lost(
    postgres_dsn: str,
) -> None:
    service = f"lease-{uuid.uuid4().hex[:8]}"
    tally = Tally()
    leases = [Lease(postgres_dsn, service, "loop:x") for _ in range(2)]
    stop = threading.Event()

    def job(who: int) -> Callable[[threading.Event], None]:
        def run(own_stop: threading.Event) -> None:
            tally.enter(who)
            own_stop.wait()
            tally.leave(who)

        return run

    threads = [
        threading.Thread(target=lead_thread, args=(lease, job(n), stop, RETRY_S))
        for n, lease in enumerate(leases)
    ]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: tally.running, what="one job to run")
        [first] = [lease for lease in leases if lease.held]
        terminate_holder(postgres_dsn, first)
        wait_until(lambda: tally.started >= 2 and tally.running, what="a job to run again")
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert tally.most == 1
    assert not tally.running and not any(lease.held for lease in leases)


def test_async_jobs_run_one_at_a_time_and_move_when_the_connection_is_lost(
    postgres_dsn: str,
) -> None:
    service = f"lease-{uuid.uuid4().hex[:8]}"
    tally = Tally()
    leases = [Lease(postgres_dsn, service, "relay") for _ in range(2)]

    def job(who: int) -> Callable[[asyncio.Event], Awaitable[None]]:
        async def run(own_stop: asyncio.Event) -> None:
            tally.enter(who)
            await own_stop.wait()
            tally.leave(who)

        return run

    async def scenario() -> None:
        stop = asyncio.Event()
        tasks = [
            asyncio.create_task(lead(lease, job(n), stop, RETRY_S))
            for n, lease in enumerate(leases)
        ]
        try:
            await asyncio.to_thread(wait_until, lambda: tally.running, what="one job to run")
            [first] = [lease for lease in leases if lease.held]
            await asyncio.to_thread(terminate_holder, postgres_dsn, first)
            await asyncio.to_thread(
                wait_until, lambda: tally.started >= 2 and tally.running, what="a job to run again"
            )
        finally:
            stop.set()
            await asyncio.gather(*tasks)

    asyncio.run(scenario())
    assert tally.most == 1
    assert not tally.running and not any(lease.held for lease in leases)


# -- workers of the sample services ---------------------------------------------------------


def write_customers(app: SampleOrders, customers: int, renames: int) -> dict[UUID, int]:
    """Register customers and rename each ``renames`` times; returns id -> last version."""
    versions = {app.register(f"c{i}"): 1 for i in range(customers)}
    for r in range(renames):
        for cid in versions:
            app.rename(cid, f"r{r}")
            versions[cid] += 1
    return versions


def test_two_workers_relay_once_and_the_second_takes_over_when_the_first_dies(
    stack: Stack,
) -> None:
    env = {**os.environ, **stack.env(), "OMS_LEASE_RETRY_S": str(RETRY_S)}
    first = subprocess.Popen([sys.executable, str(WORKERS)], env=env)
    overrides = {**stack.settings_overrides(), "lease_retry_s": RETRY_S}
    orders = orders_service(**overrides)
    app = orders.app
    assert isinstance(app, SampleOrders)
    conninfo = app_conninfo(app)
    positions = Positions(app)
    view = CustomerListView(app)
    single, shared = Beat(), Beat()
    versions: dict[UUID, int] = {}

    def caught_up(name: str) -> bool:
        return positions.get(name) == (app.recorder.max_notification_id() or 0)

    async def scenario() -> None:
        async def until(predicate: Callable[[], object], what: str) -> None:
            await asyncio.to_thread(wait_until, predicate, what=what)

        mine = {"relay", "view:customer_list", "loop:single"}
        async with (
            worker(billing_service(**overrides)) as billing_one,
            worker(billing_service(**overrides)) as billing_two,
        ):
            await until(lambda: set(holders(conninfo)) == mine, "the first worker's leases")
            assert set(holders(conninfo).values()) == {first.pid}
            async with worker(orders_service(single, shared, **overrides)) as second:
                versions.update(await asyncio.to_thread(write_customers, app, 8, 3))
                await until(lambda: caught_up("relay:kafka"), "the first worker to relay")
                await until(lambda: caught_up("view:customer_list"), "the first's view")
                # The second relays nothing, applies nothing, runs only the shared loop.
                assert second.relay.position == 0
                assert not any(lease.held for lease in second.leases.values())
                assert shared.running.is_set() and single.started == 0

                first.send_signal(signal.SIGKILL)
                first.wait()
                await until(
                    lambda: (
                        all(lease.held for lease in second.leases.values())
                        and single.running.is_set()
                    ),
                    "the second worker to take every lease",
                )
                versions.update(await asyncio.to_thread(write_customers, app, 5, 2))
                await until(lambda: caught_up("relay:kafka"), "the second worker to relay")
                await until(lambda: caught_up("view:customer_list"), "the second's view")
                assert second.relay.position == app.recorder.max_notification_id()
                assert holders(conninfo) == dict.fromkeys(mine, os.getpid())
                status = _leases(stack.pg_dsn, "orders")  # oms status's column
                assert status == f"{os.getpid()}: relay, 1 view, 1 loop"
            billing_relays = [w.leases["relay"].held for w in (billing_one, billing_two)]
            assert billing_relays.count(True) == 1
            await until(lambda: len(applied()) == len(versions), "billing to apply it all")

    billing, _ = billing_app(stack.pg_dsn, stack.kafka_bootstrap)

    def applied() -> dict[UUID, list[int]]:
        """Each account's applied source versions, once every version is there."""
        accounts = {}
        for cid, last in versions.items():
            try:
                account = billing.repository.get(Account.create_id(str(cid)))
            except AggregateNotFoundError:
                return {}
            if len(account.applied) < last:
                return {}
            accounts[cid] = account.applied
        return accounts

    try:
        asyncio.run(scenario())
    finally:
        first.kill()
        first.wait()
    published = Counter(
        (envelope(r)["aggregate_id"], envelope(r)["aggregate_version"])
        for r in read_topic(stack.kafka_bootstrap, "oms.orders.events")
    )
    expected = {(str(cid), v) for cid, last in versions.items() for v in range(1, last + 1)}
    assert set(published) == expected
    # Each event applied once by the two billing workers, and the read model right.
    assert applied() == {cid: list(range(1, last + 1)) for cid, last in versions.items()}
    rows = {row["customer_id"]: (row["name"], row["version"]) for row in view.list_names()}
    assert rows == {cid: (f"r{last - 2}", last) for cid, last in versions.items()}
