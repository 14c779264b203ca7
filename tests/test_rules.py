"""House rules a test checks, not memory (STYLE.md), for every service of services.toml:

- the domain imports nothing but the stdlib, ``eventsourcing.domain`` and the kit's
  stdlib-only ``oms_kit.domain`` (and what those two import), directly or not;
- only ``integration/`` imports ``oms_contracts``;
- only Settings classes read the environment (the runtime: the kit and the services; the
  developer tooling in ``dev/`` is exempt);
- the import-linter contracts and the workspace name exactly the services of the manifest
  (and its apps, the portal, which is no service: it imports none of them and has no
  domain, events or topics).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from oms_dev.manifest import APPS, SERVICES, ServiceEntry

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = [service.package for service in SERVICES.values()]
#: The web pages (DESIGN section 14): an app of the manifest, not a service.
PORTAL = APPS["portal"].package


def _source(service: ServiceEntry) -> Path:
    return ROOT / service.folder / "src" / service.package


def _modules(package_dir: Path, package: str) -> list[str]:
    names = []
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(package_dir).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names.append(".".join([package, *parts]))
    return names


# --- the domain imports no framework ------------------------------------------------------

#: Run in a fresh interpreter: which modules the domain brings in beyond the baseline.
_PROBE = """
import importlib, json, sys
import eventsourcing.domain, oms_kit.domain
baseline = set(sys.modules)
for name in json.loads(sys.argv[1]):
    importlib.import_module(name)
