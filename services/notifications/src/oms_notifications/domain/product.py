"""A product of the catalogue: its name (ProductDefined), for stock alerts."""

from __future__ import annotations

from oms_notifications.domain.directory import DirectoryEntry


class Product(DirectoryEntry):
    kind = "product"

    @property
    def sku(self) -> str:
        return self.key

    @property
    def name(self) -> str | None:
        return self.values.get("name")
