"""A small two-service sample on the real event path: "orders" registers customers and
publishes them; "billing" keeps an account per customer from those events. Only the
kit's plumbing is under test here; the real services have their own tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import ProcessingEvent
from eventsourcing.domain import Aggregate, DomainEventProtocol, event
from oms_contracts import ContractEvent, Envelope
from oms_contracts.orders import CustomerRegistered, CustomerUpdated
from oms_kit.eventstore import ServiceApplication, build_application
from oms_kit.projection import Projection
from oms_kit.settings import ServiceSettings
from psycopg import Cursor


class OrdersSettings(ServiceSettings):
    service: ClassVar[str] = "orders"


class BillingSettings(ServiceSettings):
    service: ClassVar[str] = "billing"


class Customer(Aggregate):
    @event("Registered")
    def __init__(self, name: str, email: str) -> None:
        self.name = name
        self.email = email

    @event("Renamed")
    def rename(self, name: str) -> None:
        self.name = name

    @event("NoteAdded")  # private: no public contract
    def add_note(self, text: str) -> None:
        self.note = text


class SampleOrders(ServiceApplication):
    name = "orders"

    def register(self, name: str) -> UUID:
        customer = Customer(name=name, email=f"{name}@example.com")
        self.save(customer)
        return customer.id

    def rename(self, customer_id: UUID, name: str) -> None:
        customer: Customer = self.repository.get(customer_id)
        customer.rename(name)
        self.save(customer)


def to_contract(domain_event: DomainEventProtocol[UUID]) -> ContractEvent | None:
    cid = str(domain_event.originator_id)
    if isinstance(domain_event, Customer.Registered):
        return CustomerRegistered(
            customer_id=cid,
            name=domain_event.name,
            tax_id="T-1",  # type: ignore[attr-defined]
            email=domain_event.email,
            credit_limit=Decimal("1000.00"),  # type: ignore[attr-defined]
            currency="EUR",
            payment_terms_days=[30],
        )
    if isinstance(domain_event, Customer.Renamed):
        return CustomerUpdated(customer_id=cid, name=domain_event.name)  # type: ignore[attr-defined]
    return None


class Account(Aggregate):
    """Billing's copy of a customer; ``applied`` lists each source event applied."""

    @staticmethod
    def create_id(customer_id: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"account/{customer_id}")

    @event("Opened")
    def __init__(self, customer_id: str, name: str, source_version: int) -> None:
        self.customer_id = customer_id
        self.name = name
        self.applied = [source_version]

    @event("Renamed")
    def rename(self, name: str, source_version: int) -> None:
        self.name = name
        self.applied.append(source_version)


class SampleBilling(ServiceApplication):
    name = "billing"


def billing_handlers(app: SampleBilling) -> dict[type[ContractEvent], Any]:
    def on_customer_registered(
        event: ContractEvent, envelope: Envelope[dict[str, Any]], processing: ProcessingEvent[UUID]
    ) -> None:
        assert isinstance(event, CustomerRegistered)
        account = Account(
            customer_id=event.customer_id,
            name=event.name,
            source_version=envelope.aggregate_version,
        )
        processing.collect_events(account)

    def on_customer_updated(
        event: ContractEvent, envelope: Envelope[dict[str, Any]], processing: ProcessingEvent[UUID]
    ) -> None:
        assert isinstance(event, CustomerUpdated)
        if event.name == "explode":
            raise ValueError("this customer name cannot be applied")
        account: Account = app.repository.get(Account.create_id(event.customer_id))
        account.rename(event.name or account.name, envelope.aggregate_version)
        processing.collect_events(account)

    return {CustomerRegistered: on_customer_registered, CustomerUpdated: on_customer_updated}


class CustomerList(Projection):
    name = "customer_list"
    tables = ("sample_customer_list",)

    def create(self, cur: Cursor[dict[str, Any]]) -> None:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS sample_customer_list ("
            "customer_id uuid PRIMARY KEY, name text NOT NULL, version int NOT NULL, "
            "actor text, position bigint NOT NULL)"
        )

    def apply(
        self,
        cur: Cursor[dict[str, Any]],
        event: DomainEventProtocol[UUID],
        position: int,
        meta: dict[str, str],
    ) -> None:
        if isinstance(event, Customer.Registered):
            cur.execute(
                "INSERT INTO sample_customer_list VALUES (%s, %s, %s, %s, %s)",
                (
                    event.originator_id,
                    event.name,
                    event.originator_version,  # type: ignore[attr-defined]
                    meta.get("actor"),
                    position,
                ),
            )
        elif isinstance(event, Customer.Renamed):
            cur.execute(
                "UPDATE sample_customer_list SET name = %s, version = %s, position = %s "
                "WHERE customer_id = %s",
                (event.name, event.originator_version, position, event.originator_id),  # type: ignore[attr-defined]
            )


def orders_app(
    pg_dsn: str, kafka_bootstrap: str, **overrides: Any
) -> tuple[SampleOrders, OrdersSettings]:
    settings = OrdersSettings(pg_dsn=pg_dsn, kafka_bootstrap=kafka_bootstrap, **overrides)
    return build_application(SampleOrders, settings), settings


def billing_app(pg_dsn: str, kafka_bootstrap: str) -> tuple[SampleBilling, BillingSettings]:
    settings = BillingSettings(pg_dsn=pg_dsn, kafka_bootstrap=kafka_bootstrap)
    return build_application(SampleBilling, settings), settings
