"""Routes of the customers list: ``GET /customers?q=&limit=&cursor=``, by name, within
the caller's reach (api/scope.py: the back office every customer, a rep his portfolio, a
customer himself; any other role 403). One customer is ``GET /customers/{id}``
(api/routes.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from oms_kit.auth import CurrentUser, Scope, allow
from oms_kit.http import Paging

from oms_orders.api.models import CustomerListPublic, CustomerSummaryPublic
from oms_orders.api.scope import SELLERS_AND_BUYERS
from oms_orders.projections.customer_list import CustomerFilter, CustomerListView


def build_customers_router(customer_list: CustomerListView) -> APIRouter:
    router = APIRouter(tags=["customers"])

    @router.get("/customers", dependencies=[allow(*SELLERS_AND_BUYERS)])
    def list_customers(
        caller: CurrentUser,
        paging: Paging,
        q: Annotated[str | None, Query(max_length=200)] = None,
    ) -> CustomerListPublic:
        """By name (case aside); ``q`` is found anywhere in the name, tax id or e-mail."""
        page = customer_list.list_customers(CustomerFilter(search=q), paging, Scope.of(caller))
        return CustomerListPublic(
            items=[CustomerSummaryPublic.model_validate(item) for item in page.items],
            next_cursor=page.next_cursor,
        )

    return router
