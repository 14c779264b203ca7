"""A Mexican company's orders API (OMS_FISCAL_COUNTRY=MX) on the real PostgreSQL: fiscal
data that cannot make a valid CFDI answers 422 naming the field (DESIGN section 10); the
rules themselves are checked in memory (tests/application/test_fiscal_data.py)."""

from __future__ import annotations

from typing import Any

from oms_dev.testing import ServiceOnStack, Stack
from oms_kit.auth import BACK_OFFICE
from oms_orders.bootstrap import bootstrap


def problem_fields(response: Any) -> list[str]:
    assert response.headers["content-type"].startswith("application/problem+json")
    return [e["field"] for e in response.json().get("errors", [])]


def test_a_mexican_customer_that_cannot_make_a_valid_cfdi_is_422_naming_the_field(
    stack: Stack,
) -> None:
    mexico = ServiceOnStack(bootstrap, stack, fiscal_country="MX", company_currency="MXN")
    try:
        client = mexico.client
        client.headers.update(mexico.headers(BACK_OFFICE, "maria"))
        person = {"tax_id": "XIQB891116QE4", "fiscal_regime": "612", "postal_code": "03100"}
        bad = client.post(
            "/customers",
            json={"name": "B", "email": "b@example.com", "credit_limit": "10", **person}
            | {"fiscal_regime": "601"},
        )
        assert bad.status_code == 422 and problem_fields(bad) == ["fiscal_regime"], bad.text
        good = client.post(
            "/customers",
            json={"name": "B", "email": "b@example.com", "credit_limit": "10", **person},
        )
        assert good.status_code == 201, good.text
        assert (good.json()["cfdi_use"], good.json()["postal_code"]) == ("G03", "03100")
        product = client.post(
            "/products",
            json={"sku": "MX-1", "name": "Tornillo", "unit_price": "1.00", "currency": "MXN",
                  "tax_rate": "0.16", "sat_unit_key": "pieza"},
        )  # fmt: skip
        assert product.status_code == 422 and problem_fields(product) == ["sat_unit_key"]
    finally:
        mexico.close()
