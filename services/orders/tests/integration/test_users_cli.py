"""``oms users create|list|disable``: operators' commands on the orders service's
Application (built in the command's process, on the stack's PostgreSQL); no password is
ever printed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from oms_dev.testing import Stack
from oms_orders.bootstrap import bootstrap
from oms_orders.identity.tokens import InvalidGrant

OMS = [sys.executable, "-m", "oms_dev.cli"]
PASSWORD = "a-good-long-password"


def oms(stack: Stack, home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", **stack.env(), "OMS_HOME": str(home)}
    return subprocess.run(
        [*OMS, "users", *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


def test_an_operator_creates_lists_and_disables_users(stack: Stack, tmp_path: Path) -> None:
    created = oms(
        stack,
        tmp_path,
        "create",
        "Ana",
        "--role",
        "back_office",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert created.returncode == 0, created.stdout + created.stderr
    assert "created user Ana (back_office)" in created.stdout
    again = oms(
        stack,
        tmp_path,
        "create",
        "ana",
        "--role",
        "warehouse",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert again.returncode == 1 and "username" in again.stdout
    short = oms(
        stack, tmp_path, "create", "bo", "--role", "warehouse", "--password-stdin", stdin="short\n"
    )
    assert short.returncode == 1 and "password" in short.stdout
    customer = oms(
        stack,
        tmp_path,
        "create",
        "cy",
        "--role",
        "customer",
        "--customer-id",
        "nope",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert customer.returncode == 1 and "customer_id" in customer.stdout

    settings: dict[str, Any] = {**stack.settings_overrides(), "dev_stack": True}
    orders = bootstrap(**settings)
    try:
        assert orders.app.password_grant("ana", PASSWORD, "10.0.0.1").access_token
        listed = oms(stack, tmp_path, "list")
        assert listed.returncode == 0, listed.stdout + listed.stderr
        assert "Ana" in listed.stdout and "1 users" in listed.stdout

        disabled = oms(stack, tmp_path, "disable", "ANA")
        assert disabled.returncode == 0, disabled.stdout + disabled.stderr
        assert "disabled user Ana" in disabled.stdout
        with pytest.raises(InvalidGrant):
            orders.app.password_grant("ana", PASSWORD, "10.0.0.1")
        assert oms(stack, tmp_path, "disable", "nobody").returncode == 1
        stored = list(orders.app.recorder.select_notifications(1, 100))
        assert [n.topic.rsplit(".", 1)[1] for n in stored] == ["UserRegistered", "UserDisabled"]
        actors = {orders.app.metadata_mapper.metadata(n).get("actor", "") for n in stored}
        assert all(actor.startswith("operator") for actor in actors), actors
    finally:
        orders.app.close()
    for result in (created, again, short, customer, listed, disabled):
        assert PASSWORD not in result.stdout + result.stderr
        assert "argon2" not in result.stdout + result.stderr
