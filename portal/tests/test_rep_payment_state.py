"""The payment column of the rep's order list, from billing's invoices of the order."""

from __future__ import annotations

from oms_portal.pages.rep import payment_of


def invoice(total: str, open_amount: str, status: str = "stamped") -> dict[str, str]:
    return {"total": total, "open_amount": open_amount, "status": status}


def test_the_payment_state_counts_the_invoices_not_cancelled() -> None:
    assert payment_of([]) == "not_invoiced"
    assert payment_of([invoice("10.00", "10.00")]) == "unpaid"
    assert payment_of([invoice("10.00", "4.00")]) == "partly_paid"
    assert payment_of([invoice("10.00", "0.00", "paid")]) == "paid"
    # A cancelled invoice has nothing open, yet nothing was paid: it counts as none.
    assert payment_of([invoice("10.00", "0.00", "cancelled")]) == "not_invoiced"
    assert payment_of([invoice("10.00", "0.00", "cancelled"), invoice("10.00", "10.00")]) == (
        "unpaid"
    )
