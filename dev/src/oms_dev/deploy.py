"""The Kubernetes overlays, derived from the service list (``services.toml``).

``deploy/k8s/base`` holds what every service shares (namespace, settings) and one generic
API (Deployment + Service) and worker (Deployment). ``deploy/k8s/overlays/<service>`` says
only what differs: the name, the ``app.kubernetes.io/name`` label, the module each role
runs and the API port. An app of the manifest (the portal) has no database, events or
worker: ``deploy/k8s/<app>`` is its own Deployment and Service, written by hand.
``deploy/k8s/kustomization.yaml`` is the whole system::

    python -m oms_dev.deploy            # rewrite the generated files (make manifests)
    python -m oms_dev.deploy --check    # exit 1 when they differ from the manifest
    kubectl apply -k deploy/k8s         # deploy them

:func:`build` renders a kustomization the way ``kustomize build`` does, for the subset of
kustomize these files use, so the deploy checks read the rendered objects without kubectl.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from oms_dev.manifest import APPS, SERVICES, ServiceEntry, repository_root

K8S = Path("deploy") / "k8s"
NAME_LABEL = "app.kubernetes.io/name"


# --- generating ---------------------------------------------------------------------------

_CONTAINER = "/spec/template/spec/containers/0"


def overlay(service: ServiceEntry) -> str:
    """The kustomization of one service: the base roles it runs, named and set for it."""
    patches: list[tuple[str, str, list[tuple[str, Any]]]] = []
    if "api" in service.roles:
        patches.append(
            (
                "Deployment",
                "api",
                [
                    (f"{_CONTAINER}/command", ["python", "-m", service.module("api")]),
                    (f"{_CONTAINER}/ports/0/containerPort", service.port),
                    # env/1 is OMS_HTTP_PORT (base/api/deployment.yaml)
                    (f"{_CONTAINER}/env/1/value", str(service.port)),
                ],
            )
        )
        patches.append(("Service", "api", [("/spec/ports/0/port", service.port)]))
    if "worker" in service.roles:
        patches.append(
            (
                "Deployment",
                "worker",
                [(f"{_CONTAINER}/command", ["python", "-m", service.module("worker")])],
            )
        )
    lines = [
        f"# {service.name}: " + " and ".join(f"its {r}" for r in service.roles) + ".",
        *_HEADER,
        "resources:",
        *(f"  - ../../base/{role}" for role in service.roles),
        f"namePrefix: {service.name}-",
        "labels:",
        "  - pairs:",
        f"      {NAME_LABEL}: {service.name}",
        "    includeSelectors: true",
        "patches:",
    ]
    for kind, name, replacements in patches:
        lines += [
            "  - target:",
            f"      kind: {kind}",
            f"      name: {name}",
            "    patch: |-",
        ]
        for path, value in replacements:
            lines += [
                "      - op: replace",
                f"        path: {path}",
                f"        value: {json.dumps(value)}",
            ]
    return "\n".join(lines) + "\n"


def system(services: Iterable[ServiceEntry], apps: Iterable[ServiceEntry] = ()) -> str:
    """The kustomization of the whole system: the shared base, every service and every
    app (its folder ``deploy/k8s/<app>``)."""
    lines = [
        "# The whole system: kubectl apply -k deploy/k8s",
        *_HEADER,
        "resources:",
        "  - base",
        *(f"  - overlays/{s.name}" for s in services),
        *(f"  - {a.name}" for a in apps),
    ]
    return "\n".join(lines) + "\n"


def app_kustomization(app: ServiceEntry) -> Path:
    """Where an app's hand-written kustomization is, relative to the repository root."""
    return K8S / app.name / "kustomization.yaml"


_HEADER = [
    "# Generated from services.toml by `make manifests` (python -m oms_dev.deploy): do not edit.",
    "apiVersion: kustomize.config.k8s.io/v1beta1",
    "kind: Kustomization",
]


def rendered_files(services: dict[str, ServiceEntry] | None = None) -> dict[str, str]:
    """Every generated file, path relative to the repository root -> text."""
    services = services if services is not None else SERVICES
    files = {str(K8S / "kustomization.yaml"): system(services.values(), APPS.values())}
    for service in services.values():
        files[str(K8S / "overlays" / service.name / "kustomization.yaml")] = overlay(service)
    return files


