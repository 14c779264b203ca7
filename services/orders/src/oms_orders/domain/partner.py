"""Partners: systems that push orders (section 13 of the design), signing in with a client
id and secret (OAuth 2 client credentials). Their orders are booked to one customer. The
aggregate keeps only the secret's hash."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event
from oms_kit.domain import Conflict, InvalidInput


class Partner(Aggregate):
    # Events (their names are part of the stored events' topics: never rename one) ------

    class PartnerRegistered(Aggregate.Created):
        name: str
        customer_id: str
        client_id: str
        secret_hash: str

    class SecretRotated(Aggregate.Event):
        secret_hash: str

    class PartnerDisabled(Aggregate.Event):
        pass

    @staticmethod
    def create_id(client_id: str) -> UUID:
        """A partner is found by the client id it signs in with."""
        return uuid5(NAMESPACE_URL, f"oms/orders/partner/{client_id}")

    @classmethod
    def register(cls, *, name: str, customer_id: str, client_id: str, secret_hash: str) -> Partner:
        if not name.strip():
            raise InvalidInput("name must not be empty", field="name")
        return cls(
            name=name.strip(), customer_id=customer_id, client_id=client_id, secret_hash=secret_hash
        )

    @event(PartnerRegistered)
    def __init__(self, name: str, customer_id: str, client_id: str, secret_hash: str) -> None:
        self.name = name
        self.customer_id = customer_id
        self.client_id = client_id
        self.secret_hash = secret_hash
        self.enabled = True

    @property
    def partner_id(self) -> str:
        return str(self.id)

    def rotate_secret(self, secret_hash: str) -> None:
        """A new secret replaces the old one at once."""
        if not self.enabled:
            raise Conflict(f"partner {self.name} is disabled", field="enabled")
        self._rotate_secret(secret_hash=secret_hash)

    def disable(self) -> None:
        if not self.enabled:
            raise Conflict(f"partner {self.name} is disabled already", field="enabled")
        self._disable()

    @event(SecretRotated)
    def _rotate_secret(self, secret_hash: str) -> None:
        self.secret_hash = secret_hash

    @event(PartnerDisabled)
    def _disable(self) -> None:
        self.enabled = False
