"""The inventory service's use cases: one Application method per command.

Commands from HTTP save; commands caused by a consumed event return the aggregates they
changed, for the consumer to save with its tracking record in one transaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from oms_kit.commands import retry_on_conflict
from oms_kit.eventstore import ServiceApplication

from oms_inventory.domain import (
    GoodsIssue,
    LotLine,
    OrderReservation,
    PickedLine,
    PickList,
    PickListNotFound,
    Shortage,
    Stock,
    UnknownSku,
    allocate,
    demands,
    plan_pick,
)

T = TypeVar("T", bound=Aggregate)


@dataclass(frozen=True)
class PickConfirmed:
    pick_list_id: str
    status: str
    goods_issue_id: str
    follow_up_pick_list_id: str | None


class InventoryApplication(ServiceApplication):
    name = "inventory"

    # Loading
    def _find(self, cls: type[T], aggregate_id: UUID) -> T | None:
        try:
            found: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        assert isinstance(found, cls)
        return found

    def find_stock(self, sku: str) -> Stock | None:
        return self._find(Stock, Stock.create_id(sku))

    def get_stock(self, sku: str) -> Stock:
        stock = self.find_stock(sku)
        if stock is None:
            raise UnknownSku(f"sku {sku!r} was never received", field="sku")
        return stock

    def find_order(self, order_id: str) -> OrderReservation | None:
        return self._find(OrderReservation, OrderReservation.create_id(order_id))

    def get_pick_list(self, pick_list_id: str) -> PickList:
        try:
            aggregate_id = UUID(pick_list_id)
        except ValueError:
            raise PickListNotFound(f"no pick list {pick_list_id!r}") from None
        pick_list = self._find(PickList, aggregate_id)
        if pick_list is None:
            raise PickListNotFound(f"no pick list {pick_list_id!r}")
        return pick_list

    def list_pick_lists(self, order_id: str) -> list[PickList]:
        """The order's pick lists, oldest first."""
        order = self.find_order(order_id)
        if order is None:
            return []
        return [self.get_pick_list(pid) for pid in order.pick_list_ids]

    # Commands from HTTP
    @retry_on_conflict
    def receive_stock(
        self,
        sku: str,
        warehouse: str,
        lot: str,
        quantity: Decimal,
        expires_on: str | None = None,
    ) -> Stock:
        stock = self.find_stock(sku) or Stock(sku=sku)
        stock.receive(warehouse, lot, quantity, expires_on)
        self.save(stock)
        return stock

    @retry_on_conflict
    def confirm_pick_list(
        self, pick_list_id: str, lines: list[PickedLine], idempotency_key: str | None = None
    ) -> PickConfirmed:
        """Issue what was picked. The same ``idempotency_key`` again returns the first
        confirmation and changes nothing (any other repeat is a 409: the list is done)."""
        pick_list = self.get_pick_list(pick_list_id)
        if pick_list.confirmed_with(idempotency_key):
            assert pick_list.goods_issue_id is not None
            return PickConfirmed(
                pick_list_id=pick_list_id,
                status=pick_list.status,
                goods_issue_id=pick_list.goods_issue_id,
                follow_up_pick_list_id=pick_list.follow_up_pick_list_id,
            )
        pick_list.check_open()
        skus = {line.sku for line in pick_list.lines}
        stocks = {sku: self.get_stock(sku) for sku in skus}
        plan = plan_pick(pick_list, lines, stocks)
        changed: list[Aggregate] = []
        for sku, picked in plan.picked.items():
            stocks[sku].issue(pick_list.order_id, picked, plan.released[sku])
            changed.append(stocks[sku])
        follow_up: PickList | None = None
        if plan.remaining:
            follow_up = PickList.open(pick_list.order_id, plan.remaining, follows=pick_list_id)
            order = self.find_order(pick_list.order_id)
            if order is not None:
                order.add_pick_list(str(follow_up.id))
                changed.append(order)
            changed.append(follow_up)
        issue = GoodsIssue(
            order_id=pick_list.order_id,
            pick_list_id=pick_list_id,
            lines=[line.as_dict() for line in plan.picked_lines],
        )
        pick_list.confirm(
            plan.picked_lines,
            goods_issue_id=str(issue.id),
            follow_up_pick_list_id=str(follow_up.id) if follow_up else None,
            idempotency_key=idempotency_key,
        )
        self.save(pick_list, issue, *changed)
        return PickConfirmed(
            pick_list_id=pick_list_id,
            status=pick_list.status,
            goods_issue_id=str(issue.id),
            follow_up_pick_list_id=str(follow_up.id) if follow_up else None,
        )

    # Commands caused by consumed events: they return what changed, unsaved
    def reserve_order(self, order_id: str, lines: Iterable[tuple[str, Decimal]]) -> list[Aggregate]:
        """Reserve stock for every line of a confirmed order, all or nothing, and open its
        pick list; or record the shortage. A repeat for a reserved order changes nothing."""
        order = self.find_order(order_id) or OrderReservation(order_id=order_id)
        if not order.can_allocate:
            return []
        wanted = demands(lines)
        stocks = {sku: self.find_stock(sku) for sku in wanted}
        result = allocate(wanted, stocks)
        if isinstance(result, Shortage):
            order.record_shortage(result)
            return [order]
        changed: list[Aggregate] = [order]
        for sku, stock in stocks.items():
            assert stock is not None
            stock.reserve(order_id, [a for a in result if a.sku == sku])
            changed.append(stock)
        if not result:  # an order with no lines: nothing to reserve or pick
            order.reserve([], None)
            return changed
        pick_list = PickList.open(order_id, result)
        order.reserve(result, str(pick_list.id))
        changed.append(pick_list)
        return changed

    def release_order(self, order_id: str, reason: str) -> list[Aggregate]:
        """The order was cancelled: release what it still has reserved (not what was
        already picked) and cancel its open pick lists."""
        order = self.find_order(order_id) or OrderReservation(order_id=order_id)
        changed: list[Aggregate] = []
        released: list[LotLine] = []
        for sku in order.skus:
            stock = self.find_stock(sku)
            lines = stock.release(order_id) if stock is not None else []
            if stock is not None and lines:
                released.extend(lines)
                changed.append(stock)
        for pick_list in self.list_pick_lists(order_id):
            if pick_list.cancel(reason):
                changed.append(pick_list)
        if order.cancel(reason, released):
            changed.append(order)
        return changed
