"""Sales reps: the people whose portfolio is the customers that name them."""

from __future__ import annotations

import re

from eventsourcing.domain import Aggregate, event
from oms_kit.domain import InvalidInput

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class SalesRep(Aggregate):
    # Events (their names are part of the stored events' topics: never rename one) ------

    class SalesRepRegistered(Aggregate.Created):
        name: str
        email: str

    @classmethod
    def register(cls, *, name: str, email: str) -> SalesRep:
        if not name.strip():
            raise InvalidInput("name must not be empty", field="name")
        if not EMAIL.match(email.strip()):
            raise InvalidInput("email must be an e-mail address", field="email")
        return cls(name=name.strip(), email=email.strip())

    @event(SalesRepRegistered)
    def __init__(self, name: str, email: str) -> None:
        self.name = name
        self.email = email

    @property
    def sales_rep_id(self) -> str:
        return str(self.id)
