"""The benchmark's code runs: a tiny run against the test stack writes every key with a
positive figure. It measures nothing worth reading and asserts no timings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from oms_dev.testing import Stack

ROOT = Path(__file__).resolve().parents[1]


def test_bench_quick_run_writes_every_figure(stack: Stack, tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--quick",
            "--skip-e2e",
            "--skip-portal",
            "--skip-consumer",
            "--append-events",
            "320",
            "--relay-events",
            "400",
            "--replay-events",
            "400",
            "--growth-levels",
            "1000,2000",
            "--output",
            str(out),
        ],
        cwd=ROOT,
        env={**os.environ, **stack.env()},
        check=True,
        # A guard against a hang, not a timing check: a busy machine runs it slowly.
        timeout=240,
    )
    results = json.loads(out.read_text())
    for key in ("append_ratio", "relay_ratio", "replay_ratio"):
        assert results[key] > 0, key
    for figure in ("append", "relay", "replay"):
        assert results["details"][figure]["ours"]["per_s"] > 0
        assert results["details"][figure]["limit"]["per_s"] > 0
    growth = results["growth"]
    assert set(growth["levels"]) == {"1000", "2000"}
    assert all(g["append_per_s"] > 0 and g["replay_per_s"] > 0 for g in growth["levels"].values())
    assert results["facts"]["eventsourcing"] and results["facts"]["cores"] >= 1
    # The CPU per order counts PostgreSQL and the broker: both found on this machine.
    assert results["facts"]["cpu_counted"] == ["broker", "postgres"]
