"""Routes of the inventory service: each calls the Application (commands, and reads of one
aggregate) or a view's query.

Who may call (DESIGN section 9): inventory keeps no customer's records, so roles decide
alone. Stock receipts, pick lists (they name orders) and their confirmation: warehouse,
back office and admin. Stock levels: every role but partners (reps read availability, the
B2B portal shows it to customers). Suppliers, purchase orders, shipments and their waybills:
warehouse, back office and admin. Partners: nothing (403)."""

from __future__ import annotations

from typing import Annotated, Literal, Protocol

from fastapi import APIRouter, Header, Query, Response, status
from oms_kit.auth import BACK_OFFICE, CUSTOMER, SALES_REP, WAREHOUSE, allow
from oms_kit.http import Paging

from oms_inventory.api.models import (
    PickConfirmationCreate,
    PickConfirmationPublic,
    PickListPublic,
    PickListsPublic,
    PurchaseFromOrdersCreate,
    PurchaseOrderPublic,
    PurchaseOrdersPublic,
    PurchaseReceiptCreate,
    PurchaseReceiptPublic,
    ShipmentCreate,
    ShipmentPublic,
    StockListPublic,
    StockPublic,
    StockReceiptCreate,
    StockReturnCreate,
    SupplierAssignmentCreate,
    SupplierAssignmentPublic,
    SupplierCreate,
    SupplierPublic,
    SuppliersPublic,
)
from oms_inventory.application import InventoryApplication
from oms_inventory.domain import Shipment
from oms_inventory.projections.purchasing import PurchaseOrderFilter, PurchasingView
from oms_inventory.projections.stock_levels import StockLevelFilter, StockLevelsView

#: Who receives and picks stock, and reads the pick lists.
STOCK_KEEPERS = (WAREHOUSE, BACK_OFFICE)
#: Who reads stock levels.
STOCK_READERS = (*STOCK_KEEPERS, SALES_REP, CUSTOMER)


class WaybillRenderer(Protocol):
    def render(self, shipment: Shipment) -> bytes: ...


