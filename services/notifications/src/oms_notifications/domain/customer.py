"""A customer, as the orders service registers and updates him (CustomerRegistered,
CustomerUpdated): name, e-mail, language and sales rep."""

from __future__ import annotations

from oms_notifications.domain.directory import DirectoryEntry


class Customer(DirectoryEntry):
    kind = "customer"

    @property
    def customer_id(self) -> str:
        return self.key

    @property
    def name(self) -> str | None:
        return self.values.get("name")

    @property
    def email(self) -> str | None:
        return self.values.get("email")

    @property
    def language(self) -> str | None:
        return self.values.get("language")

    @property
    def sales_rep_id(self) -> str | None:
        return self.values.get("sales_rep_id")
