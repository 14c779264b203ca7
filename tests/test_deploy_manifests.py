"""The deployment manifests in deploy/ describe the services of services.toml the same way
the code runs them: an API (right port, /ready and /health probes) and two workers per
service (sharing the work through leases; a rollout never stops both), every process with
a database and Kafka, a 3-node KRaft Kafka cluster in compose, and commands that name
modules which exist; the apps of services.toml (the portal) as one
web process with every service's address and its session key from a required secret, and
no database, Kafka or identity secrets. The Kubernetes objects are read as
``kustomize build deploy/k8s`` renders them (oms_dev.deploy.build: no kubectl here), and the
generated overlays must match services.toml."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import yaml
from oms_dev.deploy import build, drift
from oms_dev.manifest import APPS, SERVICES

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
K8S = DEPLOY / "k8s"

REQUIRED_ENV = ("OMS_PG_DSN", "OMS_KAFKA_BOOTSTRAP")
#: (service, role) for every process of every service.
PROCESSES = [(name, role) for name, service in SERVICES.items() for role in service.roles]
APIS = {name: service.port for name, service in SERVICES.items() if "api" in service.roles}
WORKERS = [name for name, role in PROCESSES if role == "worker"]
#: The secrets compose requires (``${NAME:?...}``): it refuses to start without each.
REQUIRED_SECRET = r"^\$\{%s:\?[^}]+\}$"


def _command(name: str, role: str) -> list[str]:
    return ["python", "-m", SERVICES[name].module(role)]


def _app_command(name: str) -> list[str]:
    return ["python", "-m", APPS[name].module("api")]


def _addresses(app: str) -> list[str]:
    """The services whose address an app's settings read (``orders_url``, ...)."""
    settings = importlib.import_module(f"{APPS[app].package}.settings").Settings
    called = [
        field.removesuffix("_url") for field in settings.model_fields if field.endswith("_url")
    ]
    services = [name.replace("_", "-") for name in called if name.replace("_", "-") in APIS]
    assert services, f"{app} calls no service?"
    return services


# --- compose ------------------------------------------------------------------------------


def _compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict), "compose.yaml is not a mapping"
    assert isinstance(data.get("services"), dict), "compose.yaml has no services"
    return data


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # the KEY=value list form
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def _kafka_nodes(services: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: svc
        for name, svc in services.items()
        if str(svc.get("image", "")).split(":")[0] in {"apache/kafka", "apache/kafka-native"}
    }


def _listeners(value: str) -> dict[str, str]:
    """Listener name -> address, e.g. ``PLAINTEXT://kafka-1:9092`` -> PLAINTEXT: kafka-1:9092."""
    out = {}
    for item in value.split(","):
        name, _, address = item.strip().partition("://")
        out[name] = address
    return out


def test_compose_has_a_container_for_every_process_of_the_manifest():
    services = _compose()["services"]
    for name, role in PROCESSES:
        assert f"{name}-{role}" in services, f"compose lacks {name}-{role}"
    oms = {s for s in services if s.endswith(("-api", "-worker"))}
    assert oms == {f"{n}-{r}" for n, r in PROCESSES}, "compose has what services.toml lacks"


def test_compose_oms_containers_run_the_right_module_from_the_one_image():
    services = _compose()["services"]
    for name, role in PROCESSES:
        svc = services[f"{name}-{role}"]
        assert svc["command"] == _command(name, role), f"{name}-{role}"
        image = svc["build"]
        assert image["context"] == ".."
        assert image["dockerfile"] == "deploy/Dockerfile"
        assert (COMPOSE.parent / image["context"] / image["dockerfile"]).is_file()


