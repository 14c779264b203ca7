"""The partner push API (DESIGN section 13): partners (client-credentials tokens) push
orders and read what they pushed. An ``Idempotency-Key`` is required, bound to the partner
and the body: the same request again answers the same, the same key with another body
answers 422 naming the key. A partner sees only its own orders (another's: 404); the
staff see every partner's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response, status
from oms_kit.auth import BACK_OFFICE, PARTNER, CurrentUser, Forbidden, allow
from oms_kit.types import QuantityIn
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from oms_marketplace_ingest.application import MarketplaceIngestApplication
from oms_marketplace_ingest.domain.partner_order import RECEIVED, PartnerLine, PartnerOrder

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class PartnerLineCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Text
    quantity: QuantityIn


class PartnerOrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    external_order_id: Text
    lines: list[PartnerLineCreate] = Field(min_length=1, max_length=500)
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


class PartnerOrderPublic(BaseModel):
    order_id: str
    status: str


def build_partner_router(app: MarketplaceIngestApplication) -> APIRouter:
    router = APIRouter(
        tags=["partners"],
        responses={403: {"description": "the caller's role may not do this"}},
    )

    @router.post(
        "/partner/orders",
        status_code=status.HTTP_202_ACCEPTED,
        dependencies=[allow(PARTNER)],
        responses={422: {"description": "a bad body, or the Idempotency-Key reused with another"}},
    )
    def push_order(
        body: PartnerOrderCreate,
        caller: CurrentUser,
        response: Response,
        idempotency_key: Annotated[
            str, Header(alias="Idempotency-Key", min_length=1, max_length=200)
        ],
    ) -> PartnerOrderPublic:
        """Accept an order for the orders service (origin ``partner``, booked to the
        partner's customer, waiting for approval). The same key and body again answer the
        same (header ``idempotent-replay: true``) and accept nothing new."""
        if caller.partner_id is None:
            raise Forbidden("only a partner client pushes orders")
        order, new = app.receive_partner_order(
            partner_id=caller.partner_id,
            idempotency_key=idempotency_key,
            external_order_id=body.external_order_id,
            lines=[PartnerLine(sku=line.sku, quantity=line.quantity) for line in body.lines],
            note=body.note,
        )
        if not new:
            response.headers["idempotent-replay"] = "true"
        # The answer to the first request, whenever it is repeated.
        return PartnerOrderPublic(order_id=order.order_id, status=RECEIVED)

    @router.get(
        "/partner/orders/{order_id}",
        dependencies=[allow(PARTNER, BACK_OFFICE)],
        responses={404: {"description": "no such order, or another partner's"}},
    )
    def get_order(order_id: str, caller: CurrentUser) -> PartnerOrderPublic:
        """The order's status: ``received`` until orders has placed it, then the OMS
        order's (``pending_approval``, ``confirmed``, ``on_hold``, ``cancelled``, ...)."""
        partner_id = None if caller.is_staff else caller.partner_id or ""
        order: PartnerOrder = app.get_partner_order(order_id, partner_id)
        return PartnerOrderPublic(order_id=order.order_id, status=order.status)

    return router