print(json.dumps(sorted(set(sys.modules) - baseline)))
"""


@pytest.mark.parametrize("service", SERVICES.values(), ids=list(SERVICES))
def test_the_domain_imports_only_the_stdlib_and_eventsourcing_domain(
    service: ServiceEntry,
) -> None:
    domain = f"{service.package}.domain"
    modules = _modules(_source(service) / "domain", domain)
    assert modules, f"{service.name} has no domain/"
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(modules)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    brought_in = json.loads(result.stdout)
    own = {service.package, domain}
    foreign = [
        name
        for name in brought_in
        if name not in own
        and not name.startswith(domain + ".")
        and name.split(".")[0] not in sys.stdlib_module_names
    ]
    assert not foreign, (
        f"{service.name}'s domain imports more than the stdlib, eventsourcing.domain and "
        f"oms_kit.domain: {foreign}"
    )


# --- only integration/ imports the contracts -----------------------------------------------


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.lineno, node.module


def test_only_integration_imports_the_contracts() -> None:
    offenders = []
    for service in SERVICES.values():
        source = _source(service)
        for path in sorted(source.rglob("*.py")):
            if path.relative_to(source).parts[0] == "integration":
                continue
            for line, module in _imports(path):
                if module.split(".")[0] == "oms_contracts":
                    offenders.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert not offenders, "only integration/ may import oms_contracts:\n" + "\n".join(offenders)


# --- only Settings reads the environment ---------------------------------------------------


def _environment_reads(path: Path) -> Iterator[tuple[int, str]]:
    """``os.environ``, ``os.getenv``, ``os.environb``, ``os.getenvb`` and their names
    imported from os (``from os import environ``), however they are used."""
    tree = ast.parse(path.read_text(), str(path))
    names = {"environ", "environb", "getenv", "getenvb"}
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            for alias in node.names:
                if alias.name in names:
                    imported.add(alias.asname or alias.name)
                    yield node.lineno, f"from os import {alias.name}"
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in names:
            yield node.lineno, ast.unparse(node)
        elif isinstance(node, ast.Name) and node.id in imported:
            yield node.lineno, node.id


def _runtime_files() -> Iterator[Path]:
    yield from sorted((ROOT / "kit" / "src").rglob("*.py"))
    yield from sorted((ROOT / "portal" / "src").rglob("*.py"))
    for service in SERVICES.values():
        yield from sorted(_source(service).rglob("*.py"))


def test_only_settings_read_the_environment() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line} {what}"
        for path in _runtime_files()
        if path.name != "settings.py"
        for line, what in _environment_reads(path)
    ]
    assert not offenders, (
        "only the Settings classes (settings.py) read the environment:\n" + "\n".join(offenders)
    )


def test_the_environment_check_sees_every_form(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\nfrom os import environ as env, getenv\n"
        "a = os.environ['X']\nb = os.getenv('Y')\nc = env.get('Z')\nd = getenv('W')\n"
    )
    found = {what for _, what in _environment_reads(sample)}
    assert found >= {"os.environ", "os.getenv", "env", "getenv", "from os import environ"}


# --- the lists of services outside the manifest ---------------------------------------------


def _pyproject() -> dict:  # type: ignore[type-arg]
    with (ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)


def test_import_linter_contracts_name_exactly_the_services() -> None:
    config = _pyproject()["tool"]["importlinter"]
    assert set(config["root_packages"]) == {
        "oms_contracts",
        "oms_kit",
        "oms_dev",
        PORTAL,
        *PACKAGES,
    }
    contracts = {c["name"]: c for c in config["contracts"]}
    assert set(contracts["Services never import each other"]["modules"]) == set(PACKAGES)
    layers = contracts["In every service, dependencies point inward"]
    assert set(layers["containers"]) == set(PACKAGES)
    known_no_service = contracts["The kit and the contracts know no service"]
    assert set(known_no_service["forbidden_modules"]) == set(PACKAGES)
    no_tooling = contracts["The runtime never imports the developer tooling"]
    assert set(no_tooling["source_modules"]) == {"oms_kit", "oms_contracts", *PACKAGES}
    domain = contracts["The domain imports no framework"]
    assert set(domain["source_modules"]) == {f"{p}.domain" for p in PACKAGES}
    contracts_only = contracts["Only integration/ imports the contracts"]
    sources = set(contracts_only["source_modules"])
    assert {s.split(".")[0] for s in sources} == set(PACKAGES)
    assert not any(s.endswith(".integration") for s in sources)
    portal = contracts["The portal calls the services over HTTP only"]
    assert portal["source_modules"] == [PORTAL]
    assert {"oms_contracts", "oms_dev", *PACKAGES} <= set(portal["forbidden_modules"])
    for service in SERVICES.values():
        top_level = {
            f"{service.package}.{p.stem}"
            for p in _source(service).iterdir()
            if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()
        }
        assert sources & top_level == top_level - {f"{service.package}.integration"}, (
            f"'Only integration/ imports the contracts' must cover every part of "
            f"{service.package} but integration"
        )


def test_the_workspace_holds_exactly_the_services() -> None:
    project = _pyproject()
    distributions = {f"oms-{name}" for name in SERVICES}
    runtime = {"oms-contracts", "oms-kit", "oms-dev", *(f"oms-{name}" for name in APPS)}
    assert set(project["project"]["dependencies"]) == runtime | distributions
    assert set(project["tool"]["uv"]["sources"]) == runtime | distributions
    members = project["tool"]["uv"]["workspace"]["members"]
    assert members == [
        "contracts",
        "kit",
        "dev",
        "services/*",
        *(str(a.folder) for a in APPS.values()),
    ]
    on_disk = {p.parent.name for p in (ROOT / "services").glob("*/pyproject.toml")}
    assert on_disk == set(SERVICES)
    # mypy resolves a service's own imports only with its src on the path (else they are
    # typed Any and go unchecked).
    mypy_path = project["tool"]["mypy"]["mypy_path"].split(":")
    for service in SERVICES.values():
        assert f"$MYPY_CONFIG_FILE_DIR/{service.folder}/src" in mypy_path
    assert "$MYPY_CONFIG_FILE_DIR/portal/src" in mypy_path


def test_every_service_publishes_and_only_services_publish() -> None:
    # Topics exist for services that publish contract events (oms_contracts.topics): a
    # service is listed once it has a domain that produces something.
    from oms_contracts import registry

    assert set(registry.sources()) == set(SERVICES)


def test_every_advertised_event_is_published_by_its_service() -> None:
    """Only events that something produces are advertised (DESIGN section 3): each contract
    event is what some service's outbound mapping returns, and each mapping returns a
    contract event of its own service."""
    import importlib
    import typing

    from oms_contracts import registry

    published: set[type[Any]] = set()
    for entry in SERVICES.values():
        outbound = importlib.import_module(f"{entry.package}.integration.outbound").outbound
        for mapping in outbound.mappings.values():
            returned = typing.get_type_hints(mapping)["return"]
            assert returned.source == entry.name, f"{mapping.__qualname__} maps to {returned}"
            published.add(returned)
    advertised = set(registry.all())
    assert sorted(m.__name__ for m in advertised - published) == []


def test_an_app_is_no_service() -> None:
    """An app (the portal) keeps no events: no domain, no integration, no projections, no
    topics; it has the web process the manifest starts."""
    from oms_contracts import registry

    for app in APPS.values():
        source = ROOT / app.folder / "src" / app.package
        assert (source / "entrypoints" / "api.py").is_file(), app.name
        for part in ("domain", "integration", "projections", "application.py"):
            assert not (source / part).exists(), f"{app.name} has {part}: is it a service?"
        assert app.name not in registry.sources()
        assert not (ROOT / "services" / app.name).exists()
