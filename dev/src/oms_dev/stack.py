"""Where the running dev stack is (``oms up`` writes it down), its admin's password, and a
service built in this process for the operators' commands."""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path
from typing import Any

from oms_dev.client import new_password
from oms_dev.manifest import entry
from oms_kit.service import Service


def state_dir() -> Path:
    return Path(os.environ.get("OMS_HOME") or ".oms").resolve()


def stack_file() -> Path:
    return state_dir() / "stack.json"


def mail_folder() -> Path:
    """Where the dev stack's SMTP sink keeps the messages (``oms mail`` reads it)."""
    return state_dir() / "mail"


def write_stack(info: dict[str, Any]) -> None:
    stack_file().parent.mkdir(parents=True, exist_ok=True)
    stack_file().write_text(json.dumps(info, indent=2))


def read_stack() -> dict[str, Any]:
    """Where the running stack is: from ``oms up``'s stack file, else the environment."""
    info: dict[str, Any] = {}
    if stack_file().exists():
        info = json.loads(stack_file().read_text())
    for key, env in (("pg_dsn", "OMS_PG_DSN"), ("kafka_bootstrap", "OMS_KAFKA_BOOTSTRAP")):
        if os.environ.get(env):
            info[key] = os.environ[env]
    return info


def admin_password_file() -> Path:
    return state_dir() / "admin-password"


def admin_password() -> str | None:
    """The dev stack's admin password: ``OMS_ADMIN_PASSWORD``, else the one ``oms up``
    stored; None when there is neither."""
    if os.environ.get("OMS_ADMIN_PASSWORD"):
        return os.environ["OMS_ADMIN_PASSWORD"]
    path = admin_password_file()
    if not path.exists():
        return None
    return path.read_text().strip() or None


def ensure_admin_password() -> tuple[str, str]:
    """The admin password for ``oms up`` and where it comes from: ``OMS_ADMIN_PASSWORD``,
    else the stored one, else a new strong one, stored readable by this user only."""
    if os.environ.get("OMS_ADMIN_PASSWORD"):
        return os.environ["OMS_ADMIN_PASSWORD"], "from OMS_ADMIN_PASSWORD"
    path = admin_password_file()
    stored = admin_password()
    if stored:
        return stored, f"stored in {path}"
    password = new_password()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)  # an empty file: made again with the right mode
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(password + "\n")
    return password, f"new, stored in {path}"


def load_service(name: str, **overrides: Any) -> Service:
    """Build a service in this process through its own ``bootstrap`` (for ops commands)."""
    module = importlib.import_module(f"{entry(name).package}.bootstrap")
    service: Service = module.bootstrap(**overrides)
    return service
