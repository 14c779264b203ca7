"""The commissions service's errors: the kit's domain errors, naming the offending input."""

from __future__ import annotations

from oms_kit.domain import Conflict, InvalidInput, NotFound


class InvalidRate(InvalidInput):
    def __init__(self, message: str) -> None:
        super().__init__(message, field="rate_percent")


class RuleWithoutTarget(InvalidInput):
    def __init__(self) -> None:
        super().__init__(
            "a rule names a customer_id, a sku or both (the rep's own rate is set with "
            "PUT /sales-reps/{id}/commission)",
            field="customer_id",
        )


class OrderNotPlaced(Conflict):
    """A confirmation of an order whose placement was not seen (it cannot tell the rep)."""

    def __init__(self, order_id: str) -> None:
        super().__init__(f"order {order_id} is not known to have been placed", field="order_id")


class NothingToSettle(Conflict):
    """No earned commission left unsettled up to the date (settled already, or none)."""

    def __init__(self, sales_rep_id: str, until: str) -> None:
        super().__init__(
            f"sales rep {sales_rep_id} has no earned commission left to settle up to {until}",
            field="until",
        )


class PlanNotFound(NotFound):
    def __init__(self, sales_rep_id: str) -> None:
        super().__init__(f"no commission rate for sales rep {sales_rep_id}", field="sales_rep_id")
