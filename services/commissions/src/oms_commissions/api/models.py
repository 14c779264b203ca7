"""Request and response models of the commissions routes (DESIGN section 12)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from oms_kit.types import Money
from pydantic import BaseModel, Field, StringConstraints

#: A commission rate in percent: 0 to 100, at most four decimals.
RatePercent = Annotated[Money, Field(ge=0, le=100, allow_inf_nan=False, decimal_places=4)]
Id = Annotated[str, StringConstraints(min_length=1, max_length=200)]

View = Literal["to_invoice", "invoiced", "paid"]


class RateUpdate(BaseModel):
    rate_percent: RatePercent


class RulePublic(BaseModel):
    rule_id: str
    sales_rep_id: str
    customer_id: str | None
    sku: str | None
    rate_percent: Money


class PlanPublic(BaseModel):
    sales_rep_id: str
    rate_percent: Money
    rules: list[RulePublic]


class RuleCreate(BaseModel):
    sales_rep_id: Id
    customer_id: Id | None = None
    sku: Id | None = None
    rate_percent: RatePercent


class CommissionItemPublic(BaseModel):
    sales_rep_id: str
    customer_id: str
    customer_name: str
    titles_total: Money
    base: Money
    commission: Money


class CommissionTotalsPublic(BaseModel):
    titles_total: Money
    base: Money
    commission: Money


class CommissionListPublic(BaseModel):
    view: View
    items: list[CommissionItemPublic]
    totals: CommissionTotalsPublic
    next_cursor: str | None


class SettlementCreate(BaseModel):
    sales_rep_id: Id
    until: date


class SettlementLinePublic(BaseModel):
    entry_id: str
    invoice_id: str
    customer_id: str
    earned_on: date
    commission: Money


class SettlementPublic(BaseModel):
    settlement_id: str
    sales_rep_id: str
    until: date
    amount: Money
    settled_at: datetime
    lines: list[SettlementLinePublic]


class SettlementListPublic(BaseModel):
    items: list[SettlementPublic]
    next_cursor: str | None
