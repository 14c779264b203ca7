"""The product catalogue: one aggregate per sku, found by the sku. A product may have a
photo (its bytes kept with the attachments, the event naming it) and associated products
(seed 003's "towary skojarzone", suggested beside it and in the cart)."""

from __future__ import annotations

from decimal import Decimal
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event
from oms_kit.domain import InvalidInput

from oms_orders.domain.pricing import CatalogueEntry

#: Image types a product photo may be (by its content).
IMAGE_TYPES = ("image/png", "image/jpeg")
#: Most associated products one product names.
MAX_ASSOCIATED = 50


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

    class ProductImageChanged(Aggregate.Event):
        sku: str
        #: The stored file (``AttachmentStore``) holding the photo's bytes.
        image_id: str
        content_type: str

    class ProductAssociationsChanged(Aggregate.Event):
        skus: list[str]

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
        self.image_id: str | None = None
        self.image_content_type: str | None = None
        self.associated: list[str] = []

    def change_image(self, image_id: str, content_type: str) -> None:
        if content_type not in IMAGE_TYPES:
            raise InvalidInput("file must be a PNG or JPEG image", field="file")
        self._image_changed(self.sku, image_id, content_type)

    @event(ProductImageChanged)
    def _image_changed(self, sku: str, image_id: str, content_type: str) -> None:
        self.image_id = image_id
        self.image_content_type = content_type

    @staticmethod
    def associations(sku: str, skus: list[str]) -> list[str]:
        """``skus`` as ``sku``'s associated products: each once, in the order given, not
        ``sku`` itself, at most ``MAX_ASSOCIATED`` (InvalidInput naming ``skus``)."""
        chosen = list(dict.fromkeys(s.strip() for s in skus))
        if sku in chosen:
            raise InvalidInput(f"a product is not associated with itself ({sku})", field="skus")
        if "" in chosen:
            raise InvalidInput("skus must not be empty", field="skus")
        if len(chosen) > MAX_ASSOCIATED:
            raise InvalidInput(f"at most {MAX_ASSOCIATED} associated products", field="skus")
        return chosen

    def associate(self, skus: list[str]) -> bool:
        """Name the associated products (replacing those named before); False when they
        are the same already."""
        chosen = self.associations(self.sku, skus)
        if chosen == self.associated:
            return False
        self._associations_changed(chosen)
        return True

    @event(ProductAssociationsChanged)
    def _associations_changed(self, skus: list[str]) -> None:
        self.associated = list(skus)

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
