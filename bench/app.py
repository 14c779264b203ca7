"""The benchmark's own event store: a tiny aggregate in a database of its own (``oms_bench``
or ``oms_bench_growth``), written and read through the kit exactly as the services do."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from oms_contracts.orders import ProductDefined
from oms_kit.eventstore import ServiceApplication, build_application
from oms_kit.projection import DictCursor, Stored, View
from oms_kit.service import Outbound
from oms_kit.settings import ServiceSettings

#: The service whose tables and topic names the benchmark borrows (in its own database).
SERVICE = "orders"
BENCH_TOPIC = "oms.bench.events"


class BenchSettings(ServiceSettings):
    service: ClassVar[str] = SERVICE
    bench_database: str = "oms_bench"

    @property
    def database(self) -> str:
        return self.bench_database


class Item(Aggregate):
    class Created(Aggregate.Created):
        name: str
        quantity: int

    @event(Created)
    def __init__(self, name: str, quantity: int) -> None:
        self.name = name
        self.quantity = quantity


class BenchApplication(ServiceApplication):
    name = SERVICE

    def create(self, name: str) -> UUID:
        item = Item(name=name, quantity=1)
        self.save(item)
        return item.id


to_contract = Outbound()


@to_contract.maps(Item.Created)
def item_created(created: Item.Created) -> ProductDefined:
    """A realistic public mapping: one contract event per stored event."""
    return ProductDefined(
        sku=f"SKU-{created.originator_id}",
        name=created.name,
        unit_price=Decimal("12.34"),
        currency="EUR",
        tax_rate=Decimal("0.23"),
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


class ItemList(View):
    """One row per item, upserted per event: a typical list read model."""

    name = "bench_items"
    tables = ("bench_items",)
    ddl = ITEMS_DDL

    def on_created(self, cur: DictCursor, event: Item.Created, stored: Stored) -> None:
        cur.execute(
            UPSERT_ITEM,
            (
                event.originator_id,
                event.name,
                event.quantity,
                stored.meta.get("actor"),
                stored.position,
            ),
        )


def bench_app(
    pg_dsn: str, database: str, kafka_bootstrap: str
) -> tuple[BenchApplication, BenchSettings]:
    settings = BenchSettings(
        pg_dsn=pg_dsn, kafka_bootstrap=kafka_bootstrap, bench_database=database, pg_pool_size=8
    )
    return build_application(BenchApplication, settings), settings
