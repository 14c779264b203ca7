"""The six services as processes on one machine: where they are and how to start them."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oms_contracts import SERVICES
from oms_kit.service import Service

ROLES = ("api", "worker")


@dataclass(frozen=True)
class ServiceEntry:
    name: str
    package: str
    port: int

    def module(self, role: str) -> str:
        return f"{self.package}.entrypoints.{role}"


ENTRIES: dict[str, ServiceEntry] = {
    name: ServiceEntry(name, "oms_" + name.replace("-", "_"), 8001 + i)
    for i, name in enumerate(SERVICES)
}


def entry(name: str) -> ServiceEntry:
    try:
        return ENTRIES[name]
    except KeyError:
        raise LookupError(
            f"unknown service {name!r}; expected one of {', '.join(ENTRIES)}"
        ) from None


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


def spawn(
    entry_: ServiceEntry, role: str, env: dict[str, str], log_dir: Path, port: int | None = None
) -> subprocess.Popen[bytes]:
    log_dir.mkdir(parents=True, exist_ok=True)
    out = (log_dir / f"{entry_.name}-{role}.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", entry_.module(role)],
        env={**os.environ, **env, "OMS_HTTP_PORT": str(port or entry_.port)},
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
