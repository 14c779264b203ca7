"""A Mexican company's customers and products as a CFDI 4.0 needs them (DESIGN section
10): the customer's RFC (his ``tax_id``), c_RegimenFiscal, postal code and c_UsoCFDI; the
product's c_ClaveProdServ and c_ClaveUnidad. Checked when a customer or product is
created or changed, so that no invoice of his is refused later; each refusal names the
field."""

from __future__ import annotations

import re
from dataclasses import dataclass

from oms_kit.domain import InvalidInput

#: SAT's RFC: 3 letters (a company) or 4 (a person), the date, a 3-character homoclave.
RFC = re.compile(r"^[A-Z&Ñ]{3,4}[0-9]{2}(0[1-9]|1[012])(0[1-9]|[12][0-9]|3[01])[A-Z0-9]{2}[0-9A]$")
GENERIC_RFCS = ("XAXX010101000", "XEXX010101000")
POSTAL_CODE = re.compile(r"^[0-9]{5}$")
PRODUCT_KEY = re.compile(r"^[0-9]{8}$")
UNIT_KEY = re.compile(r"^[A-Z0-9]{2,3}$")

#: c_RegimenFiscal: the regimes a company (persona moral) and a person (física) may have.
COMPANY_REGIMES = {"601", "603", "609", "610", "620", "622", "623", "624", "626"}
PERSON_REGIMES = {
    "605", "606", "607", "608", "610", "611", "612", "614", "615", "616", "621", "625", "626",
}  # fmt: skip
#: c_UsoCFDI, and the uses only a person may make (deductions of his annual return).
CFDI_USES = {
    "G01", "G02", "G03", "I01", "I02", "I03", "I04", "I05", "I06", "I07", "I08",
    "D01", "D02", "D03", "D04", "D05", "D06", "D07", "D08", "D09", "D10", "S01", "CP01", "CN01",
}  # fmt: skip
PERSON_ONLY_USES = {f"D{n:02d}" for n in range(1, 11)} | {"CN01"}

DEFAULT_CFDI_USE = "G03"
DEFAULT_PRODUCT_KEY = "01010101"
DEFAULT_UNIT_KEY = "H87"


@dataclass(frozen=True)
class CustomerFiscalData:
    rfc: str
    fiscal_regime: str
    postal_code: str
    cfdi_use: str


def mexican_customer(
    tax_id: str | None,
    fiscal_regime: str | None,
    postal_code: str | None,
    cfdi_use: str | None,
) -> CustomerFiscalData:
    """The customer's fiscal data checked as a CFDI's Receptor needs it; InvalidInput
    naming the first field that cannot make a valid CFDI."""
    rfc = (tax_id or "").strip().upper()
    if not RFC.match(rfc):
        raise InvalidInput(f"tax_id {tax_id!r} is not an RFC", field="tax_id")
    person = len(rfc) == 13
    regimes = PERSON_REGIMES if person else COMPANY_REGIMES
    if rfc in GENERIC_RFCS:
        regimes = {"616"}
    if fiscal_regime not in regimes:
        kind = "a person's" if person else "a company's"
        raise InvalidInput(
            f"fiscal_regime {fiscal_regime!r} is not {kind} c_RegimenFiscal for RFC {rfc}",
            field="fiscal_regime",
        )
    if not postal_code or not POSTAL_CODE.match(postal_code):
        raise InvalidInput("postal_code must be five digits", field="postal_code")
    use = cfdi_use or DEFAULT_CFDI_USE
    if use not in CFDI_USES or (use in PERSON_ONLY_USES and not person):
        raise InvalidInput(f"cfdi_use {use!r} is not a c_UsoCFDI for RFC {rfc}", field="cfdi_use")
    if rfc in GENERIC_RFCS and use not in {"S01", "CP01"}:
        raise InvalidInput("the generic RFC's cfdi_use is S01", field="cfdi_use")
    return CustomerFiscalData(rfc, str(fiscal_regime), postal_code, use)


def sat_keys(sat_product_key: str | None, sat_unit_key: str | None) -> tuple[str, str]:
    """A product's SAT keys, the defaults where not given; InvalidInput naming the field."""
    product_key = sat_product_key or DEFAULT_PRODUCT_KEY
    unit_key = sat_unit_key or DEFAULT_UNIT_KEY
    if not PRODUCT_KEY.match(product_key):
        raise InvalidInput("sat_product_key must be eight digits", field="sat_product_key")
    if not UNIT_KEY.match(unit_key):
        raise InvalidInput("sat_unit_key is not a c_ClaveUnidad", field="sat_unit_key")
    return product_key, unit_key