def build_router(
    app: InventoryApplication,
    stock_levels: StockLevelsView,
    purchasing: PurchasingView,
    waybills: WaybillRenderer,
) -> APIRouter:
    """The inventory routes, bound to the service's Application and its views."""
    router = APIRouter(
        tags=["inventory"], responses={403: {"description": "the caller's role may not do this"}}
    )

    @router.post(
        "/stock/receipts",
        status_code=status.HTTP_201_CREATED,
        dependencies=[allow(*STOCK_KEEPERS)],
    )
    def receive_stock(body: StockReceiptCreate) -> StockPublic:
        """Receive goods into a warehouse lot (adds to the lot if it exists)."""
        stock = app.receive_stock(
            sku=body.sku,
            warehouse=body.warehouse,
            lot=body.lot,
            quantity=body.quantity,
            expires_on=body.expires_on.isoformat() if body.expires_on else None,
        )
        return StockPublic.of_stock(stock)

    @router.post(
        "/stock/returns",
        status_code=status.HTTP_201_CREATED,
        dependencies=[allow(*STOCK_KEEPERS)],
    )
    def return_stock(body: StockReturnCreate) -> StockPublic:
        """Goods a customer sent back, into a warehouse lot, with the reason (a credit
        note's ``returned_goods`` announces them; the warehouse books their arrival here)."""
        stock = app.return_stock(
            sku=body.sku,
            warehouse=body.warehouse,
            lot=body.lot,
            quantity=body.quantity,
            reason=body.reason,
            expires_on=body.expires_on.isoformat() if body.expires_on else None,
            order_id=body.order_id,
        )
        return StockPublic.of_stock(stock)

    @router.get(
        "/stock/{sku}",
        dependencies=[allow(*STOCK_READERS)],
        responses={404: {"description": "never received"}},
    )
    def get_stock(sku: str) -> StockPublic:
        """On hand, reserved and available of one sku, per warehouse and lot (FEFO order)."""
        return StockPublic.of_stock(app.get_stock(sku))

    @router.get("/stock", dependencies=[allow(*STOCK_READERS)])
    def list_stock(
        page: Paging,
        sku_prefix: Annotated[str | None, Query(max_length=200)] = None,
        warehouse: Annotated[str | None, Query(max_length=200)] = None,
    ) -> StockListPublic:
        """The inventory level report: every sku, optionally of one warehouse, by sku."""
        levels = stock_levels.list_stock_levels(
            StockLevelFilter(sku_prefix=sku_prefix, warehouse=warehouse), page
        )
        return StockListPublic(
            items=[StockPublic.of_level(level) for level in levels.items],
            next_cursor=levels.next_cursor,
        )

    @router.get("/pick-lists", dependencies=[allow(*STOCK_KEEPERS)])
    def list_pick_lists(order_id: Annotated[str, Query(min_length=1)]) -> PickListsPublic:
        """The pick lists of an order, oldest first (a follow-up comes after its list)."""
        return PickListsPublic(items=[PickListPublic.of(p) for p in app.pick_lists_of(order_id)])

    @router.get(
        "/pick-lists/{pick_list_id}",
        dependencies=[allow(*STOCK_KEEPERS)],
        responses={404: {"description": "not found"}},
    )
    def get_pick_list(pick_list_id: str) -> PickListPublic:
        return PickListPublic.of(app.get_pick_list(pick_list_id))

    @router.post(
        "/pick-lists/{pick_list_id}/confirm",
        dependencies=[allow(*STOCK_KEEPERS)],
        responses={
            404: {"description": "not found"},
            409: {"description": "done or cancelled"},
            422: {"description": "picked lines do not fit the list or the stock"},
        },
    )
    def confirm_pick_list(
        pick_list_id: str,
        body: PickConfirmationCreate,
        idempotency_key: Annotated[str | None, Header(min_length=1, max_length=200)] = None,
    ) -> PickConfirmationPublic:
        """Report what was actually picked; less than listed leaves a follow-up list. The
        same ``Idempotency-Key`` again returns the first confirmation."""
        confirmed = app.confirm_pick_list(
            pick_list_id, [line.picked() for line in body.lines], idempotency_key
        )
        return PickConfirmationPublic.of(confirmed)

    # Purchasing
    @router.post(
        "/suppliers", status_code=status.HTTP_201_CREATED, dependencies=[allow(*STOCK_KEEPERS)]
    )
    def register_supplier(body: SupplierCreate) -> SupplierPublic:
        return SupplierPublic.of(app.register_supplier(body.name, body.email))

    @router.get("/suppliers", dependencies=[allow(*STOCK_KEEPERS)])
    def list_suppliers(page: Paging) -> SuppliersPublic:
        """Suppliers, newest first."""
        suppliers = purchasing.list_suppliers(page)
        return SuppliersPublic(
            items=[SupplierPublic.of(s) for s in suppliers.items],
            next_cursor=suppliers.next_cursor,
        )

    @router.put(
        "/stock/{sku}/supplier",
        dependencies=[allow(*STOCK_KEEPERS)],
        responses={422: {"description": "unknown supplier"}},
    )
    def assign_supplier(sku: str, body: SupplierAssignmentCreate) -> SupplierAssignmentPublic:
        """The supplier purchase orders for ``sku`` go to (a sku never received too)."""
        stock = app.assign_supplier(sku, body.supplier_id)
        return SupplierAssignmentPublic(sku=stock.sku, supplier_id=body.supplier_id)

    @router.post(
        "/purchase-orders/from-orders",
        status_code=status.HTTP_201_CREATED,
        dependencies=[allow(*STOCK_KEEPERS)],
        responses={422: {"description": "an order not confirmed, or a sku with no supplier"}},
    )
    def purchase_from_orders(body: PurchaseFromOrdersCreate) -> PurchaseOrdersPublic:
        """Merge what customer orders need into one purchase order per supplier: the lines
        of the ``order_ids`` given, or else what the orders held for stock still miss (per
        sku: what they want less what is available and what open purchase orders will
        bring). A sku with no supplier refuses it all (422 naming the sku); nothing to buy
        creates nothing (an empty list)."""
        if body.order_ids is not None:
            orders = app.purchase_for_orders(body.order_ids)
        else:
            orders = app.purchase_for_held_orders(
                purchasing.held_order_ids(), purchasing.still_on_order()
            )
        return PurchaseOrdersPublic(items=[PurchaseOrderPublic.of(o) for o in orders])

    @router.get("/purchase-orders", dependencies=[allow(*STOCK_KEEPERS)])
    def list_purchase_orders(
        page: Paging,
        status: Annotated[Literal["open", "partially_received", "received"] | None, Query()] = None,
        supplier_id: Annotated[str | None, Query(max_length=200)] = None,
    ) -> PurchaseOrdersPublic:
        """Purchase orders, newest first."""
        orders = purchasing.list_purchase_orders(
            PurchaseOrderFilter(status=status, supplier_id=supplier_id), page
        )
        return PurchaseOrdersPublic(
            items=[PurchaseOrderPublic.of(o) for o in orders.items],
            next_cursor=orders.next_cursor,
        )

    @router.get(
        "/purchase-orders/{purchase_order_id}",
        dependencies=[allow(*STOCK_KEEPERS)],
        responses={404: {"description": "not found"}},
    )
    def get_purchase_order(purchase_order_id: str) -> PurchaseOrderPublic:
        return PurchaseOrderPublic.of(app.get_purchase_order(purchase_order_id))

    @router.post(
        "/purchase-orders/{purchase_order_id}/receive",
        dependencies=[allow(*STOCK_KEEPERS)],
        responses={
            404: {"description": "not found"},
            409: {"description": "received in full already"},
            422: {"description": "a line not on the order, or more than it waits for"},
        },
    )
    def receive_purchase_order(
        purchase_order_id: str, body: PurchaseReceiptCreate
    ) -> PurchaseReceiptPublic:
        """The goods arrived: into stock lot by lot; orders held for stock that now fit
        are reserved, first held first (``reserved_order_ids``)."""
        received = app.receive_purchase_order(
            purchase_order_id, [line.lot_line() for line in body.lines]
        )
        return PurchaseReceiptPublic.of_receipt(received)

    # Shipments
    @router.post(
        "/goods-issues/{goods_issue_id}/shipment",
        status_code=status.HTTP_201_CREATED,
        dependencies=[allow(*STOCK_KEEPERS)],
        responses={
            404: {"description": "no such goods issue"},
            409: {"description": "the goods issue has its shipment already"},
        },
    )
    def ship_goods_issue(goods_issue_id: str, body: ShipmentCreate) -> ShipmentPublic:
        """Hand a goods issue's parcels to a courier; the carrier provider answers the
        tracking number (the order shows it once inventory's ShipmentCreated is heard)."""
        shipment = app.ship_goods_issue(
            goods_issue_id,
            carrier=body.carrier,
            service=body.service,
            weights=[parcel.weight_kg for parcel in body.parcels],
        )
        return ShipmentPublic.of(shipment)

    @router.get(
        "/shipments/{shipment_id}",
        dependencies=[allow(*STOCK_KEEPERS)],
        responses={404: {"description": "not found"}},
    )
    def get_shipment(shipment_id: str) -> ShipmentPublic:
        return ShipmentPublic.of(app.get_shipment(shipment_id))

    @router.get(
        "/shipments/{shipment_id}/waybill",
        dependencies=[allow(*STOCK_KEEPERS)],
        response_class=Response,
        responses={
            200: {"content": {"application/pdf": {}}, "description": "the waybill"},
            404: {"description": "not found"},
        },
    )
    def get_waybill(shipment_id: str) -> Response:
        """The waybill: the tracking number as a Code 39 barcode, parcels, contents."""
        shipment = app.get_shipment(shipment_id)
        return Response(
            content=waybills.render(shipment),
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'inline; filename="waybill-{shipment.tracking_number}.pdf"'
            },
        )

    return router
