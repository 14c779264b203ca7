"""A small two-service sample on the real event path: "orders" registers customers and
publishes them; "billing" keeps an account per customer from those events. Only the
kit's plumbing is under test here; the real services have their own tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event
from oms_contracts.orders import CustomerRegistered, CustomerUpdated
from oms_kit.eventstore import ServiceApplication, build_application
from oms_kit.projection import DictCursor, Stored, View
from oms_kit.service import Inbound, Outbound, Received
from oms_kit.settings import ServiceSettings


class OrdersSettings(ServiceSettings):
    service: ClassVar[str] = "orders"


class BillingSettings(ServiceSettings):
    service: ClassVar[str] = "billing"


class Customer(Aggregate):
    class Registered(Aggregate.Created):
        name: str
        email: str

    class Renamed(Aggregate.Event):
        name: str

    class NoteAdded(Aggregate.Event):  # private: no public contract
        text: str

    @event(Registered)
    def __init__(self, name: str, email: str) -> None:
        self.name = name
        self.email = email

    @event(Renamed)
    def rename(self, name: str) -> None:
        self.name = name

    @event(NoteAdded)
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


to_contract = Outbound()


@to_contract.maps(Customer.Registered)
def customer_registered(registered: Customer.Registered) -> CustomerRegistered:
    return CustomerRegistered(
        customer_id=str(registered.originator_id),
        name=registered.name,
        tax_id="T-1",
        email=registered.email,
        credit_limit=Decimal("1000.00"),
        currency="EUR",
        payment_terms_days=[30],
    )


@to_contract.maps(Customer.Renamed)
def customer_renamed(renamed: Customer.Renamed) -> CustomerUpdated:
    return CustomerUpdated(customer_id=str(renamed.originator_id), name=renamed.name)


class Account(Aggregate):
    """Billing's copy of a customer; ``applied`` lists each source event applied."""

    class Opened(Aggregate.Created):
        customer_id: str
        name: str
        source_version: int

    class Renamed(Aggregate.Event):
        name: str
        source_version: int

    @staticmethod
    def create_id(customer_id: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"account/{customer_id}")

    @event(Opened)
    def __init__(self, customer_id: str, name: str, source_version: int) -> None:
        self.customer_id = customer_id
        self.name = name
        self.applied = [source_version]

    @event(Renamed)
    def rename(self, name: str, source_version: int) -> None:
        self.name = name
        self.applied.append(source_version)


class SampleBilling(ServiceApplication):
    name = "billing"

    def open_account(self, customer_id: str, name: str, source_version: int) -> Account:
        return Account(customer_id=customer_id, name=name, source_version=source_version)

    def rename_account(self, customer_id: str, name: str | None, source_version: int) -> Account:
        if name == "explode":
            raise ValueError("this customer name cannot be applied")
        account: Account = self.repository.get(Account.create_id(customer_id))
        account.rename(name or account.name, source_version)
        return account


billing_inbound = Inbound(SampleBilling)


@billing_inbound.on(CustomerRegistered)
def on_customer_registered(
    app: SampleBilling, registered: CustomerRegistered, received: Received
) -> Account:
    return app.open_account(registered.customer_id, registered.name, received.aggregate_version)


@billing_inbound.on(CustomerUpdated)
def on_customer_updated(
    app: SampleBilling, updated: CustomerUpdated, received: Received
) -> Account:
    return app.rename_account(updated.customer_id, updated.name, received.aggregate_version)


class CustomerListView(View):
    name = "customer_list"
    tables = ("sample_customer_list",)
    ddl = (
        "CREATE TABLE IF NOT EXISTS sample_customer_list ("
        "customer_id uuid PRIMARY KEY, name text NOT NULL, version int NOT NULL, "
        "actor text, position bigint NOT NULL)"
    )

    def on_registered(self, cur: DictCursor, event: Customer.Registered, stored: Stored) -> None:
        cur.execute(
            "INSERT INTO sample_customer_list VALUES (%s, %s, %s, %s, %s)",
            (
                event.originator_id,
                event.name,
                event.originator_version,
                stored.meta.get("actor"),
                stored.position,
            ),
        )

    def on_renamed(self, cur: DictCursor, event: Customer.Renamed, stored: Stored) -> None:
        cur.execute(
            "UPDATE sample_customer_list SET name = %s, version = %s, position = %s "
            "WHERE customer_id = %s",
            (event.name, event.originator_version, stored.position, event.originator_id),
        )

    def list_names(self) -> list[dict[str, Any]]:
        with self.reading() as cur:
            cur.execute("SELECT * FROM sample_customer_list ORDER BY customer_id")
            return cur.fetchall()


def orders_app(
    pg_dsn: str, kafka_bootstrap: str, **overrides: Any
) -> tuple[SampleOrders, OrdersSettings]:
    settings = OrdersSettings(pg_dsn=pg_dsn, kafka_bootstrap=kafka_bootstrap, **overrides)
    return build_application(SampleOrders, settings), settings


def billing_app(pg_dsn: str, kafka_bootstrap: str) -> tuple[SampleBilling, BillingSettings]:
    settings = BillingSettings(pg_dsn=pg_dsn, kafka_bootstrap=kafka_bootstrap)
    return build_application(SampleBilling, settings), settings
