"""The Quote aggregate, given/when/then, without I/O."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from oms_kit.domain import Conflict, InvalidInput
from oms_orders.domain.pricing import CatalogueEntry, LineRequest, price_line
from oms_orders.domain.quote import Quote

WIDGET = CatalogueEntry(
    sku="SKU-1", unit_price=Decimal("10.00"), currency="EUR", tax_rate=Decimal("0.21")
)
TODAY = date(2025, 6, 1)


def lines(quantity: str) -> list[dict[str, object]]:
    return [price_line(0, LineRequest(sku="SKU-1", quantity=Decimal(quantity)), WIDGET, "EUR")]


def draft(valid_until: date | None = None) -> Quote:
    return Quote.draft("c-1", "EUR", lines("2"), valid_until, TODAY)


def test_a_draft_is_priced_and_revised_back_to_draft() -> None:
    quote = draft()
    assert (quote.status, quote.total, quote.revision) == ("draft", Decimal("24.20"), 1)
    quote.send("a@example.com")
    quote.revise(lines("3"))
    assert (quote.status, quote.total, quote.revision) == ("draft", Decimal("36.30"), 2)
    names = [type(e).__name__ for e in quote.collect_events()]
    assert names == ["QuoteCreated", "QuoteSent", "QuoteRevised"]


def test_accepted_rejected_or_expired_quotes_cannot_change() -> None:
    accepted = draft()
    accepted.send("a@example.com")
    accepted.accept("order-1")
    assert (accepted.status, accepted.order_id) == ("accepted", "order-1")
    for action in (lambda: accepted.reject("no"), accepted.expire, lambda: accepted.accept("o")):
        with pytest.raises(Conflict):
            action()
    rejected = draft()
    rejected.reject("too expensive")
    with pytest.raises(Conflict):
        rejected.send("a@example.com")


def test_validity_is_checked() -> None:
    with pytest.raises(InvalidInput) as err:
        draft(valid_until=date(2025, 5, 31))
    assert err.value.field == "valid_until"
    quote = draft(valid_until=TODAY)
    assert not quote.is_past_validity(TODAY)
    assert quote.is_past_validity(date(2025, 6, 2))
