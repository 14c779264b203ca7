"""End to end: orders, inventory and billing as processes (api + worker each), driven
open-loop at fixed rates through the public routes only, signed in as the admin like any
client (the token renewed during long runs). Each order is placed at its scheduled time
whatever the earlier ones are doing (asyncio tasks, one aiohttp session), then approved if
pending, its pick list confirmed, and ``GET /orders/{id}`` polled until a stamped invoice
shows; its latency runs from the scheduled placement to that poll."""

from __future__ import annotations

import asyncio
import json
import random
import re
import statistics
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import psutil
from oms_dev.client import SignIn
from oms_dev.mailsink import KeptMessage, MailSink
from oms_dev.manifest import names
from oms_dev.testing import RunningServices, Stack, running_services

from bench import cpu
from bench.cpu import LOAD_GENERATOR

SERVICES = names()
SKUS = 20
CUSTOMERS = 40
#: First poll this long after a step, then every POLL_S (a modest rate: the polls are load
#: on the system under test too).
FIRST_POLL_S = 0.15
POLL_S = 0.2
MAX_POLL_S = 1.0
ORDER_TIMEOUT_S = 30.0
#: The first order, before any load: every consumer group joins (and rebalances as the
#: others join) on the way, which on a freshly started broker took more than 30 s.
WARM_UP_TIMEOUT_S = 180.0
#: A process using at most this much of a core over a second counts as settled.
SETTLED_PERCENT = 10.0
#: At most this long after a step's last order for the processes to settle (a step that
#: left a backlog this long is not sustained anyway).
SETTLE_MOST_S = 120.0
P99_TARGET_MS = 1000.0


@dataclass
class Catalogue:
    skus: list[str]
    customers: list[str]


