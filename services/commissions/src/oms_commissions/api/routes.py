"""Routes of the commissions service: each reads a view or calls the Application.

Who may call (DESIGN section 9): back office and admin everything; a sales rep reads his
own commissions, rate and settlements (another rep's answer 404, as if they did not
exist); customers, warehouse and partners nothing (403). Only back office and admin set
rates and rules and settle."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from oms_kit.auth import BACK_OFFICE, SALES_REP, CurrentUser, Scope, allow
from oms_kit.http import Paging

from oms_commissions.api.models import (
    CommissionItemPublic,
    CommissionListPublic,
    CommissionTotalsPublic,
    PlanPublic,
    RateUpdate,
    RuleCreate,
    RulePublic,
    SettlementCreate,
    SettlementLinePublic,
    SettlementListPublic,
    SettlementPublic,
    View,
)
from oms_commissions.application import CommissionsApplication
from oms_commissions.domain.errors import PlanNotFound
from oms_commissions.domain.plan import CommissionPlan
from oms_commissions.projections.commissions import CommissionFilter, CommissionsView
from oms_commissions.projections.settlements import SettlementsView


def caller_scope(caller: CurrentUser) -> Scope:
    return Scope.of(caller)


#: Whose commissions the caller may see: every rep's (staff) or his own (a rep).
CallerScope = Annotated[Scope, Depends(caller_scope)]


def make_router(
    app: CommissionsApplication, commissions: CommissionsView, settlements: SettlementsView
) -> APIRouter:
    router = APIRouter(
        tags=["commissions"],
        dependencies=[allow(BACK_OFFICE, SALES_REP)],
        responses={403: {"description": "the caller's role may not do this"}},
    )

    @router.put(
        "/sales-reps/{sales_rep_id}/commission",
        response_model=PlanPublic,
        dependencies=[allow(BACK_OFFICE)],
    )
    def set_rate(sales_rep_id: str, body: RateUpdate) -> PlanPublic:
        """The rep's own commission rate (percent) for lines no rule covers, from now on:
        what was accrued keeps the rate it was accrued at."""
        return plan_public(app.set_rate(sales_rep_id, body.rate_percent))

    @router.get(
        "/sales-reps/{sales_rep_id}/commission",
        response_model=PlanPublic,
        responses={404: {"description": "no rate or rule set for this rep"}},
    )
    def get_rate(sales_rep_id: str, scope: CallerScope) -> PlanPublic:
        """The rep's rate and rules (a rep reads his own)."""
        if not scope.everything and scope.sales_rep_id != sales_rep_id:
            raise PlanNotFound(sales_rep_id)
        return plan_public(app.get_plan(sales_rep_id))

    @router.post(
        "/commission-rules",
        status_code=status.HTTP_201_CREATED,
        response_model=RulePublic,
        dependencies=[allow(BACK_OFFICE)],
    )
    def add_rule(body: RuleCreate) -> RulePublic:
        """A rate for the rep's sales to a customer, of a product (sku), or both; the most
        specific applies (sku and customer, then sku, then customer, then the rep's rate)."""
        rule_id = app.add_rule(body.sales_rep_id, body.rate_percent, body.customer_id, body.sku)
        return RulePublic(
            rule_id=rule_id,
            sales_rep_id=body.sales_rep_id,
            customer_id=body.customer_id or None,
            sku=body.sku or None,
            rate_percent=body.rate_percent,
        )

    @router.get("/commissions", response_model=CommissionListPublic)
    def list_commissions(
        scope: CallerScope,
        page: Paging,
        view: View,
        sales_rep_id: str | None = None,
        customer_id: str | None = None,
        date_from: Annotated[date | None, Query(alias="from")] = None,
        date_to: Annotated[date | None, Query(alias="to")] = None,
    ) -> CommissionListPublic:
        """The position of commissions per rep and customer: on what confirmed orders still
        have to invoice (by expected delivery date), on invoices issued, or on payments
        received in the period; newest first, paged; totals over every item."""
        found = commissions.list_commissions(
            scope,
            CommissionFilter(
                view=view,
                sales_rep_id=sales_rep_id,
                customer_id=customer_id,
                date_from=date_from,
                date_to=date_to,
            ),
            page,
        )
        return CommissionListPublic(
            view=view,
            items=[
                CommissionItemPublic(
                    sales_rep_id=item.sales_rep_id,
                    customer_id=item.customer_id,
                    customer_name=item.customer_name,
                    titles_total=item.titles_total,
                    base=item.base,
                    commission=item.commission,
                )
                for item in found.items
            ],
            totals=CommissionTotalsPublic(**found.totals),
            next_cursor=found.next_cursor,
        )

    @router.post(
        "/settlements",
        status_code=status.HTTP_201_CREATED,
        response_model=SettlementPublic,
        dependencies=[allow(BACK_OFFICE)],
        responses={409: {"description": "nothing earned and unsettled up to that date"}},
    )
    def settle(body: SettlementCreate) -> SettlementPublic:
        """Pay the rep what he earned on payments up to ``until`` and was not settled
        before; once, even with two requests at once (the second answers 409)."""
        settled = app.settle(body.sales_rep_id, body.until.isoformat())
        return settlement_public(
            {
                "settlement_id": settled.settlement_id,
                "sales_rep_id": settled.sales_rep_id,
                "until": settled.until,
                "amount": settled.amount,
                "settled_at": settled.settled_at,
                "lines": settled.lines,
            }
        )

    @router.get("/settlements", response_model=SettlementListPublic)
    def list_settlements(
        scope: CallerScope, page: Paging, sales_rep_id: str | None = None
    ) -> SettlementListPublic:
        """Settlements, newest first (a rep sees his own)."""
        found = settlements.list_settlements(scope, page, sales_rep_id=sales_rep_id)
        return SettlementListPublic(
            items=[settlement_public(vars(item)) for item in found.items],
            next_cursor=found.next_cursor,
        )

    return router


def plan_public(plan: CommissionPlan) -> PlanPublic:
    return PlanPublic(
        sales_rep_id=plan.sales_rep_id,
        rate_percent=plan.rate_percent,
        rules=[
            RulePublic(
                rule_id=rule_id,
                sales_rep_id=plan.sales_rep_id,
                customer_id=customer_id,
                sku=sku,
                rate_percent=rate,
            )
            for (sku, customer_id), (rule_id, rate) in plan.rules.items()
        ],
    )


def settlement_public(settlement: dict[str, Any]) -> SettlementPublic:
    return SettlementPublic(
        settlement_id=settlement["settlement_id"],
        sales_rep_id=settlement["sales_rep_id"],
        until=settlement["until"],
        amount=settlement["amount"],
        settled_at=settlement["settled_at"],
        lines=[
            SettlementLinePublic(
                entry_id=line["entry_id"],
                invoice_id=line["invoice_id"],
                customer_id=line["customer_id"],
                earned_on=line["earned_on"],
                commission=line["commission"],
            )
            for line in settlement["lines"]
        ],
    )
