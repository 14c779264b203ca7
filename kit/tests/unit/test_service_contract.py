"""The service-side contract without I/O: inbound handlers through the exactly-once path on
the in-memory event store, outbound mappings, view dispatch, pages and domain errors."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

import pytest
from eventsourcing.persistence import IntegrityError, Tracking
from oms_contracts.orders import CustomerRegistered, CustomerUpdated
from oms_dev.inmemory import envelope_bytes
from oms_kit.consumer import ExactlyOnceConsumer
from oms_kit.domain import Conflict, DomainError, InvalidInput, NotFound
from oms_kit.eventstore import MemoryProcessRecorder, build_application
from oms_kit.paging import PageRequest, Where, decode_cursor, encode_cursor, keyset_query, page_of
from oms_kit.projection import DictCursor, Stored, View
from oms_kit.service import Inbound, Outbound
from oms_kit.settings import ServiceSettings
from sample.app import Account, Customer, SampleBilling, billing_inbound, to_contract


class BillingSettings(ServiceSettings):
    service: ClassVar[str] = "billing"


def memory_billing() -> SampleBilling:
    return build_application(SampleBilling, BillingSettings(event_store="memory"))


def registered(customer_id: str, name: str = "Ana") -> CustomerRegistered:
    return CustomerRegistered(
        customer_id=customer_id,
        name=name,
        tax_id="T-1",
        email="ana@example.com",
        credit_limit=Decimal("10.00"),
        currency="EUR",
        payment_terms_days=[30],
    )


def test_the_in_memory_store_needs_no_database_and_is_chosen_by_name() -> None:
    app = memory_billing()
    assert isinstance(app.recorder, MemoryProcessRecorder)
    with pytest.raises(ValueError, match="pg_dsn"):
        BillingSettings(_env_file=None, pg_dsn=None)  # postgres without a DSN is refused


def test_a_reaction_is_recorded_once_with_its_tracking_record() -> None:
    app = memory_billing()
    consumer = ExactlyOnceConsumer(app, "billing", billing_inbound)
    raw = envelope_bytes(registered("c-1"), source_position=7, aggregate_version=1)

    assert consumer.process(raw).status == "applied"
    assert consumer.process(raw).status == "duplicate"  # redelivered: nothing changes

    account = app.find(Account, Account.create_id("c-1"))
    assert account is not None and account.applied == [1]
    assert app.is_processed(Tracking("orders", 7))
    assert not app.is_processed(Tracking("orders", 6))


def test_events_arriving_out_of_position_order_are_each_applied_once() -> None:
    app = memory_billing()
    consumer = ExactlyOnceConsumer(app, "billing", billing_inbound)
    consumer.process(envelope_bytes(registered("c-1"), source_position=1))
    rename = envelope_bytes(CustomerUpdated(customer_id="c-1", name="B"), source_position=9)
    later_rename_first = envelope_bytes(
        CustomerUpdated(customer_id="c-1", name="C"), source_position=12, aggregate_version=3
    )
    assert consumer.process(later_rename_first).status == "applied"
    assert consumer.process(rename).status == "applied"  # position 9 after 12: still applied
    assert consumer.process(rename).status == "duplicate"


def test_a_handler_that_fails_is_a_dead_letter_and_records_nothing() -> None:
    app = memory_billing()
    consumer = ExactlyOnceConsumer(app, "billing", billing_inbound)
    consumer.process(envelope_bytes(registered("c-1"), source_position=1))
    bad = envelope_bytes(CustomerUpdated(customer_id="c-1", name="explode"), source_position=2)
    outcome = consumer.process(bad)
    assert outcome.status == "dead-letter"
    assert outcome.dead_letter is not None and "cannot be applied" in outcome.dead_letter.reason
    assert not app.is_processed(Tracking("orders", 2))


def test_the_memory_recorder_refuses_exactly_a_repeated_tracking_record() -> None:
    recorder = MemoryProcessRecorder()
    recorder.insert_events([], tracking=Tracking("orders", 5))
    recorder.insert_events([], tracking=Tracking("orders", 3))
    with pytest.raises(IntegrityError):
        recorder.insert_events([], tracking=Tracking("orders", 5))


def test_inbound_knows_its_sources_and_refuses_two_handlers_for_one_event() -> None:
    assert billing_inbound.sources == ["orders"]
    inbound = Inbound(SampleBilling)
    inbound.on(CustomerRegistered)(lambda app, event: None)
    with pytest.raises(ValueError, match="CustomerRegistered"):
        inbound.on(CustomerRegistered)(lambda app, event: None)


def test_outbound_maps_published_events_and_keeps_the_rest_private() -> None:
    customer = Customer(name="Ana", email="a@example.com")
    customer.add_note("private")
    registered_event, note = customer.collect_events()
    public = to_contract(registered_event)
    assert isinstance(public, CustomerRegistered) and public.name == "Ana"
    assert to_contract(note) is None
    outbound = Outbound()
    outbound.maps(Customer.NoteAdded)(lambda event: None)
    with pytest.raises(ValueError, match="NoteAdded"):
        outbound.maps(Customer.NoteAdded)(lambda event: None)


class SeenView(View):
    name = "seen"
    tables = ()
    ddl = ""

    def __init__(self) -> None:
        super().__init__(memory_billing())
        self.seen: list[str] = []

    def on_opened(self, cur: DictCursor, event: Account.Opened, stored: Stored) -> None:
        self.seen.append(f"opened@{stored.position}")

    def on_any_customer_event(self, cur: DictCursor, event: Customer.Event, stored: Stored) -> None:
        self.seen.append(type(event).__name__)


def test_a_view_follows_each_event_with_its_most_specific_method() -> None:
    view = SeenView()
    account = Account(customer_id="c-1", name="A", source_version=1)
    customer = Customer(name="Ana", email="a@example.com")
    customer.rename("B")
    stored = Stored(position=4, meta={})
    cur: Any = None  # the methods here touch no database
    for event in [*account.collect_events(), *customer.collect_events()]:
        view.apply(cur, event, stored)
    assert view.seen == ["opened@4", "Registered", "Renamed"]


def test_a_cursor_carries_its_key_and_a_foreign_one_is_refused_naming_the_field() -> None:
    key = (datetime(2026, 12, 3, 7, tzinfo=UTC), "o-1", 3, Decimal("1.50"))
    assert decode_cursor(encode_cursor(key), 4) == key
    for foreign in ["abc", encode_cursor(("x",)), "!!!"]:
        with pytest.raises(InvalidInput) as raised:
            decode_cursor(foreign, 4)
        assert raised.value.field == "cursor"


def test_a_page_holds_limit_items_and_a_cursor_only_when_there_is_more() -> None:
    rows = [{"id": n} for n in range(5)]
    page = page_of(rows, 4, lambda row: (row["id"],))
    assert [r["id"] for r in page.items] == [0, 1, 2, 3]
    assert page.next_cursor is not None and decode_cursor(page.next_cursor, 1) == (3,)
    assert page_of(rows[:4], 4, lambda row: (row["id"],)).next_cursor is None


def test_a_keyset_query_filters_orders_and_asks_for_one_more_row() -> None:
    where = Where().equals("status", "paid").equals("customer_id", None)
    cursor = encode_cursor(("2026-12-01", "o-9"))
    query, params = keyset_query(
        "SELECT * FROM t", where, ("issued_at", "order_id"), PageRequest(limit=10, cursor=cursor)
    )
    text = query.as_string(None)
    assert '"status" = %s' in text and "customer_id" not in text
    assert '("issued_at", "order_id") < (%s, %s)' in text
    assert 'ORDER BY "issued_at" DESC, "order_id" DESC LIMIT %s' in text
    assert params == ["paid", "2026-12-01", "o-9", 11]


def test_domain_errors_carry_their_status_and_field() -> None:
    assert (InvalidInput("x", "a").status, NotFound("x").status, Conflict("x").status) == (
        422,
        404,
        409,
    )
    error: DomainError = NotFound("no customer c-9", field="customer_id")
    assert (error.message, error.field) == ("no customer c-9", "customer_id")
