"""Where the running dev stack is (``oms up`` writes it down), and a service built in this
process for the operators' commands."""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path
from typing import Any

from oms_dev.manifest import entry
from oms_kit.service import Service


def state_dir() -> Path:
    return Path(os.environ.get("OMS_HOME") or ".oms").resolve()


def stack_file() -> Path:
    return state_dir() / "stack.json"


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


def load_service(name: str, **overrides: Any) -> Service:
    """Build a service in this process through its own ``bootstrap`` (for ops commands)."""
    module = importlib.import_module(f"{entry(name).package}.bootstrap")
    service: Service = module.bootstrap(**overrides)
    return service