def test_compose_apis_listen_on_their_port_and_check_ready():
    services = _compose()["services"]
    for name, port in APIS.items():
        api = services[f"{name}-api"]
        env = _env(api)
        assert env["OMS_HTTP_PORT"] == str(port), name
        assert env["OMS_HTTP_HOST"] == "0.0.0.0", name
        assert f"{port}:{port}" in [str(p) for p in api.get("ports", [])], name
        check = api["healthcheck"]["test"]
        check = " ".join(check) if isinstance(check, list) else str(check)
        assert "/ready" in check, name
        assert str(port) in check or "OMS_HTTP_PORT" in check, name
    for name in WORKERS:
        worker = services[f"{name}-worker"]
        assert "ports" not in worker, f"{name}-worker has no HTTP port to publish"
        assert worker.get("deploy", {}).get("replicas", 1) == 2, f"{name}-worker runs two"


def test_compose_every_oms_container_gets_database_and_kafka():
    services = _compose()["services"]
    brokers = _kafka_nodes(services)
    advertised = {
        _listeners(_env(svc)["KAFKA_ADVERTISED_LISTENERS"])["PLAINTEXT"] for svc in brokers.values()
    }
    for name, role in PROCESSES:
        env = _env(services[f"{name}-{role}"])
        for key in REQUIRED_ENV:
            assert env.get(key), f"{name}-{role} lacks {key}"
        assert env["OMS_PG_DSN"].startswith("postgresql://")
        assert "@postgres:5432/" in env["OMS_PG_DSN"], "the DSN must name the postgres service"
        assert set(env["OMS_KAFKA_BOOTSTRAP"].split(",")) == advertised
        assert env["OMS_KAFKA_IDEMPOTENCE"] == "true"
        assert env["OMS_TOPIC_REPLICATION"] == "3"
        assert int(env["OMS_TOPIC_PARTITIONS"]) >= 1


def test_compose_start_order_waits_for_healthy_dependencies():
    services = _compose()["services"]
    brokers = set(_kafka_nodes(services))
    for name in APIS:
        api_deps = services[f"{name}-api"]["depends_on"]
        assert api_deps["postgres"]["condition"] == "service_healthy"
    for name in WORKERS:
        worker_deps = services[f"{name}-worker"]["depends_on"]
        for dep in {"postgres", *brokers}:
            assert worker_deps[dep]["condition"] == "service_healthy", f"{name}-worker -> {dep}"
    for dep in {"postgres", *brokers}:
        assert "healthcheck" in services[dep], f"{dep} needs a healthcheck to be waited for"


def test_compose_has_the_apps_with_every_service_address_and_no_database():
    services = _compose()["services"]
    for name, app in APPS.items():
        container = services[name]
        assert container["command"] == _app_command(name)
        assert container["build"] == services["orders-api"]["build"], "the one image"
        env = _env(container)
        assert (env["OMS_HTTP_HOST"], env["OMS_HTTP_PORT"]) == ("0.0.0.0", str(app.port))
        assert f"{app.port}:{app.port}" in [str(p) for p in container["ports"]]
        check = " ".join(container["healthcheck"]["test"])
        assert "/ready" in check and "OMS_HTTP_PORT" in check
        for service in _addresses(name):
            variable = "OMS_" + service.upper().replace("-", "_") + "_URL"
            assert env[variable] == f"http://{service}-api:{APIS[service]}", (name, variable)
        # No event store, no broker, none of the identity secrets: only its own.
        for absent in (*REQUIRED_ENV, "OMS_AUTH_KEY_PASSWORD", "OMS_ADMIN_PASSWORD"):
            assert absent not in env, f"{name} gets {absent}"
        assert container["depends_on"]["orders-api"]["condition"] == "service_healthy"
    assert re.match(
        REQUIRED_SECRET % "OMS_PORTAL_SESSION_KEY",
        _env(services["portal"])["OMS_PORTAL_SESSION_KEY"],
    )


