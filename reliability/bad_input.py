"""Scenario 6, bad HTTP input: schemathesis generates requests (valid and invalid) from
each service's OpenAPI document, signed in as the admin: no answer is a 5xx, every 4xx is
problem+json and every 422 names its fields (the checks of ``reliability.st_hooks``). Then
once more without a token: every answer of a route that is not public is 401. Then the
workload runs on the fuzzed services and is checked: the junk broke nothing. (Not the other
way round: schemathesis reuses values it reads in responses, so it would receive stock for
the workload's own products, which is valid input, not an error.) The token endpoint is
fuzzed last, on its own: its wrong passwords slow down signing in from this address, the
workload's too (DESIGN section 9).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from oms_dev.client import TOKEN_PATH
from oms_dev.supervisor import ISSUER

from reliability.harness import Harness
from reliability.scenario import RECOVERY_DEADLINE_S, Outcome, Settings
from reliability.st_hooks import CHECKS
from reliability.workload import Client, Workload, verify, wait_converged

ROOT = Path(__file__).resolve().parent.parent


#: Left out of the signed-in run: disabling users at random would lock out the admin the
#: workload signs in as (the anonymous run still calls it, and must get 401).
SIGNED_IN_EXCLUDED = r"^/users/\{[^}]+\}/disable$"


def fuzz(
    harness: Harness,
    service: str,
    examples: int,
    report: Path,
    *,
    signed_in: bool,
    filters: list[str],
) -> tuple[int, int, int, str]:
    """Run schemathesis against one service, signed in as the admin or without a token:
    (operations whose checks failed, operations where schemathesis itself erred,
    operations, output). ``filters``: its --include-*/--exclude-* options."""
    who = (
        {
            "OMS_FUZZ_ORDERS_URL": harness.url(ISSUER),
            "OMS_FUZZ_USERNAME": "admin",
            "OMS_FUZZ_PASSWORD": harness.admin_password,
        }
        if signed_in
        else {"OMS_FUZZ_ANONYMOUS": "1"}
    )
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("schemathesis")),
            "run",
            f"{harness.url(service)}/openapi.json",
            # The hooks' checks run only when named here (alone, --checks leaves them out).
            "--checks",
            ",".join(("not_a_server_error", *CHECKS)),
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
            *filters,
            "--report",
            "junit",
            "--report-junit-path",
            str(report),
            "--no-color",
            "--warnings",
            "off",
        ],
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("OMS_FUZZ_")},
            **who,
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


def fuzz_and_judge(
    harness: Harness,
    service: str,
    examples: int,
    out: Outcome,
    log_dir: Path,
    *,
    signed_in: bool,
    filters: list[str],
    what: str,
) -> None:
    """One schemathesis run, its result told in ``out``."""
    report = log_dir / f"schemathesis-{service}-{what.replace(' ', '-')}.xml"
    report.unlink(missing_ok=True)
    failed, erred, operations, output = fuzz(
        harness, service, examples, report, signed_in=signed_in, filters=filters
    )
    label = f"schemathesis on {service} ({what})"
    if erred:
        # schemathesis' own generation errors (seen: a hypothesis regex strategy
        # hitting "AST constructor recursion depth mismatch"): not the service's.
        out.notes.append(f"{label}: {erred} operations erred")
    if failed != 0 or erred == operations:
        out.failures.append(
            f"{label}: {failed} of {operations} operations failed:\n{output[-4000:]}"
        )
    else:
        out.notes.append(f"{label}: {operations} operations clean")


def run(harness: Harness, settings: Settings) -> Outcome:
    out = Outcome("bad-input", orders=settings.orders)
    log_dir = settings.log_dir / "bad-input"
    harness.start_services(log_dir)
    client = Client(harness)
    examples = 15 if settings.quick else 60
    not_the_token_endpoint = ["--exclude-path", TOKEN_PATH]
    try:
        started = time.monotonic()
        for service in harness.running:
            fuzz_and_judge(
                harness,
                service,
                examples,
                out,
                log_dir,
                signed_in=True,
                filters=[*not_the_token_endpoint, "--exclude-path-regex", SIGNED_IN_EXCLUDED],
                what="signed in",
            )
            fuzz_and_judge(
                harness,
                service,
                examples,
                out,
                log_dir,
                signed_in=False,
                filters=not_the_token_endpoint,
                what="without a token",
            )
        out.recover_s = time.monotonic() - started
        work = Workload()
        work.setup(client, settings.orders)
        work.drive(harness, settings.orders)
        if wait_converged(client, work, RECOVERY_DEADLINE_S) is None:
            out.failures.append("the workload did not converge")
        out.take(verify(client, work))
        fuzz_and_judge(
            harness,
            ISSUER,
            examples,
            out,
            log_dir,
            signed_in=False,
            filters=["--include-path", TOKEN_PATH],
            what="the token endpoint",
        )
    finally:
        client.close()
        harness.stop_services()
    return out
