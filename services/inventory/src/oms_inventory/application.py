"""The inventory service's use cases: one Application method per command or reaction.

Commands (called by a route) save what they change; reactions (called by an inbound
handler for a consumed event) return the aggregates they changed, unsaved, and the kit
records them with the event's tracking record in one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from eventsourcing.domain import Aggregate
from oms_kit.commands import retry_on_conflict
from oms_kit.eventstore import ServiceApplication

from oms_inventory.domain import (
    AlreadyShipped,
    GoodsIssue,
    GoodsIssueNotFound,
    LotLine,
    MissingSupplier,
    OrderReservation,
    PickedLine,
    PickList,
    PickListNotFound,
    PurchaseOrder,
    PurchaseOrderNotFound,
    Shipment,
    ShipmentNotFound,
    Shortage,
    Stock,
    Supplier,
    UnknownOrder,
    UnknownSku,
    UnknownSupplier,
    allocate,
    check_weights,
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


@dataclass(frozen=True)
class PurchaseReceived:
    """A purchase order's receipt and the held orders it reserved."""

    purchase_order: PurchaseOrder
    reserved_order_ids: list[str]


ZERO = Decimal(0)


@dataclass(frozen=True)
class ShipmentRequest:
    """What a carrier is asked to carry: a goods issue's parcels."""

    goods_issue_id: str
    order_id: str
    carrier: str
    service: str | None
    weights: list[Decimal]


class CarrierProvider(Protocol):
    """The port to the courier companies: books a shipment and answers its tracking
    number. The same request again answers the same number (a retried command)."""

    def book(self, request: ShipmentRequest) -> str: ...