def test_compose_gives_the_notifications_credential_from_one_required_secret():
    # Outside the dev stack notifications refuses to start without its credential, and
    # orders knows no service client unless told: both from OMS_SERVICE_CLIENT_SECRET.
    services = _compose()["services"]
    clients = _env(services["orders-api"])["OMS_SERVICE_CLIENTS"]
    secret = re.fullmatch(r'\{"notifications": "(\$\{[^}]+\})"\}', clients)
    assert secret, clients
    assert re.match(REQUIRED_SECRET % "OMS_SERVICE_CLIENT_SECRET", secret[1])
    for role in SERVICES["notifications"].roles:
        env = _env(services[f"notifications-{role}"])
        assert re.match(
            REQUIRED_SECRET % "OMS_SERVICE_CLIENT_SECRET", env["OMS_SERVICE_CLIENT_SECRET"]
        )
        assert env["OMS_ORDERS_URL"] == "http://orders-api:8001"


def test_compose_postgres_is_version_16():
    postgres = _compose()["services"]["postgres"]
    assert re.fullmatch(r"postgres:16(\..*|-.*)?", postgres["image"]), postgres["image"]
    env = _env(postgres)
    first_api = next(iter(APIS))
    dsn = _env(_compose()["services"][f"{first_api}-api"])["OMS_PG_DSN"]
    assert dsn.startswith(f"postgresql://{env['POSTGRES_USER']}:{env['POSTGRES_PASSWORD']}@")


def test_compose_kafka_is_a_three_node_kraft_cluster():
    brokers = _kafka_nodes(_compose()["services"])
    assert len(brokers) == 3, f"expected 3 Kafka nodes, found {sorted(brokers)}"
    envs = {name: _env(svc) for name, svc in brokers.items()}
    node_ids = {name: env["KAFKA_NODE_ID"] for name, env in envs.items()}
    assert sorted(node_ids.values()) == ["1", "2", "3"]
    expected_voters = set()
    for name, env in envs.items():
        assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}, name
        assert "KAFKA_ZOOKEEPER_CONNECT" not in env
        controller_names = env["KAFKA_CONTROLLER_LISTENER_NAMES"].split(",")
        listeners = _listeners(env["KAFKA_LISTENERS"])
        controller_port = listeners[controller_names[0]].rsplit(":", 1)[1]
        expected_voters.add(f"{node_ids[name]}@{name}:{controller_port}")
        advertised = _listeners(env["KAFKA_ADVERTISED_LISTENERS"])
        assert advertised[env["KAFKA_INTER_BROKER_LISTENER_NAME"]].split(":")[0] == name
        assert env["KAFKA_DEFAULT_REPLICATION_FACTOR"] == "3"
        assert env["KAFKA_MIN_INSYNC_REPLICAS"] == "2"
        assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "3"
        assert env["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"] == "3"
        assert env["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"] == "2"
        assert "healthcheck" in brokers[name]
    for name, env in envs.items():
        voters = set(env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(","))
        assert voters == expected_voters, name
    assert len({env["CLUSTER_ID"] for env in envs.values()}) == 1, "one cluster id for all nodes"


# --- Kubernetes ---------------------------------------------------------------------------


def _k8s_docs() -> list[dict[str, Any]]:
    """What ``kubectl apply -k deploy/k8s`` applies, and the example Secret."""
    docs = build(K8S)
    for path in sorted((K8S / "examples").glob("*.yaml")):
        docs += [doc for doc in yaml.safe_load_all(path.read_text()) if doc is not None]
    for doc in docs:
        assert {"apiVersion", "kind", "metadata"} <= doc.keys(), doc
    return docs