@dataclass
class RateResult:
    rate: float
    seconds: float
    scheduled: int
    completed: int
    failed: int
    latencies_ms: list[float] = field(repr=False)
    errors: dict[str, int]
    #: CPU seconds each watched process used over the step: from its first order until
    #: every process has settled after its last one (mails still going out, the PDFs they
    #: fetch and views catching up are the step's work too).
    cpu_s: dict[str, float] = field(default_factory=dict)
    #: Seconds from the last order's end until every process had settled.
    settle_s: float = 0.0
    #: Mails the sink received over the step (until settled), and how many of them had a
    #: Message-ID received before (a message sent again).
    mails: int = 0
    repeated_mails: int = 0

    @property
    def throughput(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies_ms:
            return float("inf")
        data = sorted(self.latencies_ms)
        return data[min(len(data) - 1, int(q * len(data)))]

    def cpu_ms_per_order_by_process(self) -> dict[str, float]:
        """CPU ms per completed order of each process under test (every OMS process,
        PostgreSQL and the broker; not the load generator)."""
        if not self.completed:
            return {}
        return {
            name: round(seconds * 1000 / self.completed, 2)
            for name, seconds in sorted(self.cpu_s.items())
            if name != LOAD_GENERATOR
        }

    def cpu_ms_per_order(self) -> float | None:
        by_process = self.cpu_ms_per_order_by_process()
        return round(sum(by_process.values()), 2) if by_process else None

    @property
    def sustained(self) -> bool:
        return (
            self.scheduled > 0
            and self.completed >= 0.99 * self.scheduled
            and self.pct(0.99) <= P99_TARGET_MS
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "rate": self.rate,
            "seconds": self.seconds,
            "scheduled": self.scheduled,
            "completed": self.completed,
            "failed": self.failed,
            "completed_per_s": round(self.throughput, 1),
            "p50_ms": round(self.pct(0.5), 1),
            "p90_ms": round(self.pct(0.9), 1),
            "p99_ms": round(self.pct(0.99), 1),
            "max_ms": round(max(self.latencies_ms), 1) if self.latencies_ms else None,
            "mean_ms": round(statistics.fmean(self.latencies_ms), 1) if self.latencies_ms else None,
            "sustained": self.sustained,
            "errors": self.errors,
            "settle_s": self.settle_s,
            "mails": self.mails,
            "repeated_mails": self.repeated_mails,
            "cpu_ms_per_order": self.cpu_ms_per_order(),
            "cpu_ms_per_order_by_process": self.cpu_ms_per_order_by_process(),
            "load_generator_cpu_ms_per_order": (
                round(self.cpu_s.get(LOAD_GENERATOR, 0.0) * 1000 / self.completed, 2)
                if self.completed
                else None
            ),
        }


#: Seconds each kind of request took, as the load generator saw them (from sending the
#: request to the end of its response).
ELAPSED: dict[str, list[float]] = {}
_ID = re.compile(r"/[0-9a-fA-F-]{32,36}(?=/|$)")


@dataclass(frozen=True)
class Reply:
    method: str
    path: str
    status: int
    body: bytes


class LoadClient:
    """The load generator's HTTP client: one aiohttp session, every request with the
    signed-in user's token. httpx's AsyncClient costs several times more CPU per request at
    hundreds of concurrent requests (encode/httpx #3215), and the load generator shares the
    two cores with the system under test."""

    def __init__(self, timeout_s: float, signed_in: SignIn) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None
        self._signed_in = signed_in

    async def __aenter__(self) -> LoadClient:
        self._session = aiohttp.ClientSession(
            timeout=self._timeout, connector=aiohttp.TCPConnector(limit=400)
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def get(self, url: str, params: dict[str, str] | None = None) -> Reply:
        return await self._send("GET", url, params=params)

    async def post(self, url: str, json: dict[str, Any] | None = None) -> Reply:
        return await self._send("POST", url, json=json)

    async def _send(self, method: str, url: str, **kwargs: Any) -> Reply:
        assert self._session is not None, "use the client as an async context manager"
        token = await self._signed_in.token_async()
        t0 = time.perf_counter()
        async with self._session.request(
            method, url, headers={"Authorization": f"Bearer {token}"}, **kwargs
        ) as response:
            body = await response.read()
        kind = f"{method} {_ID.sub('/{id}', response.url.path)}"
        ELAPSED.setdefault(kind, []).append(time.perf_counter() - t0)
        return Reply(method, response.url.path, response.status, body)


def _check(reply: Reply, *ok: int) -> dict[str, Any]:
    if reply.status not in ok:
        raise RuntimeError(
            f"{reply.method} {reply.path} -> {reply.status}: "
            f"{reply.body[:200].decode(errors='replace')}"
        )
    body: dict[str, Any] = json.loads(reply.body)
    return body


async def set_up(http: LoadClient, urls: dict[str, str]) -> Catalogue:
    """Products with plenty of stock, and customers with room on their credit."""
    tag = uuid.uuid4().hex[:6].upper()
    skus = [f"B-{tag}-{i}" for i in range(SKUS)]
    for sku in skus:
        _check(
            await http.post(
                f"{urls['orders']}/products",
                json={
                    "sku": sku,
                    "name": f"Bench {sku}",
                    "unit_price": "10.00",
                    "currency": "EUR",
                    "tax_rate": "0.21",
                },
            ),
            201,
        )
        _check(
            await http.post(
                f"{urls['inventory']}/stock/receipts",
                json={"sku": sku, "warehouse": "MAD", "lot": f"L-{sku}", "quantity": 10_000_000},
            ),
            201,
        )
    customers = []
    for i in range(CUSTOMERS):
        body = _check(
            await http.post(
                f"{urls['orders']}/customers",
                json={
                    "name": f"Bench customer {i}",
                    "tax_id": f"ES-{tag}-{i}",
                    "email": f"c{i}@bench.example",
                    "credit_limit": "1000000000.00",
                    "payment_terms_days": [30],
                    "currency": "EUR",
                },
            ),
            201,
        )
        customers.append(str(body["customer_id"]))
    return Catalogue(skus, customers)


#: Polls made (the load generator's GETs besides the commands), for the run's facts.
POLLS = [0]


async def _poll(probe: Any, deadline: float) -> Any:
    """Poll every POLL_S, backing off to MAX_POLL_S: polls of late orders must not become
    most of the load (they hit the same processes that serve the placements)."""
    await asyncio.sleep(FIRST_POLL_S)
    interval = POLL_S
    while True:
        POLLS[0] += 1
        value = await probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("timed out")
        await asyncio.sleep(interval)
        interval = min(MAX_POLL_S, interval * 1.5)


async def one_order(
    http: LoadClient,
    urls: dict[str, str],
    catalogue: Catalogue,
    scheduled: float,
    timeout_s: float = ORDER_TIMEOUT_S,
) -> float:
    """One order to a stamped invoice; returns ms from its scheduled placement."""
    deadline = scheduled + timeout_s
    order = _check(
        await http.post(
            f"{urls['orders']}/orders",
            json={
                "customer_id": random.choice(catalogue.customers),  # noqa: S311 - load mix
                "lines": [{"sku": random.choice(catalogue.skus), "quantity": 1}],  # noqa: S311
            },
        ),
        201,
    )
    order_id = order["order_id"]
    if order["status"] == "pending_approval":
        _check(await http.post(f"{urls['orders']}/orders/{order_id}/approve"), 200)

    async def open_pick_list() -> dict[str, Any] | None:
        body = _check(
            await http.get(f"{urls['inventory']}/pick-lists", params={"order_id": order_id}), 200
        )
        return next((p for p in body["items"] if p["status"] == "open"), None)

    pick = await _poll(open_pick_list, deadline)
    _check(
        await http.post(
            f"{urls['inventory']}/pick-lists/{pick['pick_list_id']}/confirm",
            json={"lines": pick["lines"]},
        ),
        200,
    )

    async def stamped() -> bool:
        body = _check(await http.get(f"{urls['orders']}/orders/{order_id}"), 200)
        return any(i.get("stamp") for i in body["invoices"])

    await _poll(stamped, deadline)
    latency = (time.monotonic() - scheduled) * 1000.0
    SAMPLED.append(order_id)
    return latency


#: Orders whose history is read afterwards to show where the time goes (spread evenly
#: over the completed ones, so late orders of a backlog are in it).
SAMPLE_ORDERS = 40
SAMPLED: list[str] = []


def _summary(seconds: list[float]) -> dict[str, float]:
    data = sorted(seconds)
    return {
        "count": len(data),
        "p50_ms": round(data[len(data) // 2] * 1000, 1),
        "p99_ms": round(data[min(len(data) - 1, int(0.99 * len(data)))] * 1000, 1),
    }


async def stages(http: LoadClient, urls: dict[str, str]) -> dict[str, float]:
    """Median ms from each sampled order's first history entry to each kind of entry (the
    services' own event times): where an order's time goes between placement and invoice."""
    offsets: dict[str, list[float]] = {}
    step = max(1, len(SAMPLED) // SAMPLE_ORDERS)
    for order_id in SAMPLED[::step][:SAMPLE_ORDERS]:
        body = _check(await http.get(f"{urls['orders']}/orders/{order_id}/history"), 200)
        items = body["items"]
        if not items:
            continue
        t0 = datetime.fromisoformat(items[0]["occurred_at"])
        seen: set[str] = set()
        for item in items:
            kind = item["event_type"]
            if kind in seen:
                continue
            seen.add(kind)
            ms = (datetime.fromisoformat(item["occurred_at"]) - t0).total_seconds() * 1000
            offsets.setdefault(kind, []).append(ms)
    medians = {k: round(statistics.median(v), 1) for k, v in offsets.items()}
    return dict(sorted(medians.items(), key=lambda kv: kv[1]))


async def drive(
    http: LoadClient,
    urls: dict[str, str],
    catalogue: Catalogue,
    rate: float,
    seconds: float,
) -> RateResult:
    """Open loop: order i is placed at start + i / rate, never waiting for earlier ones."""
    count = int(rate * seconds)
    start = time.monotonic() + 0.2
    tasks: list[asyncio.Task[float]] = []
    for i in range(count):
        at = start + i / rate
        delay = at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one_order(http, urls, catalogue, at)))
    results = await asyncio.gather(*tasks, return_exceptions=True)
    latencies = [r for r in results if isinstance(r, float)]
    errors: dict[str, int] = {}
    for r in results:
        if isinstance(r, BaseException):
            key = f"{type(r).__name__}: {_ID.sub('/{id}', str(r))[:80]}"
            errors[key] = errors.get(key, 0) + 1
    return RateResult(
        rate=rate,
        seconds=seconds,
        scheduled=count,
        completed=len(latencies),
        failed=count - len(latencies),
        latencies_ms=latencies,
        errors=errors,
    )


def _mails_since(sink: MailSink, before: list[KeptMessage]) -> tuple[int, int]:
    """The mails the sink received since ``before``, and how many of them carry a
    Message-ID it had received already (the sender's in-doubt repeat, or a bug)."""
    seen = {m.message["Message-ID"] for m in before}
    new = sink.messages()[len(before) :]
    repeated = 0
    for kept in new:
        message_id = kept.message["Message-ID"]
        repeated += message_id in seen
        seen.add(message_id)
    return len(new), repeated


class RssSampler:
    """The RSS of each service process (and its children), sampled in a thread, and the CPU
    of every process under test: the services', PostgreSQL's and the broker's (``infra``)."""

    def __init__(self, running: RunningServices, infra: dict[str, psutil.Process]) -> None:
        self.procs = {
            f"{svc}-{role}": psutil.Process(p.pid) for (svc, role), p in running.processes.items()
        }
        self.procs[LOAD_GENERATOR] = psutil.Process()
        #: Whose CPU is counted: the services, PostgreSQL, the broker and the load generator.
        self.cpu_procs = {**self.procs, **infra}
        self.peak: dict[str, float] = {}
        self._cpu_start: dict[str, float] = {}
        #: CPU seconds (user + system) each process used while the sampler ran.
        self.cpu_s: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def now_mb(self) -> dict[str, float]:
        out = {}
        for name, proc in self.procs.items():
            try:
                # A service process with its children; the load generator alone (its
                # children are the embedded PostgreSQL and broker).
                children = [] if name == LOAD_GENERATOR else proc.children(recursive=True)
                rss = proc.memory_info().rss + sum(c.memory_info().rss for c in children)
            except psutil.Error:
                rss = 0
            out[name] = round(rss / 2**20, 1)
        return out

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            for name, mb in self.now_mb().items():
                self.peak[name] = max(self.peak.get(name, 0.0), mb)

    def cpu_now(self) -> dict[str, float]:
        """CPU seconds so far of each watched process (its tree, reaped children too)."""
        return cpu.snapshot(self.cpu_procs)

    async def settle(self, busy_percent: float = SETTLED_PERCENT, most_s: float = 90.0) -> float:
        """Wait until no process uses more than ``busy_percent`` of a core over a second
        (the consumers have worked through what the set-up published: a marketplace
        worker applying the catalogue's stock events is not idle), at most ``most_s``;
        returns the seconds waited."""
        started = time.monotonic()
        while time.monotonic() - started < most_s:
            before = self.cpu_now()
            await asyncio.sleep(1.0)
            used = cpu.delta(before, self.cpu_now())
            if all(100 * s <= busy_percent for n, s in used.items() if n != LOAD_GENERATOR):
                break
        return round(time.monotonic() - started, 1)

    async def idle_percent(self, seconds: float) -> dict[str, float]:
        """Each process's CPU over ``seconds`` with no load, as a percent of one core."""
        start = self.cpu_now()
        await asyncio.sleep(seconds)
        used = cpu.delta(start, self.cpu_now())
        return {
            name: round(100 * s / seconds, 2)
            for name, s in sorted(used.items())
            if name != LOAD_GENERATOR
        }

    def __enter__(self) -> RssSampler:
        self._cpu_start = self.cpu_now()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.cpu_s = {k: round(v, 1) for k, v in cpu.delta(self._cpu_start, self.cpu_now()).items()}


@dataclass
class E2eOutcome:
    rates: list[RateResult]
    rss_idle_mb: dict[str, float]
    rss_load_mb: dict[str, float]
    setup_s: float
    stages_ms: dict[str, float]
    #: CPU seconds per process over the load steps, their wall seconds, and the polls made.
    cpu_s: dict[str, float] = field(default_factory=dict)
    load_wall_s: float = 0.0
    polls: int = 0
    #: Per kind of request: count, p50 and p99 ms over the load steps.
    requests_ms: dict[str, dict[str, float]] = field(default_factory=dict)
    #: Each process's CPU with no load, percent of one core, over ``idle_s`` seconds.
    idle_cpu_percent: dict[str, float] = field(default_factory=dict)
    idle_s: float = 0.0

    def best(self) -> RateResult | None:
        sustained = [r for r in self.rates if r.sustained]
        return max(sustained, key=lambda r: r.rate) if sustained else None


async def run_e2e(
    stack: Stack,
    log_dir: Path,
    rates: list[float],
    seconds: float,
    say: Any,
    *,
    infra: dict[str, psutil.Process] | None = None,
    idle_s: float = 30.0,
    workers: int = 1,
) -> E2eOutcome:
    """The load steps against the services with ``workers`` worker processes each; the CPU
    of the services and of ``infra`` (PostgreSQL, the broker) per step, and with no load
    for ``idle_s`` seconds after the set-up, before the first step."""
    t0 = time.monotonic()
    # Where the services send their mail, as on the dev stack (``oms up``): without one,
    # every order's mails failed and were retried, each retry fetching the invoice's PDF.
    # It runs in this process, so its CPU is the load generator's, not OMS's.
    sink = MailSink(log_dir / "mail").start()
    # A generous wait for /ready: the machine may be busy with more than the bench.
    cm = running_services(
        stack, SERVICES, log_dir, ready_timeout=240.0, env=sink.env(), workers=workers
    )
    try:
        running = await asyncio.to_thread(cm.__enter__)
    except BaseException:
        sink.stop()
        raise
    try:
        urls = dict(running.urls)
        async with LoadClient(ORDER_TIMEOUT_S, running.admin) as http:
            catalogue = await set_up(http, urls)
            # One order through first, so every consumer group has joined.
            await one_order(http, urls, catalogue, time.monotonic(), WARM_UP_TIMEOUT_S)
            setup_s = time.monotonic() - t0
            sampler = RssSampler(running, infra or {})
            await asyncio.sleep(2.0)
            idle = sampler.now_mb()
            idle_cpu: dict[str, float] = {}
            if idle_s > 0:
                settled_s = await sampler.settle()
                say(
                    f"e2e: settled after {settled_s:g} s; {idle_s:g} s with no load "
                    "(CPU of each process)"
                )
                idle_cpu = await sampler.idle_percent(idle_s)
            results = []
            stages_ms: dict[str, float] = {}
            POLLS[0] = 0
            ELAPSED.clear()
            load_t0 = time.monotonic()
            with sampler:
                for rate in rates:
                    say(f"e2e: {rate:g} orders/s for {seconds:g} s")
                    SAMPLED.clear()
                    mails_before = sink.messages()
                    cpu_start = sampler.cpu_now()
                    result = await drive(http, urls, catalogue, rate, seconds)
                    result.settle_s = await sampler.settle(most_s=SETTLE_MOST_S)
                    result.cpu_s = cpu.delta(cpu_start, sampler.cpu_now())
                    result.mails, result.repeated_mails = _mails_since(sink, mails_before)
                    say(
                        f"e2e: {rate:g}/s: {result.completed}/{result.scheduled} done, "
                        f"p50 {result.pct(0.5):.0f} ms, p99 {result.pct(0.99):.0f} ms, "
                        f"{result.cpu_ms_per_order()} CPU ms per order (settled "
                        f"{result.settle_s:g} s after the last order; {result.mails} mails, "
                        f"{result.repeated_mails} repeated)"
                    )
                    results.append(result)
                    if result.sustained or not stages_ms:
                        stages_ms = await stages(http, urls)
                    if not result.sustained:
                        break  # higher rates would not be sustained either
            return E2eOutcome(
                results,
                idle,
                dict(sampler.peak),
                setup_s,
                stages_ms,
                sampler.cpu_s,
                round(time.monotonic() - load_t0, 1),
                POLLS[0],
                {kind: _summary(seconds) for kind, seconds in sorted(ELAPSED.items())},
                idle_cpu,
                idle_s,
            )
    finally:
        await asyncio.to_thread(cm.__exit__, None, None, None)
        sink.stop()
