"""The operator commands against a real stack: republish, replay, dead letters."""

from __future__ import annotations

import subprocess
import sys

import pytest
from oms_dev.testing import Stack

OMS = [sys.executable, "-m", "oms_dev.cli"]


def oms(stack: Stack, *args: str, tmp_home: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", **stack.env(), "OMS_HOME": tmp_home}
    return subprocess.run([*OMS, *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def home(tmp_path) -> str:  # type: ignore[no-untyped-def]
    return str(tmp_path)


def test_republish_a_service_with_no_events_publishes_none(stack: Stack, home: str) -> None:
    result = oms(stack, "republish", "orders", tmp_home=home)
    assert result.returncode == 0, result.stderr
    assert "orders: republished 0 events after position 0" in result.stdout


def test_unknown_service_and_projection_are_clear_errors(stack: Stack, home: str) -> None:
    unknown = oms(stack, "replay", "shipping", "x", tmp_home=home)
    assert unknown.returncode == 2
    assert "unknown service 'shipping'" in unknown.stdout
    missing = oms(stack, "replay", "orders", "nope", tmp_home=home)
    assert missing.returncode == 2
    assert "orders has no read model 'nope'" in missing.stdout


def test_dlq_list_on_an_empty_stack(stack: Stack, home: str) -> None:
    result = oms(stack, "dlq", "list", tmp_home=home)
    assert result.returncode == 0, result.stderr
    assert "0 dead letters" in result.stdout


def test_without_a_stack_the_commands_say_how_to_start_one(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {"PATH": "/usr/bin:/bin", "OMS_HOME": str(tmp_path)}
    result = subprocess.run([*OMS, "status"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "oms up" in result.stdout
