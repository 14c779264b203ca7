"""Routes of price lists (DESIGN section 15): ``POST /price-lists`` (back office),
``GET /price-lists`` and ``GET /price-lists/{id}`` (back office and reps: they quote by
them). A customer is given one with ``PATCH /customers/{id}`` {price_list_id}."""

from __future__ import annotations

from fastapi import APIRouter
from oms_kit.auth import allow
from oms_kit.http import Paging

from oms_orders.api.models import (
    PriceListCreate,
    PriceListCreatedPublic,
    PriceListItemPublic,
    PriceListListPublic,
    PriceListPublic,
    PriceListSummaryPublic,
)
from oms_orders.api.scope import BACK_OFFICE_ONLY, PRICE_LIST_READERS
from oms_orders.application import OrdersApplication
from oms_orders.domain.price_list import PriceList, PriceListItem
from oms_orders.projections.price_list_list import PriceListListView


def price_list_public(price_list: PriceList) -> PriceListPublic:
    return PriceListPublic(
        price_list_id=price_list.price_list_id,
        name=price_list.name,
        currency=price_list.currency,
        valid_from=price_list.valid_from,
        valid_to=price_list.valid_to,
        items=[PriceListItemPublic.model_validate(item) for item in price_list.items],
    )


def build_price_lists_router(app: OrdersApplication, view: PriceListListView) -> APIRouter:
    router = APIRouter(tags=["price lists"])

    @router.post("/price-lists", status_code=201, dependencies=[allow(*BACK_OFFICE_ONLY)])
    def create_price_list(body: PriceListCreate) -> PriceListCreatedPublic:
        """Prices or discounts per sku, in one currency, valid between two dates (either
        open); a line entered without a price takes the list's (DESIGN section 15)."""
        price_list = app.create_price_list(
            name=body.name,
            currency=body.currency,
            valid_from=body.valid_from,
            valid_to=body.valid_to,
            items=[PriceListItem(**item.model_dump()) for item in body.items],
        )
        return PriceListCreatedPublic(price_list_id=price_list.price_list_id)

    @router.get("/price-lists", dependencies=[allow(*PRICE_LIST_READERS)])
    def list_price_lists(paging: Paging) -> PriceListListPublic:
        """Newest first."""
        page = view.list_price_lists(paging)
        return PriceListListPublic(
            items=[PriceListSummaryPublic.model_validate(item) for item in page.items],
            next_cursor=page.next_cursor,
        )

    @router.get("/price-lists/{price_list_id}", dependencies=[allow(*PRICE_LIST_READERS)])
    def get_price_list(price_list_id: str) -> PriceListPublic:
        return price_list_public(app.get(PriceList, price_list_id, field="price_list_id"))

    return router
