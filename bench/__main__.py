"""``python -m bench``: start a dev stack (or use ``OMS_PG_DSN`` / ``OMS_KAFKA_BOOTSTRAP``),
measure each figure beside its limit in the same run, print a table and the run's facts,
and write ``bench/results.json``."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from oms_dev.auth import TestIssuer
from oms_dev.client import SignInFailed
from oms_dev.devstack import dev_stack, drop_service_databases, env_defaults, start_broker
from oms_dev.supervisor import ProcessExited
from oms_dev.testing import Stack
from oms_kit.kafka import all_topics, ensure_topics
from rich.console import Console
from rich.table import Table

from bench import cpu, measure
from bench.app import BENCH_TOPIC, bench_app
from bench.consumer import CONSUMER, run_consumer
from bench.cpu import LOAD_GENERATOR
from bench.documents import run_documents
from bench.e2e import SERVICES, run_e2e
from bench.facts import drop_database, facts
from bench.portal import run_portal

RESULTS = Path(__file__).resolve().parent / "results.json"

TARGETS: dict[str, tuple[str, float]] = {
    "append_ratio": (">=", 0.5),
    "relay_ratio": (">=", 0.7),
    "replay_ratio": (">=", 0.4),
    # Issue 16: 100 orders/s sustained with p99 <= 1 s, with one worker per service and with
    # two; the two must not do worse than the one.
    "e2e_orders_per_s": (">=", 100.0),
    "e2e_p99_ms": ("<=", 1000.0),
    "e2e_orders_per_s_2w": (">=", 100.0),
    "e2e_p99_ms_2w": ("<=", 1000.0),
    "e2e_2w_over_1w": (">=", 1.0),
    # Issue 16: CPU of every OMS process, PostgreSQL and the broker per order; each
    # process's CPU with no load, percent of one core.
    "e2e_cpu_ms_per_order": ("<=", 15.0),
    "idle_cpu_percent": ("<", 1.0),
    "portal_p50_ms": ("<=", 300.0),
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small counts, short e2e steps")
    parser.add_argument("--skip-growth", action="store_true")
    parser.add_argument("--skip-e2e", action="store_true")
    parser.add_argument("--skip-documents", action="store_true")
    parser.add_argument("--skip-portal", action="store_true")
    parser.add_argument(
        "--skip-e2e-2w", action="store_true", help="no second e2e run with two workers each"
    )
    parser.add_argument(
        "--skip-consumer", action="store_true", help="no consumer stage (one and two workers)"
    )
    parser.add_argument("--idle-seconds", type=float, help="seconds of no load for idle CPU")
    parser.add_argument("--consumer-events", type=int, help="events the consumer stage applies")
    parser.add_argument("--portal-users", type=int, default=20, help="customers signed in at once")
    parser.add_argument("--portal-seconds", type=float, help="seconds of page load")
    parser.add_argument("--append-events", type=int, help="events per append measurement")
    parser.add_argument("--relay-events", type=int, help="events the relay publishes")
    parser.add_argument("--replay-events", type=int, help="events a rebuild processes")
    parser.add_argument(
        "--e2e-rates", type=str, help="comma-separated orders/s, e.g. 25,50,100,200"
    )
    parser.add_argument("--e2e-seconds", type=float, help="seconds of load per rate")
    parser.add_argument(
        "--growth-levels", type=str, help="comma-separated stored-event counts (10000,...)"
    )
    parser.add_argument(
        "--rounds", type=int, help="turns of each store measurement and its limit (median)"
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    quick = args.quick
    args.rounds = args.rounds or (1 if quick else 3)
    args.append_events = args.append_events or (1_600 if quick else 16_000)
    args.relay_events = args.relay_events or (2_000 if quick else 50_000)
    args.replay_events = args.replay_events or (2_000 if quick else 50_000)
    args.e2e_rates = [
        float(r)
        for r in (args.e2e_rates or ("5,10" if quick else "5,10,15,20,25,50,100,200")).split(",")
    ]
    args.e2e_seconds = args.e2e_seconds or (5.0 if quick else 20.0)
    args.portal_seconds = args.portal_seconds or (5.0 if quick else 30.0)
    args.idle_seconds = (
        args.idle_seconds if args.idle_seconds is not None else (10.0 if quick else 30.0)
    )
    args.consumer_events = args.consumer_events or (1_000 if quick else 10_000)
    args.growth_levels = [
        int(n)
        for n in (
            args.growth_levels or ("10000,100000" if quick else "10000,100000,1000000")
        ).split(",")
    ]
    return args


def ratio(ours: measure.Rate, limit: measure.Rate) -> float:
    return round(ours.per_s / limit.per_s, 3) if limit.per_s else 0.0


def median_ratio(ours: list[measure.Rate], limits: list[measure.Rate]) -> float:
    """The median of the rounds' ratios: each round measures ours right after its limit,
    so a round's ratio is taken under the same machine conditions (which drift here)."""
    ratios = sorted(ratio(o, lim) for o, lim in zip(ours, limits, strict=True))
    return ratios[len(ratios) // 2]


def rates(ours: list[measure.Rate], limits: list[measure.Rate]) -> list[dict[str, float]]:
    return [
        {"ours_per_s": round(o.per_s), "limit_per_s": round(lim.per_s), "ratio": ratio(o, lim)}
        for o, lim in zip(ours, limits, strict=True)
    ]


async def run_store(
    pg_dsn: str, bootstrap: str, args: argparse.Namespace, say: Any
) -> dict[str, Any]:
    """append, relay and replay, each beside its limit, in a database of their own."""
    out: dict[str, Any] = {"details": {}}
    details = out["details"]
    database = "oms_bench"
    drop_database(pg_dsn, database)
    app, settings = await asyncio.to_thread(bench_app, pg_dsn, database, bootstrap)
    dsn = settings.service_dsn
    rounds = args.rounds
    try:
        # append: ours (group commit, 16 clients) vs raw asyncpg (8 connections), in turns
        sample = measure.sample_stored_event(app)
        limits, ours_ = [], []
        for n in range(rounds):
            say(f"append {n + 1}/{rounds}: {args.append_events} events, raw asyncpg, 8 conns")
            limits.append(await measure.append_limit(dsn, sample, args.append_events))
            say(f"append {n + 1}/{rounds}: {args.append_events} events, the kit, 16 clients")
            ours_.append(await asyncio.to_thread(measure.append_ours, app, args.append_events))
        out["append_ratio"] = median_ratio(ours_, limits)
        details["append"] = {
            "ours": measure.median_rate(ours_).as_dict(),
            "limit": measure.median_rate(limits).as_dict(),
            "rounds": rates(ours_, limits),
            "group_commit": measure.group_stats(app),
        }

        # relay: everything stored so far plus a top-up, from position 0
        stored = app.recorder.max_notification_id() or 0
        if stored < args.relay_events:
            await asyncio.to_thread(measure.fill_with_saves, app, args.relay_events - stored)
        await ensure_topics(bootstrap, settings.topic_partitions, [BENCH_TOPIC])
        count = args.relay_events
        limits, ours_, batch_api = [], [], []
        for n in range(rounds):
            say(f"relay {n + 1}/{rounds}: {count} events, raw pipelined aiokafka producer")
            limits.append(await measure.relay_limit(app, settings, count))
            say(f"relay {n + 1}/{rounds}: {count} events, raw producer, batch API")
            batch_api.append(await measure.relay_limit_batches(app, settings, count))
            say(f"relay {n + 1}/{rounds}: {count} events, the kit's outbox relay")
            ours_.append(await measure.relay_ours(app, settings, until=count))
        out["relay_ratio"] = median_ratio(ours_, limits)
        details["relay"] = {
            "ours": measure.median_rate(ours_).as_dict(),
            "limit": measure.median_rate(limits).as_dict(),
            "rounds": rates(ours_, limits),
            "limit_batch_api": measure.median_rate(batch_api).as_dict(),
            "ratio_to_batch_api": median_ratio(ours_, batch_api),
        }

        # replay: a rebuild over the stored events vs batched asyncpg inserts
        stored = app.recorder.max_notification_id() or 0
        if stored < args.replay_events:
            await asyncio.to_thread(measure.fill_with_saves, app, args.replay_events - stored)
        stored = app.recorder.max_notification_id() or 0
        limits, ours_ = [], []
        for n in range(rounds):
            say(f"replay {n + 1}/{rounds}: {stored} rows, raw asyncpg 100 rows per transaction")
            limits.append(await measure.replay_limit(dsn, stored))
            say(f"replay {n + 1}/{rounds}: rebuild over {stored} events, the kit's runner")
            ours_.append(
                await asyncio.to_thread(measure.replay_ours, app, settings.projection_batch_size)
            )
        out["replay_ratio"] = median_ratio(ours_, limits)
        details["replay"] = {
            "ours": measure.median_rate(ours_).as_dict(),
            "limit": measure.median_rate(limits).as_dict(),
            "rounds": rates(ours_, limits),
            "batch_size": settings.projection_batch_size,
        }
    finally:
        app.close()
        drop_database(pg_dsn, database)
    return out


async def run_growth(
    pg_dsn: str, bootstrap: str, args: argparse.Namespace, say: Any
) -> dict[str, Any]:
    """Append and replay rates with 10k, 100k, 1M events already stored. The events are
    generated by COPY straight into the events table, in the library's format."""
    database = "oms_bench_growth"
    drop_database(pg_dsn, database)
    app, settings = await asyncio.to_thread(bench_app, pg_dsn, database, bootstrap)
    append_n = 1_600 if args.quick else 8_000
    tail = 2_000 if args.quick else 20_000
    levels: dict[str, Any] = {}
    try:
        for level in args.growth_levels:
            fill = await measure.bulk_fill(app, settings.service_dsn, level)
            say(f"growth: {level} events stored (COPY {fill.count} in {fill.seconds:.1f} s)")
            append = await asyncio.to_thread(measure.append_ours, app, append_n)
            replay = await asyncio.to_thread(
                measure.replay_ours, app, settings.projection_batch_size, tail
            )
            say(
                f"growth: at {level}: append {append.per_s:,.0f}/s, "
                f"replay (last {tail}) {replay.per_s:,.0f}/s"
            )
            levels[str(level)] = {
                "append_per_s": round(append.per_s),
                "replay_per_s": round(replay.per_s),
                "fill": fill.as_dict(),
            }
    finally:
        app.close()
        drop_database(pg_dsn, database)
    first, last = levels[str(args.growth_levels[0])], levels[str(args.growth_levels[-1])]
    return {
        "levels": levels,
        "append_events_per_measurement": append_n,
        "replay_tail_events": tail,
        "append_slowdown": round(1 - last["append_per_s"] / first["append_per_s"], 3),
        "replay_slowdown": round(1 - last["replay_per_s"] / first["replay_per_s"], 3),
        "generated_by": "COPY into the events table (library format, one event per aggregate)",
    }


async def run_e2e_step(
    pg_dsn: str,
    bootstrap_env: str | None,
    home: Path,
    args: argparse.Namespace,
    say: Any,
    workers: int = 1,
) -> dict[str, Any]:
    """The load steps with ``workers`` worker processes per service, on empty databases and
    a broker of its own (the cluster ``OMS_KAFKA_BOOTSTRAP`` names, when set): a run on the
    topics and consumer groups of the one before took over its backlog. With one worker:
    also the CPU of each process with no load, before the first step."""
    drop_service_databases(pg_dsn, SERVICES)
    broker = start_broker(bootstrap_env, log_file=home / f"e2e-broker-{workers}w.log")
    try:
        await ensure_topics(broker.bootstrap, 3, all_topics())
        infra = cpu.infrastructure(
            pg_dsn, broker.bootstrap, broker.process.pid if broker.process else None
        )
        outcome = await run_e2e(
            # Orders signs the tokens here; the test issuer is only what a Stack carries.
            Stack(
                pg_dsn=pg_dsn, kafka_bootstrap=broker.bootstrap, issuer=TestIssuer(home / "auth")
            ),
            home / f"logs-{workers}w",
            args.e2e_rates,
            args.e2e_seconds,
            say,
            infra=infra,
            idle_s=args.idle_seconds if workers == 1 else 0.0,
            workers=workers,
        )
    finally:
        broker.stop()
    best = outcome.best()
    shown = best or (outcome.rates[0] if outcome.rates else None)
    out: dict[str, Any] = {
        "e2e_orders_per_s": best.rate if best else 0.0,
        "e2e_p50_ms": round(shown.pct(0.5), 1) if shown else None,
        "e2e_p99_ms": round(shown.pct(0.99), 1) if shown else None,
        # At the highest sustained step (else the lowest): every OMS process, PostgreSQL
        # and the broker, over that step's completed orders.
        "e2e_cpu_ms_per_order": shown.cpu_ms_per_order() if shown else None,
        "e2e_cpu_ms_per_order_by_process": shown.cpu_ms_per_order_by_process() if shown else {},
        "e2e_cpu_at_rate": {"rate": shown.rate, "sustained": shown.sustained} if shown else None,
        "e2e_cpu_counted": sorted(
            {name for r in outcome.rates for name in r.cpu_s} - {LOAD_GENERATOR}
        ),
        "e2e_rates": [r.as_dict() for r in outcome.rates],
        "e2e_setup_s": round(outcome.setup_s, 1),
        "e2e_stages_ms": outcome.stages_ms,
        "e2e_cpu_s": outcome.cpu_s,
        "e2e_load_wall_s": outcome.load_wall_s,
        "e2e_polls": outcome.polls,
        "e2e_requests_ms": outcome.requests_ms,
        "rss_idle_mb": outcome.rss_idle_mb,
        "rss_load_mb": outcome.rss_load_mb,
    }
    if outcome.idle_cpu_percent:
        out["idle_cpu_percent"] = max(outcome.idle_cpu_percent.values())
        out["idle_cpu_percent_by_process"] = outcome.idle_cpu_percent
        out["idle_cpu_seconds"] = outcome.idle_s
    return out


async def run_consumer_stage(
    pg_dsn: str, home: Path, args: argparse.Namespace, say: Any
) -> dict[str, Any]:
    """What the inventory worker applies per second from a filled topic: one worker, two."""
    out: dict[str, Any] = {"consumer_events": args.consumer_events}
    for workers, suffix in ((1, ""), (2, "_2w")):
        stage = await run_consumer(pg_dsn, home, args.consumer_events, workers, say)
        say(
            f"consumer: {workers} worker(s): {stage['events_per_s']:,} events/s, "
            f"{stage['cpu_ms_per_event']} CPU ms per event"
        )
        out[f"consumer_events_per_s{suffix}"] = stage["events_per_s"]
        out[f"consumer_cpu_ms_per_event{suffix}"] = stage["cpu_ms_per_event"]
        out[f"consumer_cpu_ms_per_event_by_process{suffix}"] = stage["cpu_ms_per_event_by_process"]
        out.setdefault("details", {})[f"consumer{suffix}"] = stage
    if out["consumer_events_per_s"]:
        out["consumer_2w_over_1w"] = round(
            out["consumer_events_per_s_2w"] / out["consumer_events_per_s"], 2
        )
    return out


def two_workers(e2e: dict[str, Any], one_worker_per_s: float) -> dict[str, Any]:
    """The e2e figures of the run with two workers per service, keyed ``..._2w``."""
    out = {
        f"{key}_2w": e2e[key]
        for key in (
            "e2e_orders_per_s",
            "e2e_p50_ms",
            "e2e_p99_ms",
            "e2e_cpu_ms_per_order",
            "e2e_cpu_ms_per_order_by_process",
            "e2e_rates",
        )
    }
    per_s = e2e["e2e_orders_per_s"]
    out["e2e_2w_over_1w"] = round(per_s / one_worker_per_s, 2) if one_worker_per_s else None
    return out


def met(key: str, value: Any) -> str:
    if key not in TARGETS or not isinstance(value, int | float):
        return ""
    op, target = TARGETS[key]
    ok = {">=": value >= target, "<=": value <= target, "<": value < target}[op]
    return "[green]yes[/]" if ok else "[red]no[/]"


def target_row(label: str, key: str, value: Any, shown: str | None = None) -> tuple[str, ...]:
    """A figure with a limit: ours, the limit, ours over the limit, the target, met?"""
    op, target = TARGETS[key]
    ratio_ = f"{value / target:.2f}" if isinstance(value, int | float) and target else ""
    return (
        label,
        shown if shown is not None else f"{value:g}" if isinstance(value, int | float) else "-",
        f"{target:g}",
        ratio_,
        f"{op} {target:g}",
        met(key, value),
    )


def table(results: dict[str, Any]) -> Table:
    t = Table(title="OMS against the limits of this machine")
    for col in ("figure", "ours", "limit", "ratio", "target", "met?"):
        t.add_column(col, justify="left" if col == "figure" else "right")
    d = results.get("details", {})
    rows = [
        ("append (events/s, 16 clients)", "append", "append_ratio", "raw asyncpg 8 conns"),
        ("relay (events/s)", "relay", "relay_ratio", "raw aiokafka"),
        ("replay (events/s)", "replay", "replay_ratio", "asyncpg 100 rows/tx"),
    ]
    for label, key, rkey, _what in rows:
        if rkey in results:
            op, target = TARGETS[rkey]
            t.add_row(
                label,
                f"{d[key]['ours']['per_s']:,}",
                f"{d[key]['limit']['per_s']:,}",
                f"{results[rkey]:.2f}",
                f"{op} {target}",
                met(rkey, results[rkey]),
            )
    if "limit_batch_api" in d.get("relay", {}):
        t.add_row(
            "  relay vs raw batch API (info)",
            f"{d['relay']['ours']['per_s']:,}",
            f"{d['relay']['limit_batch_api']['per_s']:,}",
            f"{d['relay']['ratio_to_batch_api']:.2f}",
            "",
            "",
        )
    for suffix, workers in (("", "1 worker"), ("_2w", "2 workers")):
        if f"e2e_orders_per_s{suffix}" not in results:
            continue
        t.add_row(
            *target_row(
                f"e2e orders/s sustained, {workers}",
                f"e2e_orders_per_s{suffix}",
                results[f"e2e_orders_per_s{suffix}"],
            )
        )
        t.add_row(
            "  e2e p50 ms (at it, else lowest)", f"{results[f'e2e_p50_ms{suffix}']}", "", "", "", ""
        )
        t.add_row(
            *target_row(
                "  e2e p99 ms (at it, else lowest)",
                f"e2e_p99_ms{suffix}",
                results[f"e2e_p99_ms{suffix}"],
            )
        )
        for r in results.get(f"e2e_rates{suffix}", []):
            t.add_row(
                f"  at {r['rate']:g}/s offered",
                f"{r['completed_per_s']}/s done",
                f"{r['cpu_ms_per_order']} cpu ms/order",
                "",
                f"p50 {r['p50_ms']} p99 {r['p99_ms']}",
                "sustained" if r["sustained"] else "[red]not sustained[/]",
            )
    if "e2e_2w_over_1w" in results:
        t.add_row(
            *target_row(
                "e2e orders/s, 2 workers over 1", "e2e_2w_over_1w", results["e2e_2w_over_1w"]
            )
        )
    if "e2e_cpu_ms_per_order" in results:
        t.add_row(
            *target_row(
                "e2e CPU ms per order (OMS + PG + broker)",
                "e2e_cpu_ms_per_order",
                results["e2e_cpu_ms_per_order"],
            )
        )
        by_process = results.get("e2e_cpu_ms_per_order_by_process", {})
        for name, ms in sorted(by_process.items(), key=lambda kv: -kv[1]):
            t.add_row(f"  {name}", f"{ms:g}", "", "", "cpu ms/order", "")
    if "idle_cpu_percent" in results:
        t.add_row(
            *target_row(
                f"idle CPU % of a core, max ({results['idle_cpu_seconds']:g} s)",
                "idle_cpu_percent",
                results["idle_cpu_percent"],
            )
        )
        for name, pct in sorted(
            results.get("idle_cpu_percent_by_process", {}).items(), key=lambda kv: -kv[1]
        ):
            t.add_row(f"  {name}", f"{pct:g}", "", "", "% idle", met("idle_cpu_percent", pct))
    if results.get("e2e_cpu_s"):
        wall = results.get("e2e_load_wall_s") or 0
        t.add_row(
            f"  cpu s over {wall:g} s of load",
            ", ".join(f"{k} {v:g}" for k, v in results["e2e_cpu_s"].items()),
            "",
            "",
            f"polls {results.get('e2e_polls', 0)}",
            "",
        )
    for suffix, workers in (("", "1 worker"), ("_2w", "2 workers")):
        if f"consumer_events_per_s{suffix}" in results:
            t.add_row(
                f"{CONSUMER} consumer events/s, {workers}",
                f"{results[f'consumer_events_per_s{suffix}']:,}",
                "",
                "",
                f"{results[f'consumer_cpu_ms_per_event{suffix}']} cpu ms/event",
                "",
            )
            by_process = results[f"consumer_cpu_ms_per_event_by_process{suffix}"]
            for name, ms in sorted(by_process.items(), key=lambda kv: -kv[1]):
                t.add_row(f"  {name}", f"{ms:g}", "", "", "cpu ms/event", "")
    if results.get("consumer_2w_over_1w") is not None:
        t.add_row(
            f"{CONSUMER} consumer, 2 workers over 1",
            f"{results['consumer_2w_over_1w']:g}",
            "",
            "",
            "3 partitions",
            "",
        )
    for kind, ms in results.get("e2e_stages_ms", {}).items():
        t.add_row(f"  order history: {kind}", f"+{ms:g} ms", "", "", "median", "")
    if "portal_p50_ms" in results:
        t.add_row(
            f"portal page p50 ms, {results['portal_users']} users",
            f"{results['portal_p50_ms']:g}",
            "300",
            f"{results['portal_p50_ratio']:.2f}",
            "<= 300",
            met("portal_p50_ms", results["portal_p50_ms"]),
        )
        for prefix, label in (("portal", "a page a second"), ("portal_no_pause", "no pause")):
            t.add_row(
                f"  portal, {label}: p50 / p95 ms",
                f"{results[prefix + '_p50_ms']:g} / {results[prefix + '_p95_ms']:g}",
                "",
                "",
                f"{results[prefix + '_pages_per_s']:g} pages/s {results[prefix + '_statuses']}",
                "",
            )
    documents = results.get("documents", {})
    for key, label in (
        ("cfdi_build_seal_stamp", "build, seal and stamp one CFDI (ms)"),
        ("invoice_pdf", "render one invoice PDF (ms)"),
        ("proposal_pdf", "render one proposal PDF (ms)"),
    ):
        if key in documents:
            figure = documents[key]
            t.add_row(
                label,
                f"{figure['median_ms']:g}",
                "",
                "",
                f"median of {figure['runs']}, max {figure['max_ms']:g}",
                "",
            )
    growth = results.get("growth", {})
    for level, g in growth.get("levels", {}).items():
        t.add_row(
            f"growth at {int(level):,} stored",
            f"append {g['append_per_s']:,}/s",
            "",
            "",
            f"replay {g['replay_per_s']:,}/s",
            "",
        )
    for key in ("append_slowdown", "replay_slowdown"):
        if key in growth:
            t.add_row(
                f"growth {key.replace('_', ' ')}",
                f"{growth[key]:.0%}",
                "",
                "",
                "<= 20%",
                "[green]yes[/]" if growth[key] <= 0.2 else "[red]no[/]",
            )
    return t


async def main(args: argparse.Namespace, console: Console) -> dict[str, Any]:
    started = time.monotonic()
    pg_dsn_env, bootstrap_env = env_defaults()
    with tempfile.TemporaryDirectory(prefix="oms-bench-") as tmp:
        home = Path(tmp)
        os.chmod(home, 0o755)  # noqa: S103 - the embedded server runs as its own user
        with dev_stack(home, pg_dsn=pg_dsn_env, kafka_bootstrap=bootstrap_env) as (pg, broker):
            say = console.log
            say(f"PostgreSQL {'embedded' if pg.embedded else pg.dsn}; broker {broker.bootstrap}")
            results: dict[str, Any] = {
                "facts": facts(pg.dsn, pg_embedded=pg.embedded, broker_embedded=broker.embedded)
            }
            store = await run_store(pg.dsn, broker.bootstrap, args, say)
            results.update(store)
            durations: dict[str, float] = {"store": round(time.monotonic() - started, 1)}
            if not args.skip_documents:
                t = time.monotonic()
                say("documents: one CFDI built, sealed and stamped; an invoice and a proposal PDF")
                results["documents"] = await asyncio.to_thread(
                    run_documents, 10 if args.quick else 30
                )
                durations["documents"] = round(time.monotonic() - t, 1)
            infra = cpu.infrastructure(
                pg.dsn, broker.bootstrap, broker.process.pid if broker.process else None
            )
            results["facts"]["cpu_counted"] = sorted(infra)
            if not args.skip_e2e:
                t = time.monotonic()
                e2e = await run_e2e_step(pg.dsn, bootstrap_env, home, args, say)
                rss = {"idle_mb": e2e.pop("rss_idle_mb"), "load_mb": e2e.pop("rss_load_mb")}
                results.update(e2e)
                results.setdefault("growth", {})["rss"] = rss
                durations["e2e"] = round(time.monotonic() - t, 1)
            if not args.skip_e2e and not args.skip_e2e_2w:
                t = time.monotonic()
                try:
                    e2e = await run_e2e_step(pg.dsn, bootstrap_env, home, args, say, workers=2)
                    results.update(two_workers(e2e, results["e2e_orders_per_s"]))
                except (
                    TimeoutError,
                    ProcessExited,
                    SignInFailed,
                    RuntimeError,
                    aiohttp.ClientError,
                ) as exc:
                    # The figures so far are kept; why this one is missing is written down.
                    say(f"[red]e2e with two workers failed: {exc!r}[/]")
                    results["e2e_2w_error"] = str(exc)[-2000:]
                durations["e2e_2w"] = round(time.monotonic() - t, 1)
            if not args.skip_consumer:
                t = time.monotonic()
                consumer = await run_consumer_stage(pg.dsn, home, args, say)
                results.setdefault("details", {}).update(consumer.pop("details"))
                results.update(consumer)
                durations["consumer"] = round(time.monotonic() - t, 1)
            if not args.skip_portal:
                t = time.monotonic()
                drop_service_databases(pg.dsn, SERVICES)
                results.update(
                    await asyncio.to_thread(
                        run_portal,
                        Stack(
                            pg_dsn=pg.dsn,
                            kafka_bootstrap=broker.bootstrap,
                            issuer=TestIssuer(home / "auth"),
                        ),
                        home / "portal-logs",
                        args.portal_users,
                        args.portal_seconds,
                        say,
                    )
                )
                durations["portal"] = round(time.monotonic() - t, 1)
            if not args.skip_growth:
                t = time.monotonic()
                growth = await run_growth(pg.dsn, broker.bootstrap, args, say)
                results["growth"] = {**growth, **results.get("growth", {})}
                durations["growth"] = round(time.monotonic() - t, 1)
            durations["total"] = round(time.monotonic() - started, 1)
            results["facts"]["durations_s"] = durations
            results["facts"]["counts"] = {
                "store_rounds": args.rounds,
                "append_events": args.append_events,
                "relay_events": args.relay_events,
                "replay_events": args.replay_events,
                "e2e_rates": args.e2e_rates,
                "e2e_seconds_per_rate": args.e2e_seconds,
                "idle_seconds": args.idle_seconds,
                "consumer_events": args.consumer_events,
                "portal_users": args.portal_users,
                "portal_seconds": args.portal_seconds,
                "growth_levels": args.growth_levels if not args.skip_growth else [],
            }
    return results


def cli(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    console = Console(width=120)
    results = asyncio.run(main(args, console))
    console.print(table(results))
    facts_table = Table(title="This run", show_header=False)
    for key, value in results["facts"].items():
        facts_table.add_row(key, json.dumps(value) if not isinstance(value, str) else value)
    console.print(facts_table)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, default=str) + "\n")
    console.print(f"wrote {args.output}")


if __name__ == "__main__":
    cli()
