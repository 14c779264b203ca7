"""The service list: what services.toml may say, and what is refused with the reason."""

from __future__ import annotations

from typing import Any

import pytest
from oms_dev.manifest import ROLES, SERVICES, ManifestError, entry, parse


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
