"""The operator commands against a real stack: republish, replay, dead letters; the dev
stack's admin password (given, stored, or made and stored for this user only) and the
demo, which signs in with it."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest
from oms_dev.stack import admin_password, ensure_admin_password
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


def test_the_admin_password_is_made_once_stored_for_this_user_only_and_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMS_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("OMS_ADMIN_PASSWORD", raising=False)
    assert admin_password() is None
    password, kept = ensure_admin_password()
    stored = tmp_path / "home" / "admin-password"
    assert kept == f"new, stored in {stored}"
    assert len(password) >= 24 and password.strip() == password
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stored.read_text().strip() == password
    assert ensure_admin_password() == (password, f"stored in {stored}")
    assert admin_password() == password


def test_oms_admin_password_wins_over_the_stored_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMS_HOME", str(tmp_path))
    (tmp_path / "admin-password").write_text("the-stored-one-123\n")
    monkeypatch.setenv("OMS_ADMIN_PASSWORD", "given-by-the-operator-1")
    assert ensure_admin_password() == ("given-by-the-operator-1", "from OMS_ADMIN_PASSWORD")
    assert admin_password() == "given-by-the-operator-1"
    monkeypatch.delenv("OMS_ADMIN_PASSWORD")
    assert admin_password() == "the-stored-one-123"


def test_the_demo_without_an_admin_password_says_where_it_comes_from(home: str) -> None:
    # A stack named (it is not reached: signing in needs the password first).
    env = {"PATH": "/usr/bin:/bin", "OMS_PG_DSN": "host=/nowhere", "OMS_HOME": home}
    result = subprocess.run([*OMS, "demo"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "OMS_ADMIN_PASSWORD" in result.stdout and "admin-password" in result.stdout
