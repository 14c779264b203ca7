"""The one list of services: ``services.toml`` at the repository root.

Each ``[services.<name>]`` entry names a service, its Python package, its API port in the
dev stack and its roles (``api``, ``worker``). The supervisor, the tests, the bench, the
reliability suite, the deploy checks, the Kubernetes overlays and the import-linter
contracts are derived from it. The services themselves never read it.

Each ``[apps.<name>]`` entry names an app: a web process that calls the services' public
routes and has no domain, database, topics or event store of its own (the portal). Only
``oms up``, ``oms status`` and the deploy checks run or check apps (:data:`APPS`);
:data:`SERVICES`, :func:`names` and :func:`entry` are the event-sourced services alone.
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
#: An app runs its web process only: with no events, it has nothing for a worker to do.
APP_ROLES = ("api",)
FILENAME = "services.toml"
#: What an entry is: an event-sourced service (``[services.<name>]``) or an app in front of
#: the services (``[apps.<name>]``).
SERVICE, APP = "service", "app"
TABLES = {SERVICE: "services", APP: "apps"}

_NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")


@dataclass(frozen=True)
class ServiceEntry:
    name: str
    package: str
    port: int
    roles: tuple[str, ...] = ROLES
    #: ``service`` (event-sourced, under services/) or ``app`` (a web app at the root).
    kind: str = SERVICE

    def module(self, role: str) -> str:
        """The module a role runs (``python -m`` it)."""
        return f"{self.package}.entrypoints.{role}"

    @property
    def folder(self) -> Path:
        """Where the package's project lives, relative to the repository root."""
        return Path("services") / self.name if self.kind == SERVICE else Path(self.name)


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
    return load_all(path)[0]


def load_all(
    path: Path | None = None,
) -> tuple[dict[str, ServiceEntry], dict[str, ServiceEntry]]:
    """The services and the apps of the manifest, each by name in the manifest's order."""
    path = path or repository_root() / FILENAME
    with path.open("rb") as file:
        data = tomllib.load(file)
    unknown = set(data) - set(TABLES.values())
    if unknown:
        raise ManifestError(f"{path}: unknown tables {sorted(unknown)}")
    return parse_all(data.get(TABLES[SERVICE], {}), data.get(TABLES[APP], {}), str(path))


def parse_all(
    services: dict[str, Any], apps: dict[str, Any], where: str = FILENAME
) -> tuple[dict[str, ServiceEntry], dict[str, ServiceEntry]]:
    """Both tables; a name or a port is one process's only, across both."""
    parsed = parse(services, where)
    parsed_apps = parse(apps, where, kind=APP) if apps else {}
    ports = {entry.port: name for name, entry in parsed.items()}
    for name, app in parsed_apps.items():
        if name in parsed:
            raise ManifestError(f"{where}: {name} is both a service and an app")
        if app.port in ports:
            raise ManifestError(f"{where}: {name} and {ports[app.port]} both use port {app.port}")
    return parsed, parsed_apps


def parse(
    table: dict[str, Any], where: str = FILENAME, kind: str = SERVICE
) -> dict[str, ServiceEntry]:
    entries: dict[str, ServiceEntry] = {}
    ports: dict[int, str] = {}
    allowed = ROLES if kind == SERVICE else APP_ROLES
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
        roles = tuple(fields.get("roles", allowed))
        if not roles or set(roles) - set(allowed) or len(set(roles)) != len(roles):
            raise ManifestError(f"{where}: {name}.roles must be some of {', '.join(allowed)}")
        unknown = set(fields) - {"package", "port", "roles"}
        if unknown:
            raise ManifestError(f"{where}: {name} has unknown fields {sorted(unknown)}")
        entries[name] = ServiceEntry(name, package, port, roles, kind)
    if not entries:
        raise ManifestError(f"{where}: no [{TABLES[kind]}.<name>] entries")
    return entries


#: The services of this checkout (event-sourced: a domain, a database, topics), and the apps
#: in front of them (the portal).
SERVICES, APPS = load_all()


def entry(name: str) -> ServiceEntry:
    try:
        return SERVICES[name]
    except KeyError:
        raise LookupError(
            f"unknown service {name!r}; expected one of {', '.join(SERVICES)}"
        ) from None


def names() -> list[str]:
    return list(SERVICES)


def runnable(name: str) -> ServiceEntry:
    """A service or an app: what the supervisor starts under that name."""
    found = SERVICES.get(name) or APPS.get(name)
    if found is None:
        raise LookupError(
            f"unknown service or app {name!r}; expected one of {', '.join([*SERVICES, *APPS])}"
        )
    return found