class InventoryApplication(ServiceApplication):
    name = "inventory"
    #: Set by bootstrap (``configure``).
    carrier: CarrierProvider

    def configure(self, carrier: CarrierProvider) -> None:
        self.carrier = carrier

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

    def get_purchase_order(self, purchase_order_id: str) -> PurchaseOrder:
        purchase_order = self.find(PurchaseOrder, purchase_order_id)
        if purchase_order is None:
            raise PurchaseOrderNotFound(
                f"no purchase order {purchase_order_id!r}", field="purchase_order_id"
            )
        return purchase_order

    def get_goods_issue(self, goods_issue_id: str) -> GoodsIssue:
        goods_issue = self.find(GoodsIssue, goods_issue_id)
        if goods_issue is None:
            raise GoodsIssueNotFound(f"no goods issue {goods_issue_id!r}", field="goods_issue_id")
        return goods_issue

    def get_shipment(self, shipment_id: str) -> Shipment:
        shipment = self.find(Shipment, shipment_id)
        if shipment is None:
            raise ShipmentNotFound(f"no shipment {shipment_id!r}", field="shipment_id")
        return shipment

    def get_supplier(self, supplier_id: str, field: str = "supplier_id") -> Supplier:
        supplier = self.find(Supplier, supplier_id)
        if supplier is None:
            raise UnknownSupplier(f"no supplier {supplier_id!r}", field=field)
        return supplier

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
        changed, _ = self._release_backorders({sku: stock})
        self.save(stock, *changed)
        return stock

    def ship_goods_issue(
        self, goods_issue_id: str, carrier: str, service: str | None, weights: list[Decimal]
    ) -> Shipment:
        """Hand a goods issue's parcels to a courier: the carrier provider books it and
        gives the tracking number. One shipment per goods issue (a second is a 409)."""
        check_weights(weights)
        goods_issue = self.get_goods_issue(goods_issue_id)
        if self.find(Shipment, Shipment.create_id(goods_issue_id)) is not None:
            raise AlreadyShipped(
                f"goods issue {goods_issue_id} has its shipment already", field="goods_issue_id"
            )
        tracking_number = self.carrier.book(
            ShipmentRequest(goods_issue_id, goods_issue.order_id, carrier, service, weights)
        )
        shipment = Shipment(
            goods_issue_id=goods_issue_id,
            order_id=goods_issue.order_id,
            carrier=carrier,
            service=service,
            parcels=[{"weight_kg": weight} for weight in weights],
            tracking_number=tracking_number,
            lines=[line.as_dict() for line in goods_issue.lines],
        )
        self.save(shipment)
        return shipment

    @retry_on_conflict
    def return_stock(
        self,
        sku: str,
        warehouse: str,
        lot: str,
        quantity: Decimal,
        reason: str,
        expires_on: str | None = None,
        order_id: str | None = None,
    ) -> Stock:
        """Goods a customer sent back, booked into a warehouse lot by the warehouse (a
        credit note's ``returned_goods`` says they are coming; this says they arrived);
        orders held for the sku that now fit are reserved."""
        stock = self.find(Stock, Stock.create_id(sku)) or Stock(sku=sku)
        stock.take_back(warehouse, lot, quantity, reason, expires_on, order_id)
        changed, _ = self._release_backorders({sku: stock})
        self.save(stock, *changed)
        return stock

    def register_supplier(self, name: str, email: str) -> Supplier:
        supplier = Supplier(name=name, email=email)
        self.save(supplier)
        return supplier

    @retry_on_conflict
    def assign_supplier(self, sku: str, supplier_id: str) -> Stock:
        """Purchase orders for ``sku`` go to this supplier (a sku not received yet too)."""
        self.get_supplier(supplier_id)
        stock = self.find(Stock, Stock.create_id(sku)) or Stock(sku=sku)
        stock.assign_supplier(supplier_id)
        self.save(stock)
        return stock

    def purchase_for_orders(self, order_ids: list[str]) -> list[PurchaseOrder]:
        """One purchase order per supplier for every line of these confirmed orders,
        merged per sku. An order inventory has not seen confirmed, or one cancelled, is
        refused naming ``order_ids``."""
        needs: dict[str, Decimal] = {}
        for order_id in dict.fromkeys(order_ids):
            order = self._order(order_id)
            if order is None or not order.wanted or not order.can_be_purchased_for:
                raise UnknownOrder(
                    f"order {order_id!r} is not a confirmed order inventory knows",
                    field="order_ids",
                )
            for sku, quantity in order.wanted.items():
                needs[sku] = needs.get(sku, ZERO) + quantity
        return self._purchase(needs, list(dict.fromkeys(order_ids)))

    def purchase_for_held_orders(
        self, held_order_ids: Iterable[str], on_order: Mapping[str, Decimal]
    ) -> list[PurchaseOrder]:
        """One purchase order per supplier for what the orders held for stock still miss:
        per sku, what they want less what is available and what open purchase orders
        (``on_order``) will bring."""
        wanted: dict[str, Decimal] = {}
        covered: list[str] = []
        for order_id in held_order_ids:
            order = self._order(order_id)
            if order is None or not order.is_short or not order.wanted:
                continue  # reserved or cancelled since the list was read
            covered.append(order_id)
            for sku, quantity in order.wanted.items():
                wanted[sku] = wanted.get(sku, ZERO) + quantity
        needs: dict[str, Decimal] = {}
        for sku, quantity in wanted.items():
            stock = self.find(Stock, Stock.create_id(sku))
            available = max(stock.available, ZERO) if stock is not None else ZERO
            missing = quantity - available - on_order.get(sku, ZERO)
            if missing > ZERO:
                needs[sku] = missing
        return self._purchase(needs, covered)

    def _purchase(self, needs: Mapping[str, Decimal], order_ids: list[str]) -> list[PurchaseOrder]:
        """Group ``needs`` by each sku's supplier and save one purchase order per supplier;
        a sku without a supplier refuses the whole request, naming it."""
        per_supplier: dict[str, dict[str, Decimal]] = {}
        without: list[str] = []
        for sku, quantity in needs.items():
            stock = self.find(Stock, Stock.create_id(sku))
            if stock is None or stock.supplier_id is None:
                without.append(sku)
                continue
            per_supplier.setdefault(stock.supplier_id, {})[sku] = quantity
        if without:
            raise MissingSupplier(
                f"no supplier for {', '.join(sorted(without))}: assign one with "
                "PUT /stock/{sku}/supplier",
                field="sku",
            )
        orders = [
            PurchaseOrder.order(supplier_id, quantities, order_ids)
            for supplier_id, quantities in per_supplier.items()
        ]
        if orders:
            self.save(*orders)
        return orders

    @retry_on_conflict
    def receive_purchase_order(
        self, purchase_order_id: str, lines: list[LotLine]
    ) -> PurchaseReceived:
        """The goods of a purchase order arrived: into stock, lot by lot; orders held for
        stock that now fit are reserved (first held first)."""
        purchase_order = self.get_purchase_order(purchase_order_id)
        purchase_order.receive(lines)
        stocks: dict[str, Stock | None] = {}
        for line in lines:
            stock = stocks.get(line.sku) or self.find(Stock, Stock.create_id(line.sku))
            stock = stock or Stock(sku=line.sku)
            stock.receive(line.warehouse, line.lot, line.quantity, line.expires_on)
            stocks[line.sku] = stock
        changed, reserved = self._release_backorders(stocks)
        self.save(purchase_order, *[s for s in stocks.values() if s is not None], *changed)
        return PurchaseReceived(purchase_order, reserved)

    def _release_backorders(
        self, stocks: dict[str, Stock | None]
    ) -> tuple[list[Aggregate], list[str]]:
        """Try again, first held first, the orders held for the skus of ``stocks`` (just
        received); returns what changed and the orders now reserved."""
        changed: list[Aggregate] = []
        reserved: list[str] = []
        for sku in list(stocks):
            stock = stocks[sku]
            if stock is None:
                continue
            for order_id in list(stock.backorders):
                order = self._order(order_id)
                if order is None or not order.is_short or not order.wanted:
                    stock.drop_backorder(order_id)
                    continue
                changed.extend(self._allocate(order, order.wanted, stocks, again=True))
                if not order.is_short:
                    reserved.append(order_id)
                elif order.short_sku != sku:
                    stock.drop_backorder(order_id)  # held for another sku now
        return changed, reserved

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
        return self._allocate(order, demands(lines), {})

    def _allocate(
        self,
        order: OrderReservation,
        wanted: Mapping[str, Decimal],
        stocks: dict[str, Stock | None],
        again: bool = False,
    ) -> list[Aggregate]:
        """Reserve ``wanted`` for the order, all or nothing, and open its pick list; or
        hold it for the sku that is short (``again``: a retry after a receipt, which
        records nothing new when the same sku is still short). ``stocks`` caches the
        stock aggregates of this command."""
        order_id = order.order_id
        for sku in wanted:
            if sku not in stocks:
                stocks[sku] = self.find(Stock, Stock.create_id(sku))
        result = allocate(wanted, {sku: stocks[sku] for sku in wanted})
        if isinstance(result, Shortage):
            if again and order.short_sku == result.sku:
                return []
            order.record_shortage(result, wanted)
            short = stocks.get(result.sku) or Stock(sku=result.sku)
            stocks[result.sku] = short
            short.backorder(order_id)
            return [order, short]
        changed: list[Aggregate] = [order]
        for sku in wanted:
            stock = stocks[sku]
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
