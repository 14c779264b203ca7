"""The product catalogue: one aggregate per sku, found by the sku."""

from __future__ import annotations

from decimal import Decimal
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from oms_orders.domain.pricing import CatalogueEntry


class Product(Aggregate):
    # Events (their names are part of the stored events' topics: never rename one) ------

    class ProductDefined(Aggregate.Created):
        sku: str
        name: str
        unit_price: Decimal
        currency: str
        tax_rate: Decimal
        #: SAT's c_ClaveProdServ and c_ClaveUnidad (a Mexican company's CFDI names them).
        sat_product_key: str | None = None
        sat_unit_key: str | None = None

    @staticmethod
    def create_id(sku: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"oms/orders/product/{sku}")

    @event(ProductDefined)
    def __init__(
        self,
        sku: str,
        name: str,
        unit_price: Decimal,
        currency: str,
        tax_rate: Decimal,
        sat_product_key: str | None = None,
        sat_unit_key: str | None = None,
    ) -> None:
        self.sku = sku
        self.name = name
        self.unit_price = unit_price
        self.currency = currency
        self.tax_rate = tax_rate
        self.sat_product_key = sat_product_key
        self.sat_unit_key = sat_unit_key

    def catalogue_entry(self) -> CatalogueEntry:
        return CatalogueEntry(
            sku=self.sku,
            unit_price=self.unit_price,
            currency=self.currency,
            tax_rate=self.tax_rate,
            name=self.name,
            sat_product_key=self.sat_product_key,
            sat_unit_key=self.sat_unit_key,
        )
