"""Routes of the inventory service, and the one map from its errors to HTTP problems."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, status
from oms_kit.http import ErrorMap
from pydantic import AfterValidator, BaseModel, Field, PlainSerializer, WithJsonSchema

from oms_inventory.application import InventoryApplication
from oms_inventory.domain import (
    ExpiryMismatch,
    InvalidPick,
    InvalidQuantity,
    InventoryError,
    LotLine,
    PickedLine,
    PickList,
    PickListClosed,
    PickListNotFound,
    Stock,
    UnknownSku,
)

ERRORS: ErrorMap = {
    UnknownSku: (404, "Unknown sku"),
    PickListNotFound: (404, "Pick list not found"),
    PickListClosed: (409, "Pick list is closed"),
    InvalidQuantity: (422, "Invalid quantity"),
    ExpiryMismatch: (422, "Expiry date does not match the lot"),
    InvalidPick: (422, "Invalid pick"),
    InventoryError: (422, "Invalid request"),
}

#: The read model of the StockLevelsView projection.
STOCK_LOTS = "inventory_stock_lots"


def _finite(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("must be a finite number")
    return value


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


#: Quantities are JSON numbers, Decimal in Python.
Quantity = Annotated[
    Decimal,
    AfterValidator(_finite),
    PlainSerializer(_number, when_used="json"),
    WithJsonSchema({"type": "number"}),
]
PositiveQuantity = Annotated[Quantity, Field(gt=0)]
Name = Annotated[str, Field(min_length=1, max_length=200)]


# Request and response models
class StockReceiptCreate(BaseModel):
    sku: Name
    warehouse: Name
    lot: Name
    quantity: PositiveQuantity
    expires_on: date | None = None


class LocationPublic(BaseModel):
    warehouse: str
    lot: str
    expires_on: date | None
    on_hand: Quantity
    reserved: Quantity
    available: Quantity


class StockPublic(BaseModel):
    sku: str
    on_hand: Quantity
    reserved: Quantity
    available: Quantity
    locations: list[LocationPublic]


class StockListPublic(BaseModel):
    items: list[StockPublic]
    next_cursor: str | None


class PickLinePublic(BaseModel):
    sku: str
    quantity: Quantity
    warehouse: str
    lot: str
    expires_on: date | None = None


class PickListPublic(BaseModel):
    pick_list_id: str
    order_id: str
    status: Literal["open", "done", "cancelled"]
    lines: list[PickLinePublic]
    picked: list[PickLinePublic]
    follows: str | None
    follow_up_pick_list_id: str | None
    goods_issue_id: str | None


class PickListsPublic(BaseModel):
    items: list[PickListPublic]


class PickLineCreate(BaseModel):
    sku: Name
    quantity: PositiveQuantity
    warehouse: Name
    lot: Name


class PickConfirmationCreate(BaseModel):
    lines: list[PickLineCreate] = Field(min_length=1)


class PickConfirmationPublic(BaseModel):
    pick_list_id: str
    status: Literal["done"]
    goods_issue_id: str
    follow_up_pick_list_id: str | None


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def stock_public(stock: Stock) -> StockPublic:
    return StockPublic(
        sku=stock.sku,
        on_hand=stock.on_hand,
        reserved=stock.reserved,
        available=stock.available,
        locations=[
            LocationPublic(
                warehouse=lot.warehouse,
                lot=lot.lot,
                expires_on=_day(lot.expires_on),
                on_hand=lot.on_hand,
                reserved=lot.reserved,
                available=lot.available,
            )
            for lot in stock.locations()
        ],
    )


def _line(line: LotLine) -> PickLinePublic:
    return PickLinePublic(
        sku=line.sku,
        quantity=line.quantity,
        warehouse=line.warehouse,
        lot=line.lot,
        expires_on=_day(line.expires_on),
    )


def pick_list_public(pick_list: PickList) -> PickListPublic:
    return PickListPublic(
        pick_list_id=str(pick_list.id),
        order_id=pick_list.order_id,
        status=pick_list.status,
        lines=[_line(line) for line in pick_list.lines],
        picked=[_line(line) for line in pick_list.picked],
        follows=pick_list.follows,
        follow_up_pick_list_id=pick_list.follow_up_pick_list_id,
        goods_issue_id=pick_list.goods_issue_id,
    )


def build_router(app: InventoryApplication) -> APIRouter:
    """The inventory routes, bound to the service's Application."""
    router = APIRouter(tags=["inventory"])

    @router.post("/stock/receipts", status_code=status.HTTP_201_CREATED)
    def receive_stock(body: StockReceiptCreate) -> StockPublic:
        """Receive goods into a warehouse lot (adds to the lot if it exists)."""
        stock = app.receive_stock(
            sku=body.sku,
            warehouse=body.warehouse,
            lot=body.lot,
            quantity=body.quantity,
            expires_on=body.expires_on.isoformat() if body.expires_on else None,
        )
        return stock_public(stock)

    @router.get("/stock/{sku}", responses={404: {"description": "never received"}})
    def get_stock(sku: str) -> StockPublic:
        """On hand, reserved and available of one sku, per warehouse and lot (FEFO order)."""
        return stock_public(app.get_stock(sku))

    @router.get("/stock")
    def list_stock(
        sku_prefix: Annotated[str | None, Query(max_length=200)] = None,
        warehouse: Annotated[str | None, Query(max_length=200)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        cursor: Annotated[
            str | None, Query(description="the last sku of the previous page")
        ] = None,
    ) -> StockListPublic:
        """The inventory level report: every sku, optionally of one warehouse, by sku."""
        where = ["true"]
        params: list[object] = []
        if sku_prefix:
            where.append("starts_with(sku, %s)")
            params.append(sku_prefix)
        if warehouse:
            where.append("warehouse = %s")
            params.append(warehouse)
        if cursor:
            where.append("sku > %s")
            params.append(cursor)
        condition = " AND ".join(where)
        with app.datastore.transaction(commit=False) as cur:
            cur.execute(
                f"SELECT DISTINCT sku FROM {STOCK_LOTS} WHERE {condition} ORDER BY sku LIMIT %s",
                (*params, limit + 1),
            )
            skus = [str(row["sku"]) for row in cur.fetchall()]
            page = skus[:limit]
            rows = []
            if page:
                cur.execute(
                    f"SELECT * FROM {STOCK_LOTS} WHERE {condition} AND sku = ANY(%s) "
                    "ORDER BY sku, expires_on NULLS LAST, warehouse, lot",
                    (*params, page),
                )
                rows = cur.fetchall()
        items: dict[str, StockPublic] = {
            sku: StockPublic(
                sku=sku, on_hand=Decimal(0), reserved=Decimal(0), available=Decimal(0), locations=[]
            )
            for sku in page
        }
        for row in rows:
            item = items[row["sku"]]
            on_hand, reserved = Decimal(row["on_hand"]), Decimal(row["reserved"])
            item.locations.append(
                LocationPublic(
                    warehouse=row["warehouse"],
                    lot=row["lot"],
                    expires_on=row["expires_on"],
                    on_hand=on_hand,
                    reserved=reserved,
                    available=on_hand - reserved,
                )
            )
            item.on_hand += on_hand
            item.reserved += reserved
            item.available += on_hand - reserved
        return StockListPublic(
            items=list(items.values()),
            next_cursor=page[-1] if len(skus) > limit else None,
        )

    @router.get("/pick-lists")
    def list_pick_lists(order_id: Annotated[str, Query(min_length=1)]) -> PickListsPublic:
        """The pick lists of an order, oldest first (a follow-up comes after its list)."""
        return PickListsPublic(items=[pick_list_public(p) for p in app.list_pick_lists(order_id)])

    @router.get("/pick-lists/{pick_list_id}", responses={404: {"description": "not found"}})
    def get_pick_list(pick_list_id: str) -> PickListPublic:
        return pick_list_public(app.get_pick_list(pick_list_id))

    @router.post(
        "/pick-lists/{pick_list_id}/confirm",
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
        result = app.confirm_pick_list(
            pick_list_id,
            [
                PickedLine(sku=x.sku, warehouse=x.warehouse, lot=x.lot, quantity=x.quantity)
                for x in body.lines
            ],
            idempotency_key,
        )
        return PickConfirmationPublic(
            pick_list_id=result.pick_list_id,
            status="done",
            goods_issue_id=result.goods_issue_id,
            follow_up_pick_list_id=result.follow_up_pick_list_id,
        )

    return router
