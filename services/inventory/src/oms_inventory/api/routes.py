"""Routes of the inventory service: each calls the Application (commands, and reads of one
aggregate) or a view's query.

Who may call (DESIGN section 9): inventory keeps no customer's records, so roles decide
alone. Stock receipts, pick lists (they name orders) and their confirmation: warehouse,
back office and admin. Stock levels: every role but partners (reps read availability, the
B2B portal shows it to customers). Partners: nothing (403)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, status
from oms_kit.auth import BACK_OFFICE, CUSTOMER, SALES_REP, WAREHOUSE, allow
from oms_kit.http import Paging

from oms_inventory.api.models import (
    PickConfirmationCreate,
    PickConfirmationPublic,
    PickListPublic,
    PickListsPublic,
    StockListPublic,
    StockPublic,
    StockReceiptCreate,
)
from oms_inventory.application import InventoryApplication
from oms_inventory.projections.stock_levels import StockLevelFilter, StockLevelsView

#: Who receives and picks stock, and reads the pick lists.
STOCK_KEEPERS = (WAREHOUSE, BACK_OFFICE)
#: Who reads stock levels.
STOCK_READERS = (*STOCK_KEEPERS, SALES_REP, CUSTOMER)


def build_router(app: InventoryApplication, stock_levels: StockLevelsView) -> APIRouter:
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

    return router
