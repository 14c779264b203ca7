"""The one list of services: ``services.toml`` at the repository root.

Each entry names a service, its Python package, its API port in the dev stack and its
roles (``api``, ``worker``). The supervisor, the tests, the bench, the reliability suite,
the deploy checks, the Kubernetes overlays and the import-linter contracts are derived
from it. The services themselves never read it.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The processes a service may run: its HTTP API, and its worker (relay, consumer,
#: projections).
ROLES = ("api", "worker")
FILENAME = "services.toml"

_NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")


@dataclass(frozen=True)
class ServiceEntry:
    name: str
    package: str
    port: int
    roles: tuple[str, ...] = ROLES

    def module(self, role: str) -> str:
        """The module a role runs (``python -m`` it)."""
        return f"{self.package}.entrypoints.{role}"

    @property
    def folder(self) -> Path:
        """Where the service's package lives, relative to the repository root."""
        return Path("services") / self.name


class ManifestError(ValueError):
    pass


def repository_root() -> Path:
    """The folder that holds ``services.toml``: this checkout (oms-dev is installed
    editable from it), else the nearest one above the working directory."""
    for start in (Path(__file__).resolve().parent, Path.cwd().resolve()):
        for folder in (start, *start.parents):
            if (folder / FILENAME).is_file() and (folder / "pyproject.toml").is_file():
                return folder
    raise ManifestError(f"no {FILENAME} found above {Path(__file__).parent} or {Path.cwd()}")


def load(path: Path | None = None) -> dict[str, ServiceEntry]:
    """Every service of the manifest, by name, in the manifest's order."""
    path = path or repository_root() / FILENAME
    with path.open("rb") as file:
        data = tomllib.load(file)
    return parse(data.get("services", {}), str(path))


def parse(table: dict[str, Any], where: str = FILENAME) -> dict[str, ServiceEntry]:
    entries: dict[str, ServiceEntry] = {}
    ports: dict[int, str] = {}
    for name, fields in table.items():
        if not _NAME.fullmatch(name):
            raise ManifestError(f"{where}: {name!r} is not a service name (lower-case-words)")
        package = fields.get("package")
        if package != "oms_" + name.replace("-", "_"):
            raise ManifestError(f"{where}: {name}.package must be 'oms_{name.replace('-', '_')}'")
        port = fields.get("port")
        if not isinstance(port, int) or not 1024 <= port <= 65535:
            raise ManifestError(f"{where}: {name}.port must be a port number above 1023")
        if port in ports:
            raise ManifestError(f"{where}: {name} and {ports[port]} both use port {port}")
        ports[port] = name
        roles = tuple(fields.get("roles", ROLES))
        if not roles or set(roles) - set(ROLES) or len(set(roles)) != len(roles):
            raise ManifestError(f"{where}: {name}.roles must be some of {', '.join(ROLES)}")
        unknown = set(fields) - {"package", "port", "roles"}
        if unknown:
            raise ManifestError(f"{where}: {name} has unknown fields {sorted(unknown)}")
        entries[name] = ServiceEntry(name, package, port, roles)
    if not entries:
        raise ManifestError(f"{where}: no [services.<name>] entries")
    return entries


#: The services of this checkout.
SERVICES: dict[str, ServiceEntry] = load()


def entry(name: str) -> ServiceEntry:
    try:
        return SERVICES[name]
    except KeyError:
        raise LookupError(
            f"unknown service {name!r}; expected one of {', '.join(SERVICES)}"
        ) from None


def names() -> list[str]:
    return list(SERVICES)
