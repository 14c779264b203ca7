"""The CI subset of the reliability suite (``make reliability`` is the full run): every
scenario with a few dozen orders, on its own embedded PostgreSQL and brokers, as the
operator runs it. Nothing may be lost, doubled or leaked (an answer past a caller's role
or scope), and every scenario must pass."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.stack, pytest.mark.timeout(900)]


def test_every_scenario_loses_and_doubles_nothing() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("OMS_PG_DSN", "OMS_KAFKA_BOOTSTRAP")}
    result = subprocess.run(
        [sys.executable, "-m", "reliability", "--quick"],
        cwd=ROOT,
        env={**env, "COLUMNS": "160"},
        capture_output=True,
        text=True,
        timeout=850,
        check=False,
    )
    output = result.stdout + result.stderr
    summary = re.search(
        r"^reliability: (\d+) scenarios, (\d+) lost, (\d+) duplicated, (\d+) leaks$",
        result.stdout,
        re.MULTILINE,
    )
    assert summary, output[-6000:]
    scenarios, lost, duplicated, leaks = (int(g) for g in summary.groups())
    assert (scenarios, lost, duplicated, leaks) == (11, 0, 0, 0), output[-6000:]
    assert "FAILED" not in result.stdout, output[-6000:]
    assert result.returncode == 0, output[-6000:]
