"""The checked-in JSON Schema / AsyncAPI files match the models; messages round-trip."""

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import pytest
from jsonschema import Draft202012Validator
from oms_contracts import Envelope, InvalidMessage, UnknownEvent, parse_message, registry
from oms_contracts.export import default_dir, message_schema, rendered_files, schema_filename
from oms_contracts.orders import Line, OrderPlaced

SCHEMAS = default_dir()


def test_checked_in_files_match_the_models() -> None:
    expected = rendered_files()
    on_disk = {
        str(p.relative_to(SCHEMAS)): p.read_text(encoding="utf-8") for p in SCHEMAS.rglob("*.json")
    }
    stale = sorted(set(on_disk) - set(expected))
    missing = sorted(set(expected) - set(on_disk))
    changed = sorted(k for k in expected if k in on_disk and on_disk[k] != expected[k])
    assert not (stale or missing or changed), (
        f"contracts/schemas drifted from the models (run `make schemas`): "
        f"stale={stale} missing={missing} changed={changed}"
    )


def test_every_order_to_cash_event_is_defined() -> None:
    names = {m.event_type for m in registry.all()}
    for name in [
        "QuoteCreated",
        "QuoteAccepted",
        "OrderPlaced",
        "OrderApproved",
        "OrderConfirmed",
        "OrderCancelled",
        "StockReserved",
        "StockShortage",
        "PickListCreated",
        "StockPicked",
        "GoodsIssued",
        "InvoiceIssued",
        "InvoiceStamped",
        "ReceivableOpened",
        "PaymentReceived",
        "InvoicePaid",
        "JournalEntryPosted",
    ]:
        assert name in names


def _order_placed() -> OrderPlaced:
    line = Line(
        line_no=1,
        sku="SKU-1",
        quantity=Decimal(2),
        unit_price=Decimal("10.50"),
        tax_rate=Decimal("0.16"),
        net_amount=Decimal("21.00"),
    )
    return OrderPlaced(
        order_id="o-1",
        customer_id="c-1",
        origin="backoffice",
        currency="MXN",
        lines=[line],
        net_total=Decimal("21.00"),
        tax_total=Decimal("3.36"),
        total=Decimal("24.36"),
        status="pending_approval",
    )


def _message(payload: object, **overrides: object) -> bytes:
    envelope = Envelope[object](
        event_id=uuid4(),
        event_type="OrderPlaced",
        event_version=1,
        occurred_at=datetime.now(UTC),
        source="orders",
        source_position=7,
        aggregate_id="o-1",
        aggregate_version=1,
        payload=payload,
    )
    data = json.loads(envelope.model_dump_json())
    data.update(overrides)
    return json.dumps(data).encode()


def test_a_message_round_trips_with_money_as_decimal_strings() -> None:
    raw = _message(_order_placed())
    data = json.loads(raw)
    assert data["payload"]["total"] == "24.36"
    assert data["payload"]["lines"][0]["quantity"] == 2
    envelope, event = parse_message(raw)
    assert envelope.source_position == 7
    assert event == _order_placed()
    assert isinstance(event, OrderPlaced) and event.total == Decimal("24.36")


def test_a_message_validates_against_its_checked_in_schema() -> None:
    schema = json.loads((SCHEMAS / schema_filename(OrderPlaced)).read_text())
    Draft202012Validator.check_schema(schema)
    Draft202012Validator(schema).validate(json.loads(_message(_order_placed())))
    bad = json.loads(_message(_order_placed()))
    bad["payload"]["total"] = 24.36  # a float is not money
    assert list(Draft202012Validator(schema).iter_errors(bad))


@pytest.mark.parametrize(
    ("raw", "error", "words"),
    [
        (b"{not json", InvalidMessage, "not JSON"),
        (_message({}, event_type="NoSuchEvent"), UnknownEvent, "NoSuchEvent"),
        (_message({"order_id": "o-1"}), InvalidMessage, "customer_id"),
        (_message({}, source_position=0), InvalidMessage, "source_position"),
    ],
)
def test_bad_messages_are_refused_with_the_reason(raw: bytes, error: type, words: str) -> None:
    with pytest.raises(error, match=words):
        parse_message(raw)


def test_each_schema_names_its_event_and_requires_the_envelope() -> None:
    for model in registry.all():
        schema = message_schema(model)
        assert schema["properties"]["event_type"]["const"] == model.event_type
        assert set(schema["required"]) >= {
            "event_id",
            "event_type",
            "source_position",
            "aggregate_id",
            "payload",
        }


def test_asyncapi_lists_a_channel_per_topic_and_every_message() -> None:
    doc = json.loads((SCHEMAS / "asyncapi.json").read_text())
    assert doc["asyncapi"].startswith("3.")
    addresses = {c["address"] for c in doc["channels"].values()}
    assert "oms.orders.events" in addresses and "oms.billing.dlq" in addresses
    listed = sum(len(c.get("messages", {})) for c in doc["channels"].values())
    assert listed == len(registry.all())
    for channel in doc["channels"].values():
        for message in channel.get("messages", {}).values():
            assert (SCHEMAS / message["payload"]["$ref"]).exists()


def test_schema_dir_is_inside_the_contracts_package() -> None:
    assert Path(SCHEMAS).name == "schemas" and (SCHEMAS.parent / "pyproject.toml").exists()
