"""The service list: what services.toml may say, and what is refused with the reason; the
apps beside the services (the portal), which nothing that means "a service" sees."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from oms_dev.manifest import (
    APPS,
    ROLES,
    SERVICES,
    ManifestError,
    entry,
    load_all,
    names,
    parse,
    parse_all,
    repository_root,
    runnable,
)


def _service(**fields: Any) -> dict[str, Any]:
    return {"package": "oms_shipping", "port": 8010, "roles": ["api", "worker"], **fields}


def test_the_checkout_lists_the_services_with_a_domain() -> None:
    assert list(SERVICES) == [
        "orders",
        "inventory",
        "billing",
        "commissions",
        "marketplace-ingest",
        "notifications",
    ]
    assert entry("inventory").module("worker") == "oms_inventory.entrypoints.worker"
    assert entry("billing").port == 8003 and entry("billing").roles == ROLES


def test_the_portal_is_an_app_started_by_name_but_no_service() -> None:
    assert list(APPS) == ["portal"]
    portal = runnable("portal")
    assert (portal.package, portal.port, portal.roles, portal.kind) == (
        "oms_portal",
        8000,
        ("api",),
        "app",
    )
    assert portal.module("api") == "oms_portal.entrypoints.api"
    assert portal.folder == Path("portal")
    assert (repository_root() / portal.folder / "src/oms_portal/entrypoints/api.py").is_file()
    # Databases, topics, lint containers, the reliability suite and the bench read these.
    assert "portal" not in SERVICES and "portal" not in names()
    with pytest.raises(LookupError, match="unknown service 'portal'"):
        entry("portal")
    assert runnable("orders") is entry("orders")
    with pytest.raises(LookupError, match="unknown service or app 'shipping'"):
        runnable("shipping")


def test_an_unknown_service_is_a_clear_error() -> None:
    with pytest.raises(LookupError, match="unknown service 'shipping'; expected one of orders"):
        entry("shipping")


def test_a_dashed_name_has_an_underscored_package() -> None:
    parsed = parse({"marketplace-ingest": _service(package="oms_marketplace_ingest")})
    assert parsed["marketplace-ingest"].package == "oms_marketplace_ingest"
    assert str(parsed["marketplace-ingest"].folder) == "services/marketplace-ingest"


@pytest.mark.parametrize(
    ("table", "words"),
    [
        ({"Shipping": _service()}, "not a service name"),
        ({"shipping": _service(package="oms_ship")}, "package must be 'oms_shipping'"),
        ({"shipping": _service(port=80)}, "port must be"),
        ({"shipping": _service(), "billing": _service(package="oms_billing")}, "both use port"),
        ({"shipping": _service(roles=["api", "cron"])}, "roles must be"),
        ({"shipping": _service(roles=[])}, "roles must be"),
        ({"shipping": _service(ports=1)}, "unknown fields"),
        ({}, "no \\[services"),
    ],
)
def test_a_bad_entry_is_refused_naming_it(table: dict[str, Any], words: str) -> None:
    with pytest.raises(ManifestError, match=words):
        parse(table)


def _app(**fields: Any) -> dict[str, Any]:
    return {"package": "oms_kiosk", "port": 8009, **fields}


def test_an_app_runs_its_web_process_only_and_lives_at_the_root() -> None:
    services, apps = parse_all({"shipping": _service()}, {"kiosk": _app()})
    assert list(services) == ["shipping"] and services["shipping"].kind == "service"
    assert apps["kiosk"].roles == ("api",) and apps["kiosk"].kind == "app"
    assert str(apps["kiosk"].folder) == "kiosk"
    assert parse_all({"shipping": _service()}, {}) == ({"shipping": services["shipping"]}, {})


@pytest.mark.parametrize(
    ("apps", "words"),
    [
        ({"kiosk": _app(roles=["api", "worker"])}, "kiosk.roles must be some of api$"),
        ({"kiosk": _app(package="oms_shop")}, "package must be 'oms_kiosk'"),
        ({"kiosk": _app(port=8010)}, "kiosk and shipping both use port 8010"),
        ({"shipping": _app(package="oms_shipping")}, "shipping is both a service and an app"),
        ({"kiosk": _app(database=True)}, "unknown fields"),
    ],
)
def test_a_bad_app_is_refused_naming_it(apps: dict[str, Any], words: str) -> None:
    with pytest.raises(ManifestError, match=words):
        parse_all({"shipping": _service()}, apps)


def test_a_table_the_manifest_does_not_know_is_refused(tmp_path: Path) -> None:
    manifest = tmp_path / "services.toml"
    manifest.write_text(
        '[services.shipping]\npackage = "oms_shipping"\nport = 8010\n'
        '[app.kiosk]\npackage = "oms_kiosk"\nport = 8009\n'
    )
    with pytest.raises(ManifestError, match=r"unknown tables \['app'\]"):
        load_all(manifest)
