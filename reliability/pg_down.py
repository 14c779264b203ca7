"""Scenario 3, PostgreSQL unreachable for 10 s while orders flow: the APIs answer 503
(problem+json, ``retry-after``), never 500; the clients retry; relays, consumers and
projections reconnect by themselves when it is back, and nothing is lost or doubled."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from reliability.harness import Harness
from reliability.scenario import Outcome, Settings, faulted_run

DOWN_S = 10.0
#: The services wait up to 5 s for a pooled connection (POSTGRES_CONNECT_TIMEOUT) first.
PROBE_TIMEOUT_S = 15.0
#: The routes that answer without the database.
NO_DATABASE = {"/health", "/ready", "/.well-known/jwks.json"}


def probe_path(openapi: dict[str, Any]) -> str:
    """A list the service answers from its database: its first GET route without a path
    parameter or a required query parameter (every service has one; the manifest's list
    of services grows)."""
    for path, operations in openapi.get("paths", {}).items():
        get = operations.get("get")
        if get is None or "{" in path or path in NO_DATABASE:
            continue
        if not any(p.get("required") for p in get.get("parameters", [])):
            return str(path)
    raise LookupError(f"no list to probe among {sorted(openapi.get('paths', {}))}")


def _probe(h: Harness, service: str, path: str, headers: dict[str, str]) -> tuple[str, str]:
    """(what the API answered, what is wrong with it or "")."""
    try:
        r = httpx.get(h.url(service) + path, headers=headers, timeout=PROBE_TIMEOUT_S)
    except httpx.TransportError as exc:
        return type(exc).__name__, ""
    kind = r.headers.get("content-type", "")
    if r.status_code == 503 and not kind.startswith("application/problem+json"):
        return "503", f"503 as {kind}"
    if r.status_code not in (200, 503):
        return str(r.status_code), f"{r.status_code} {r.text[:200]}"
    return str(r.status_code), ""


def run(harness: Harness, settings: Settings) -> Outcome:
    def outage(h: Harness, driving: threading.Event, out: Outcome) -> float | None:
        time.sleep(3.0 if settings.quick else 8.0)  # mid-flow
        if not driving.is_set():
            out.notes.append("the driver finished before the outage (too few orders)")
        # Signed in before: signing in needs orders' database too. The token outlives
        # the outage; the services verify it with keys they already hold.
        headers = h.admin.headers()
        probes = {
            service: probe_path(httpx.get(h.url(service) + "/openapi.json", timeout=30).json())
            for service in h.running
        }
        out.notes.append(f"probed while PostgreSQL was down: {probes}")
        h.stop_postgres()
        codes: Counter[str] = Counter()
        bad: list[str] = []
        until = time.monotonic() + DOWN_S
        with ThreadPoolExecutor(max_workers=len(h.running)) as pool:
            while time.monotonic() < until:
                answers = pool.map(lambda s: _probe(h, s, probes[s], headers), h.running)
                for service, answer in zip(h.running, answers, strict=True):
                    codes[f"{service}: {answer[0]}"] += 1
                    if answer[1]:
                        bad.append(f"{service}: {answer[1]}")
                time.sleep(0.5)
        h.restart_postgres()
        back = time.monotonic()
        out.notes.append(f"answers while PostgreSQL was down: {dict(codes)}")
        out.check(not bad, f"while PostgreSQL was down: {sorted(set(bad))[:5]}")
        out.check(
            all(codes[f"{s}: 503"] > 0 for s in h.running),
            f"not every API answered 503 while PostgreSQL was down: {dict(codes)}",
        )
        return back

    return faulted_run("postgres-down", harness, settings, outage)