def _k8s(kind: str, name: str) -> dict[str, Any]:
    found = [d for d in _k8s_docs() if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def _container(deployment: dict[str, Any]) -> dict[str, Any]:
    containers: list[dict[str, Any]] = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, deployment["metadata"]["name"]
    return containers[0]


def _container_env(container: dict[str, Any]) -> dict[str, Any]:
    """Every variable the container gets: env entries, and the keys of the ConfigMaps and
    Secrets it takes whole with envFrom (resolved against the manifests)."""
    env: dict[str, Any] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(_k8s("ConfigMap", source["configMapRef"]["name"])["data"])
        if "secretRef" in source:
            secret = _k8s("Secret", source["secretRef"]["name"])
            env.update(secret.get("stringData") or secret.get("data") or {})
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"]
        else:
            ref = item["valueFrom"]
            if "secretKeyRef" in ref:
                secret = _k8s("Secret", ref["secretKeyRef"]["name"])
                keys = {**secret.get("data", {}), **secret.get("stringData", {})}
                assert ref["secretKeyRef"]["key"] in keys, item["name"]
                env[item["name"]] = keys[ref["secretKeyRef"]["key"]]
            elif "configMapKeyRef" in ref:
                data = _k8s("ConfigMap", ref["configMapKeyRef"]["name"])["data"]
                env[item["name"]] = data[ref["configMapKeyRef"]["key"]]
    return env


def _port_number(container: dict[str, Any], port: int | str) -> int:
    if isinstance(port, int):
        return port
    named = {p["name"]: p["containerPort"] for p in container.get("ports", []) if "name" in p}
    assert port in named, f"probe names unknown port {port!r}"
    return int(named[port])


def test_k8s_everything_is_in_the_oms_namespace():
    docs = _k8s_docs()
    assert any(d["kind"] == "Namespace" and d["metadata"]["name"] == "oms" for d in docs)
    for doc in docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == "oms", doc["metadata"]["name"]


def test_k8s_overlays_are_generated_from_the_manifest():
    assert not drift(ROOT), "deploy/k8s is out of date with services.toml: run `make manifests`"


def _referenced(directory: Path) -> set[Path]:
    """The kustomization files under ``directory`` and every file they take in."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    files = {directory / "kustomization.yaml"}
    for resource in kustomization.get("resources", []):
        path = (directory / resource).resolve()
        files |= _referenced(path) if path.is_dir() else {path}
    return files


def test_k8s_every_file_is_in_the_kustomization_or_an_example():
    on_disk = {p.resolve() for p in K8S.rglob("*.y*ml") if "examples" not in p.parts}
    assert not on_disk - _referenced(K8S.resolve()), "files no kustomization takes in"


def test_k8s_base_names_no_service():
    for path in (K8S / "base").rglob("*.yaml"):
        text = path.read_text()
        for name, service in SERVICES.items():
            assert service.package not in text, f"{path.relative_to(ROOT)} names {name}"


def test_k8s_has_an_api_a_worker_and_a_service_for_every_service():
    docs = _k8s_docs()
    deployments = {d["metadata"]["name"] for d in docs if d["kind"] == "Deployment"}
    assert deployments == {f"{n}-{r}" for n, r in PROCESSES} | set(APPS)
    services = {d["metadata"]["name"] for d in docs if d["kind"] == "Service"}
    assert services == {f"{n}-api" for n in APIS} | set(APPS)


def test_k8s_apps_have_their_port_probes_every_service_address_and_their_secret_only():
    docs = _k8s_docs()
    for name, app in APPS.items():
        deployment = _k8s("Deployment", name)
        assert deployment["spec"]["replicas"] >= 2, name
        container = _container(deployment)
        assert container["command"] == _app_command(name)
        assert container["image"] == _container(_k8s("Deployment", "orders-api"))["image"]
        assert [p["containerPort"] for p in container["ports"]] == [app.port]
        env = _container_env(container)
        assert (env["OMS_HTTP_HOST"], str(env["OMS_HTTP_PORT"])) == ("0.0.0.0", str(app.port))
        for probe, path in (("readinessProbe", "/ready"), ("livenessProbe", "/health")):
            get = container[probe]["httpGet"]
            assert (get["path"], _port_number(container, get["port"])) == (path, app.port)
        for bound in ("requests", "limits"):
            assert {"cpu", "memory"} <= container["resources"][bound].keys(), f"{name} {bound}"
        for service in _addresses(name):
            variable = "OMS_" + service.upper().replace("-", "_") + "_URL"
            assert env[variable] == f"http://{service}-api.oms.svc:{APIS[service]}", variable
        # No whole Secret (the identity secrets are the services'), no database.
        assert not [s for s in container.get("envFrom", []) if "secretRef" in s], name
        assert "OMS_PG_DSN" not in env and "OMS_AUTH_KEY_PASSWORD" not in env, name
        [session_key] = [e for e in container["env"] if e["name"] == "OMS_PORTAL_SESSION_KEY"]
        assert session_key["valueFrom"]["secretKeyRef"]["name"] == "oms-auth"
        assert "CHANGE-ME" in env["OMS_PORTAL_SESSION_KEY"]  # the example's placeholder
        assert len(env["OMS_PORTAL_SESSION_KEY"]) >= 32
        service = _k8s("Service", name)
        [port] = service["spec"]["ports"]
        assert port["port"] == app.port
        assert _port_number(container, port["targetPort"]) == app.port
        selector = service["spec"]["selector"].items()
        for other in docs:
            if other["kind"] == "Deployment":
                labels = other["spec"]["template"]["metadata"]["labels"].items()
                assert (selector <= labels) == (other["metadata"]["name"] == name), other


def test_k8s_apis_have_their_port_probes_and_resources():
    for name, port in APIS.items():
        deployment = _k8s("Deployment", f"{name}-api")
        assert deployment["spec"]["replicas"] == 2, name
        container = _container(deployment)
        assert container["command"] == _command(name, "api"), name
        assert [p["containerPort"] for p in container["ports"]] == [port], name
        assert str(_container_env(container)["OMS_HTTP_PORT"]) == str(port), name
        for probe, path in (("readinessProbe", "/ready"), ("livenessProbe", "/health")):
            get = container[probe]["httpGet"]
            assert get["path"] == path, f"{name} {probe}"
            assert _port_number(container, get["port"]) == port, f"{name} {probe}"
        for bound in ("requests", "limits"):
            assert {"cpu", "memory"} <= container["resources"][bound].keys(), f"{name} {bound}"


def test_k8s_api_services_route_the_api_port_to_the_api_pods_only():
    docs = _k8s_docs()
    for name, port in APIS.items():
        service = _k8s("Service", f"{name}-api")
        assert service["spec"].get("type", "ClusterIP") == "ClusterIP"
        [svc_port] = service["spec"]["ports"]
        assert svc_port["port"] == port
        api = _k8s("Deployment", f"{name}-api")
        assert _port_number(_container(api), svc_port.get("targetPort", port)) == port
        selector = service["spec"]["selector"].items()
        assert selector <= api["spec"]["template"]["metadata"]["labels"].items(), name
        others = [
            d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] != f"{name}-api"
        ]
        for other in others:
            labels = other["spec"]["template"]["metadata"]["labels"].items()
            assert not selector <= labels, f"{name}-api also selects {other['metadata']['name']}"


def test_k8s_workers_are_two_and_a_rollout_never_stops_both():
    for name in WORKERS:
        deployment = _k8s("Deployment", f"{name}-worker")
        assert deployment["spec"]["replicas"] == 2, name
        strategy = deployment["spec"]["strategy"]
        assert strategy["type"] == "RollingUpdate", name
        assert strategy["rollingUpdate"] == {"maxUnavailable": 0, "maxSurge": 1}, name
        container = _container(deployment)
        assert container["command"] == _command(name, "worker"), name
        assert "ports" not in container, name
        for bound in ("requests", "limits"):
            assert {"cpu", "memory"} <= container["resources"][bound].keys(), f"{name} {bound}"


def test_k8s_deployment_selectors_match_their_pods():
    for doc in _k8s_docs():
        if doc["kind"] == "Deployment":
            selector = doc["spec"]["selector"]["matchLabels"].items()
            assert selector <= doc["spec"]["template"]["metadata"]["labels"].items()


def test_k8s_every_container_gets_database_and_kafka():
    for name, role in PROCESSES:
        env = _container_env(_container(_k8s("Deployment", f"{name}-{role}")))
        for key in REQUIRED_ENV:
            assert env.get(key), f"{name}-{role} lacks {key}"
        assert env["OMS_HTTP_HOST"] == "0.0.0.0"
        assert env["OMS_KAFKA_IDEMPOTENCE"] == "true"
        assert str(env["OMS_TOPIC_REPLICATION"]) == "3"


def test_k8s_secret_examples_are_marked_as_placeholders():
    secrets = {d["metadata"]["name"]: d for d in _k8s_docs() if d["kind"] == "Secret"}
    assert set(secrets) == {"oms-db", "oms-auth"}
    for secret in secrets.values():
        assert secret["metadata"]["annotations"]["oms.example/placeholder"].startswith("true")
        values = secret.get("stringData") or {}
        assert values and all("CHANGE-ME" in value for value in values.values())


def test_every_process_gets_the_identity_settings():
    # The orders API refuses to start without its key password; every service verifies
    # tokens with orders' public keys.
    compose = _compose()
    for name, role in PROCESSES:
        service = compose["services"][f"{name}-{role}"]
        assert {"OMS_AUTH_KEY_PASSWORD", "OMS_AUTH_JWKS_URL"} <= set(service["environment"])
    for name, role in PROCESSES:
        deployment = _k8s("Deployment", f"{name}-{role}")
        env = _container_env(_container(deployment))
        assert {"OMS_AUTH_KEY_PASSWORD", "OMS_AUTH_JWKS_URL", "OMS_ADMIN_PASSWORD"} <= set(env)
        assert env["OMS_AUTH_JWKS_URL"].startswith("http://orders-api.")
        if name == "marketplace-ingest":  # refuses to start without its secrets key
            assert "OMS_SECRETS_KEY" in env


# --- the code the manifests start ---------------------------------------------------------


def test_every_service_in_the_repository_is_in_the_manifest():
    on_disk = {p.parent.name for p in (ROOT / "services").glob("*/pyproject.toml")}
    assert on_disk == set(SERVICES)


def test_entrypoint_modules_exist():
    for name, role in PROCESSES:
        service = SERVICES[name]
        path = ROOT / service.folder / "src" / service.package / "entrypoints" / f"{role}.py"
        assert path.is_file(), f"missing {path.relative_to(ROOT)}"


def test_every_command_names_an_existing_module():
    commands = [svc["command"] for svc in _compose()["services"].values() if "build" in svc]
    commands += [
        c["command"]
        for d in _k8s_docs()
        if d["kind"] == "Deployment"
        for c in d["spec"]["template"]["spec"]["containers"]
    ]
    assert len(commands) == 2 * (len(PROCESSES) + len(APPS))  # compose and Kubernetes
    folders = [*(s.folder for s in SERVICES.values()), *(a.folder for a in APPS.values())]
    for command in commands:
        assert command[:2] == ["python", "-m"], command
        package, *rest = command[2].split(".")
        matches = [
            path
            for folder in folders
            for path in ROOT.glob(f"{folder}/src/{package}/{'/'.join(rest)}.py")
        ]
        assert len(matches) == 1, f"{command[2]} is not a module of a service or an app"


def test_dockerfile_builds_the_locked_workspace_as_a_non_root_user():
    text = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    assert "uv==0.13.9" in text
    assert "uv sync --frozen --all-packages --no-dev" in text
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users, "the image must not run as root"
    assert users[-1].split(":")[0] not in {"root", "0"}
    assert re.search(r'^ENV PATH="/app/\.venv/bin:', text, re.M)


def test_dockerfile_copies_the_metadata_of_every_workspace_member():
    text = (DEPLOY / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (\S+)/pyproject\.toml \1/$", text, re.M))
    members = {
        "contracts",
        "kit",
        "dev",
        *(str(s.folder) for s in SERVICES.values()),
        *(str(a.folder) for a in APPS.values()),
    }
    assert copied == members
