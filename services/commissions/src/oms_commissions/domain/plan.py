"""A sales rep's commission plan: his own rate and the rules that override it for a
customer, a product (sku) or both. The most specific rule wins: sku and customer, then sku,
then customer, then the rep's rate. A rule for the same customer and sku again replaces the
earlier one from then on; what was accrued keeps the rate it was accrued at."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from oms_commissions.domain.errors import InvalidRate, RuleWithoutTarget
from oms_commissions.domain.money import HUNDRED, ZERO

REP_RATE = "rep"


@dataclass(frozen=True)
class AppliedRate:
    """The rate that applies to a line, and where it comes from: ``rep`` or a rule's id."""

    rate_percent: Decimal
    source: str


def check_rate(rate_percent: Decimal) -> Decimal:
    if not rate_percent.is_finite() or not ZERO <= rate_percent <= HUNDRED:
        raise InvalidRate("rate_percent must be between 0 and 100")
    return rate_percent


class CommissionPlan(Aggregate):
    class Opened(Aggregate.Created):
        sales_rep_id: str

    class RateSet(Aggregate.Event):
        sales_rep_id: str
        rate_percent: Decimal

    class RuleAdded(Aggregate.Event):
        rule_id: str
        sales_rep_id: str
        customer_id: str | None
        sku: str | None
        rate_percent: Decimal

    @staticmethod
    def create_id(sales_rep_id: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"oms/commissions/plan/{sales_rep_id}")

    @event(Opened)
    def __init__(self, sales_rep_id: str) -> None:
        self.sales_rep_id = sales_rep_id
        self.rate_percent = ZERO
        #: (sku, customer_id) -> (rule_id, rate); None stands for "any".
        self.rules: dict[tuple[str | None, str | None], tuple[str, Decimal]] = {}

    def set_rate(self, rate_percent: Decimal) -> None:
        self._rate_set(self.sales_rep_id, check_rate(rate_percent))

    @event(RateSet)
    def _rate_set(self, sales_rep_id: str, rate_percent: Decimal) -> None:
        self.rate_percent = rate_percent

    def add_rule(
        self, rule_id: str, customer_id: str | None, sku: str | None, rate_percent: Decimal
    ) -> None:
        if not customer_id and not sku:
            raise RuleWithoutTarget()
        self._rule_added(
            rule_id, self.sales_rep_id, customer_id or None, sku or None, check_rate(rate_percent)
        )

    @event(RuleAdded)
    def _rule_added(
        self,
        rule_id: str,
        sales_rep_id: str,
        customer_id: str | None,
        sku: str | None,
        rate_percent: Decimal,
    ) -> None:
        self.rules[(sku, customer_id)] = (rule_id, rate_percent)

    def rate_for(self, sku: str, customer_id: str) -> AppliedRate:
        """The rate of a line of ``sku`` sold to ``customer_id``: the most specific rule."""
        for key in ((sku, customer_id), (sku, None), (None, customer_id)):
            if key in self.rules:
                rule_id, rate = self.rules[key]
                return AppliedRate(rate, rule_id)
        return AppliedRate(self.rate_percent, REP_RATE)


def rate_without_plan() -> AppliedRate:
    """A rep with no rate set and no rules earns nothing (rate 0), until one is set."""
    return AppliedRate(ZERO, REP_RATE)
