"""The benchmark's own event store: a tiny aggregate in a database of its own (``oms_bench``
or ``oms_bench_growth``), written and read through the kit exactly as the services do."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, DomainEventProtocol, event
from oms_contracts import ContractEvent
from oms_contracts.commissions import CommissionAccrued
from oms_kit.eventstore import ServiceApplication, build_application
from oms_kit.projection import Projection
from oms_kit.settings import ServiceSettings
from psycopg import Cursor

#: The service whose tables and topic names the benchmark borrows (in its own database).
SERVICE = "commissions"
BENCH_TOPIC = "oms.bench.events"


class BenchSettings(ServiceSettings):
    service: ClassVar[str] = SERVICE
    bench_database: str = "oms_bench"

    @property
    def database(self) -> str:
        return self.bench_database


class Item(Aggregate):
    @event("Created")
    def __init__(self, name: str, quantity: int) -> None:
        self.name = name
        self.quantity = quantity


class BenchApplication(ServiceApplication):
    name = SERVICE

    def create(self, name: str) -> UUID:
        item = Item(name=name, quantity=1)
        self.save(item)
        return item.id


def to_contract(domain_event: DomainEventProtocol[UUID]) -> ContractEvent | None:
    """A realistic public mapping: one contract event per stored event."""
    return CommissionAccrued(
        sales_rep_id="rep-1",
        customer_id="cust-1",
        order_id=str(domain_event.originator_id),
        base=Decimal("246.80"),
        amount=Decimal("12.34"),
        currency="EUR",
    )


ITEMS_DDL = (
    "CREATE TABLE IF NOT EXISTS bench_items ("
    "item_id uuid PRIMARY KEY, name text NOT NULL, quantity int NOT NULL, "
    "actor text, position bigint NOT NULL)"
)
UPSERT_ITEM = (
    "INSERT INTO bench_items (item_id, name, quantity, actor, position) "
    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (item_id) DO UPDATE SET "
    "name = EXCLUDED.name, quantity = EXCLUDED.quantity, position = EXCLUDED.position"
)


class ItemList(Projection):
    """One row per item, upserted per event: a typical list read model."""

    name = "bench_items"
    tables = ("bench_items",)

    def create(self, cur: Cursor[dict[str, Any]]) -> None:
        cur.execute(ITEMS_DDL)

    def apply(
        self,
        cur: Cursor[dict[str, Any]],
        event: DomainEventProtocol[UUID],
        position: int,
        meta: dict[str, str],
    ) -> None:
        if isinstance(event, Item.Created):
            cur.execute(
                UPSERT_ITEM,
                (
                    event.originator_id,
                    event.name,  # type: ignore[attr-defined]
                    event.quantity,  # type: ignore[attr-defined]
                    meta.get("actor"),
                    position,
                ),
            )


def bench_app(
    pg_dsn: str, database: str, kafka_bootstrap: str
) -> tuple[BenchApplication, BenchSettings]:
    settings = BenchSettings(
        pg_dsn=pg_dsn, kafka_bootstrap=kafka_bootstrap, bench_database=database, pg_pool_size=8
    )
    return build_application(BenchApplication, settings), settings
