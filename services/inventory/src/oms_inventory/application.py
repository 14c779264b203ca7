"""The inventory service's use cases: one Application method per command or reaction.

Commands (called by a route) save what they change; reactions (called by an inbound
handler for a consumed event) return the aggregates they changed, unsaved, and the kit
records them with the event's tracking record in one transaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

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


@dataclass(frozen=True)
class PickConfirmed:
    """What a pick confirmation did (the same again for a retry with its key)."""

    pick_list_id: str
    status: str
    goods_issue_id: str
    follow_up_pick_list_id: str | None


class InventoryApplication(ServiceApplication):
    name = "inventory"

    # Queries on the aggregates
    def get_stock(self, sku: str) -> Stock:
        stock = self.find(Stock, Stock.create_id(sku))
        if stock is None:
            raise UnknownSku(f"sku {sku!r} was never received", field="sku")
        return stock

    def get_pick_list(self, pick_list_id: str) -> PickList:
        pick_list = self.find(PickList, pick_list_id)
        if pick_list is None:
            raise PickListNotFound(f"no pick list {pick_list_id!r}", field="pick_list_id")
        return pick_list

    def pick_lists_of(self, order_id: str) -> list[PickList]:
        """The order's pick lists, oldest first (a follow-up after the list it follows);
        none for an order inventory has not seen."""
        order = self._order(order_id)
        if order is None:
            return []
        return [self.get_pick_list(pick_list_id) for pick_list_id in order.pick_list_ids]

    def _order(self, order_id: str) -> OrderReservation | None:
        return self.find(OrderReservation, OrderReservation.create_id(order_id))

    # Commands
    @retry_on_conflict
    def receive_stock(
        self,
        sku: str,
        warehouse: str,
        lot: str,
        quantity: Decimal,
        expires_on: str | None = None,
    ) -> Stock:
        """Goods arrived in a warehouse lot (added to the lot when it exists)."""
        stock = self.find(Stock, Stock.create_id(sku)) or Stock(sku=sku)
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
            order = self._order(pick_list.order_id)
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

    # Reactions to consumed events: they return what they changed, unsaved
    def reserve_order(self, order_id: str, lines: Iterable[tuple[str, Decimal]]) -> list[Aggregate]:
        """Reserve stock for every line of a confirmed order, all or nothing, and open its
        pick list; or record the shortage. A repeat for a reserved order changes nothing."""
        order = self._order(order_id) or OrderReservation(order_id=order_id)
        if not order.can_allocate:
            return []
        wanted = demands(lines)
        stocks = {sku: self.find(Stock, Stock.create_id(sku)) for sku in wanted}
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
        already picked) and cancel its open pick lists. A cancel that arrives before the
        confirmation closes the order, so that the late confirmation reserves nothing."""
        order = self._order(order_id) or OrderReservation(order_id=order_id)
        changed: list[Aggregate] = []
        released: list[LotLine] = []
        for sku in order.skus:
            stock = self.find(Stock, Stock.create_id(sku))
            lines = stock.release(order_id) if stock is not None else []
            if stock is not None and lines:
                released.extend(lines)
                changed.append(stock)
        for pick_list in self.pick_lists_of(order_id):
            if pick_list.cancel(reason):
                changed.append(pick_list)
        if order.cancel(reason, released):
            changed.append(order)
        return changed
