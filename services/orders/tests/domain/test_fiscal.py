"""A Mexican company's customer and product fiscal data, checked as a CFDI 4.0 needs it."""

from __future__ import annotations

import pytest
from oms_kit.domain import InvalidInput
from oms_orders.domain.fiscal import mexican_customer, sat_keys


def test_a_person_and_a_company_with_their_data() -> None:
    person = mexican_customer("xiqb891116qe4", "612", "03100", None)
    assert (person.rfc, person.cfdi_use) == ("XIQB891116QE4", "G03")
    company = mexican_customer("EKU9003173C9", "601", "42501", "G01")
    assert (company.fiscal_regime, company.cfdi_use) == ("601", "G01")


@pytest.mark.parametrize(
    ("tax_id", "regime", "postal_code", "use", "field"),
    [
        ("TAX-1", "612", "03100", "G03", "tax_id"),
        (None, "612", "03100", "G03", "tax_id"),
        ("XIQB891116QE4", None, "03100", "G03", "fiscal_regime"),
        ("XIQB891116QE4", "601", "03100", "G03", "fiscal_regime"),  # a company's regime
        ("EKU9003173C9", "612", "42501", "G03", "fiscal_regime"),  # a person's regime
        ("XIQB891116QE4", "612", "3100", "G03", "postal_code"),
        ("XIQB891116QE4", "612", None, "G03", "postal_code"),
        ("XIQB891116QE4", "612", "03100", "Z99", "cfdi_use"),
        ("EKU9003173C9", "601", "42501", "D01", "cfdi_use"),  # only a person deducts
        ("XAXX010101000", "616", "42501", "G03", "cfdi_use"),
    ],
)
def test_what_cannot_make_a_valid_cfdi_is_refused_naming_the_field(
    tax_id: str | None, regime: str | None, postal_code: str | None, use: str | None, field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        mexican_customer(tax_id, regime, postal_code, use)
    assert refused.value.field == field


def test_product_keys_default_and_are_checked() -> None:
    assert sat_keys(None, None) == ("01010101", "H87")
    assert sat_keys("31161500", "KGM") == ("31161500", "KGM")
    with pytest.raises(InvalidInput) as refused:
        sat_keys("3116", None)
    assert refused.value.field == "sat_product_key"
    with pytest.raises(InvalidInput) as refused:
        sat_keys(None, "kilo")
    assert refused.value.field == "sat_unit_key"