def drift(root: Path) -> list[str]:
    """The generated files that are missing, changed or left over (of a removed service),
    and the apps' hand-written kustomizations that are missing."""
    expected = rendered_files()
    apps = [
        f"{app_kustomization(app)} (an app's Deployment and Service, written by hand)"
        for app in APPS.values()
        if not (root / app_kustomization(app)).is_file()
    ]
    stale = [
        str(path.relative_to(root))
        for path in (root / K8S / "overlays").glob("*/kustomization.yaml")
        if str(path.relative_to(root)) not in expected
    ]
    changed = [
        rel
        for rel, text in expected.items()
        if not (root / rel).is_file() or (root / rel).read_text() != text
    ]
    return sorted(changed + stale + apps)


def write(root: Path) -> list[str]:
    expected = rendered_files()
    for path in (root / K8S / "overlays").glob("*/kustomization.yaml"):
        if str(path.relative_to(root)) not in expected:
            path.unlink()
            path.parent.rmdir()
    for rel, text in expected.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return sorted(expected)


# --- rendering (the subset of `kustomize build` these files use) ---------------------------

_KNOWN_FIELDS = {"apiVersion", "kind", "resources", "namePrefix", "labels", "patches"}


def build(directory: Path) -> list[dict[str, Any]]:
    """The objects ``kustomize build directory`` renders: the resources (files, or folders
    with a kustomization of their own), then the patches (JSON 6902, by kind and name),
    the name prefix (not on Namespaces) and the labels (on selectors too when asked)."""
    kustomization = _load_one(directory / "kustomization.yaml")
    unknown = set(kustomization) - _KNOWN_FIELDS
    if unknown:
        raise ValueError(f"{directory}: kustomize fields this check cannot render: {unknown}")
    objects: list[dict[str, Any]] = []
    for resource in kustomization.get("resources", []):
        path = (directory / resource).resolve()
        if path.is_dir():
            objects += build(path)
        else:
            objects += [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    for patch in kustomization.get("patches", []):
        target = patch["target"]
        matched = [
            o
            for o in objects
            if o["kind"] == target["kind"] and o["metadata"]["name"] == target["name"]
        ]
        if not matched:
            raise ValueError(f"{directory}: the patch of {target} matches nothing")
        for obj in matched:
            for operation in yaml.safe_load(patch["patch"]):
                _apply(obj, operation)
    prefix = kustomization.get("namePrefix", "")
    for obj in objects:
        if prefix and obj["kind"] != "Namespace":
            obj["metadata"]["name"] = prefix + obj["metadata"]["name"]
    for label in kustomization.get("labels", []):
        for obj in objects:
            _label(obj, label["pairs"], bool(label.get("includeSelectors")))
    return objects


def _load_one(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    if not isinstance(data, dict) or data.get("kind") != "Kustomization":
        raise ValueError(f"{path} is not a Kustomization")
    return data


def _apply(obj: dict[str, Any], operation: dict[str, Any]) -> None:
    """One JSON 6902 operation (replace or add) on ``obj``."""
    if operation["op"] not in {"replace", "add"}:
        raise ValueError(f"patch operation {operation['op']!r} is not rendered here")
    *parents, last = [
        p.replace("~1", "/").replace("~0", "~") for p in operation["path"][1:].split("/")
    ]
    node: Any = obj
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    value = copy.deepcopy(operation["value"])
    if isinstance(node, list):
        index = len(node) if last == "-" else int(last)
        if operation["op"] == "add":
            node.insert(index, value)
        else:
            node[index] = value
    else:
        if operation["op"] == "replace" and last not in node:
            raise ValueError(f"patch path {operation['path']} does not exist")
        node[last] = value


def _label(obj: dict[str, Any], pairs: dict[str, str], selectors: bool) -> None:
    obj["metadata"].setdefault("labels", {}).update(pairs)
    if not selectors:
        return
    if obj["kind"] == "Deployment":
        obj["spec"]["selector"].setdefault("matchLabels", {}).update(pairs)
        obj["spec"]["template"]["metadata"].setdefault("labels", {}).update(pairs)
    elif obj["kind"] == "Service":
        obj["spec"].setdefault("selector", {}).update(pairs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m oms_dev.deploy", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report drift (exit 1)")
    args = parser.parse_args(argv)
    root = repository_root()
    if args.check:
        stale = drift(root)
        if stale:
            print("out of date with services.toml (run `make manifests`):", *stale, sep="\n  ")
            return 1
        return 0
    for rel in write(root):
        print(rel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
