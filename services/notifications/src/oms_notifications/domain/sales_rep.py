"""A sales rep: name and e-mail (SalesRepRegistered) and language (that of his user,
UserRegistered; the company's until one is known)."""

from __future__ import annotations

from oms_notifications.domain.directory import DirectoryEntry


class SalesRep(DirectoryEntry):
    kind = "sales_rep"

    @property
    def sales_rep_id(self) -> str:
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
