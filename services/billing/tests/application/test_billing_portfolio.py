"""Which sales rep each customer has, learned from the orders service's customer events:
registrations and updates, repeats, and events out of order (each is ordered by the
version of the customer it comes from, the envelope's aggregate version)."""

from __future__ import annotations

from billing_examples import customer_registered, customer_updated
from oms_billing.application import BillingApplication
from oms_billing.domain.customer import CustomerAccount
from oms_dev.inmemory import ServiceInMemory


def account(billing: ServiceInMemory, customer_id: str) -> CustomerAccount:
    app: BillingApplication = billing.app
    found = app.find(CustomerAccount, CustomerAccount.create_id(customer_id))
    assert found is not None, customer_id
    return found


def test_a_registered_customer_is_in_the_portfolio_of_the_rep_it_names(
    billing: ServiceInMemory,
) -> None:
    outcome = billing.deliver(customer_registered("cust-1", "rep-1"), aggregate_version=1)
    assert outcome.status == "applied"
    assert account(billing, "cust-1").sales_rep_id == "rep-1"
    assert billing.published() == []  # billing's copy of the customer is private


def test_a_customer_registered_without_a_rep_is_in_no_portfolio(
    billing: ServiceInMemory,
) -> None:
    billing.deliver(customer_registered("cust-1"), aggregate_version=1)
    assert account(billing, "cust-1").sales_rep_id is None


def test_an_update_naming_another_rep_moves_the_customer(billing: ServiceInMemory) -> None:
    billing.deliver(customer_registered("cust-1", "rep-1"), aggregate_version=1)
    billing.deliver(customer_updated("cust-1", "rep-2"), aggregate_version=2)
    assert account(billing, "cust-1").sales_rep_id == "rep-2"


def test_an_update_that_does_not_name_a_rep_leaves_him(billing: ServiceInMemory) -> None:
    billing.deliver(customer_registered("cust-1", "rep-1"), aggregate_version=1)
    outcome = billing.deliver(customer_updated("cust-1"), aggregate_version=2)
    assert outcome.status == "applied"
    found = account(billing, "cust-1")
    # opened, assigned, the details of the registration: no more
    assert (found.sales_rep_id, found.version) == ("rep-1", 3)


def test_a_repeated_customer_event_changes_nothing(billing: ServiceInMemory) -> None:
    registered = customer_registered("cust-1", "rep-1")
    assert billing.deliver(registered, position=5, aggregate_version=1).status == "applied"
    assert billing.deliver(registered, position=5, aggregate_version=1).status == "duplicate"
    moved = customer_updated("cust-1", "rep-2")
    assert billing.deliver(moved, position=6, aggregate_version=2).status == "applied"
    # The same events republished under other positions: known versions, nothing changes.
    assert billing.deliver(registered, position=9, aggregate_version=1).status == "applied"
    assert billing.deliver(moved, position=10, aggregate_version=2).status == "applied"
    found = account(billing, "cust-1")
    # opened, assigned with the registration's details, moved: no more
    assert (found.sales_rep_id, found.version) == ("rep-2", 4)


def test_an_update_before_the_registration_is_not_lost(billing: ServiceInMemory) -> None:
    """The update is newer than the registration that arrives after it: its rep stands."""
    early = billing.deliver(customer_updated("cust-1", "rep-2"), aggregate_version=2)
    assert early.status == "applied"
    assert account(billing, "cust-1").sales_rep_id == "rep-2"
    late = billing.deliver(customer_registered("cust-1", "rep-1"), aggregate_version=1)
    assert late.status == "applied"
    assert account(billing, "cust-1").sales_rep_id == "rep-2"
    billing.deliver(customer_updated("cust-1", "rep-1"), aggregate_version=3)
    assert account(billing, "cust-1").sales_rep_id == "rep-1"


def test_updates_out_of_order_end_with_the_latest_rep(billing: ServiceInMemory) -> None:
    """Back to the first rep at version 3: the move to another rep at version 2, arriving
    last, is older and must not win (the same rep again still counts as newer)."""
    billing.deliver(customer_registered("cust-1", "rep-1"), aggregate_version=1)
    billing.deliver(customer_updated("cust-1", "rep-1"), aggregate_version=3)
    billing.deliver(customer_updated("cust-1", "rep-2"), aggregate_version=2)
    assert account(billing, "cust-1").sales_rep_id == "rep-1"


def test_each_customer_has_a_rep_of_his_own(billing: ServiceInMemory) -> None:
    billing.deliver(customer_registered("cust-1", "rep-1"), aggregate_version=1)
    billing.deliver(customer_registered("cust-2", "rep-2"), aggregate_version=1)
    billing.deliver(customer_updated("cust-2", "rep-1"), aggregate_version=2)
    assert [account(billing, c).sales_rep_id for c in ("cust-1", "cust-2")] == ["rep-1", "rep-1"]
