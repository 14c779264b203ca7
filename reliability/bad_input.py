"""Scenario 6, bad HTTP input: schemathesis generates requests (valid and invalid) from
each service's OpenAPI document: no answer is a 5xx, every 4xx is problem+json and every
422 names its fields (the checks of ``reliability.st_hooks``). Then the workload runs on
the fuzzed services and is checked: the junk broke nothing. (Not the other way round:
schemathesis reuses values it reads in responses, so it would receive stock for the
workload's own products, which is valid input, not an error.)"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from reliability.harness import SERVICES, Harness
from reliability.scenario import RECOVERY_DEADLINE_S, Outcome, Settings
from reliability.workload import Client, Workload, verify, wait_converged

ROOT = Path(__file__).resolve().parent.parent


def fuzz(harness: Harness, service: str, examples: int, report: Path) -> tuple[int, int, int, str]:
    """Run schemathesis against one service: (operations whose checks failed, operations
    where schemathesis itself erred, operations, output)."""
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("schemathesis")),
            "run",
            f"{harness.url(service)}/openapi.json",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            str(examples),
            "--phases",
            "examples,coverage,fuzzing",
            "--mode",
            "all",
            "--seed",
            "20240601",
            "--no-shrink",
            "--generation-database",
            "none",
            "--workers",
            "2",
            "--request-timeout",
            "30",
            "--report",
            "junit",
            "--report-junit-path",
            str(report),
            "--no-color",
            "--warnings",
            "off",
        ],
        env={
            **os.environ,
            "SCHEMATHESIS_HOOKS": "reliability.st_hooks",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        },
        cwd=report.parent,  # its caches (.schemathesis/, .hypothesis/) go beside the logs
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = result.stdout + result.stderr
    if not report.exists():
        return -1, 0, 0, output
    suite = ET.parse(report).getroot()  # noqa: S314 - our own report file
    cases = suite.findall(".//testcase")
    failed = [c for c in cases if c.find("failure") is not None]
    erred = [c for c in cases if c.find("error") is not None and c.find("failure") is None]
    return len(failed), len(erred), len(cases), output


def run(harness: Harness, settings: Settings) -> Outcome:
    out = Outcome("bad-input", orders=settings.orders)
    harness.start_services(settings.log_dir / "bad-input")
    client = Client(harness)
    examples = 15 if settings.quick else 60
    try:
        started = time.monotonic()
        for service in SERVICES:
            report = settings.log_dir / "bad-input" / f"schemathesis-{service}.xml"
            failed, erred, operations, output = fuzz(harness, service, examples, report)
            if erred:
                # schemathesis' own generation errors (seen: a hypothesis regex strategy
                # hitting "AST constructor recursion depth mismatch"): not the service's.
                out.notes.append(f"schemathesis on {service}: {erred} operations erred")
            if failed != 0 or erred == operations:
                tail = output[-4000:]
                out.failures.append(
                    f"schemathesis on {service}: {failed} of {operations} operations failed:\n"
                    f"{tail}"
                )
            else:
                out.notes.append(f"schemathesis on {service}: {operations} operations clean")
        out.recover_s = time.monotonic() - started
        work = Workload()
        work.setup(client, settings.orders)
        work.drive(harness, settings.orders)
        if wait_converged(client, work, RECOVERY_DEADLINE_S) is None:
            out.failures.append("the workload did not converge")
        out.take(verify(client, work))
    finally:
        client.close()
        harness.stop_services()
    return out
