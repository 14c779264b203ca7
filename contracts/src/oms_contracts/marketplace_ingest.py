"""Public events of the marketplace-ingest service: orders imported from a marketplace and
their cancellations, import runs (never a credential, a token or a secret)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from oms_contracts.base import ContractEvent, DecimalStr, Quantity, UtcDatetime


class _MarketplaceIngest(ContractEvent):
    source = "marketplace-ingest"


class MarketplaceLine(BaseModel):
    """A line of an imported order: the catalogue SKU (mapped from the marketplace's) and
    the unit price (the marketplace's line amount divided by the quantity)."""

    model_config = ConfigDict(frozen=True)

    line_no: int = Field(ge=1)
    sku: str
    marketplace_sku: str
    quantity: Quantity
    unit_price: DecimalStr


class Address(BaseModel):
    """Who to ship to, as the marketplace gives it (parts may be withheld)."""

    model_config = ConfigDict(frozen=True)

    name: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    address_line3: str | None = None
    city: str | None = None
    district_or_county: str | None = None
    state_or_region: str | None = None
    postal_code: str | None = None
    country_code: str | None = None
    phone: str | None = None


class Buyer(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str | None = None
    email: str | None = None
    company: str | None = None


class MarketplaceOrderImported(_MarketplaceIngest):
    """An order read from a marketplace, once per (marketplace, external order id).
    ``order_id`` is the id the OMS sales order takes (origin ``marketplace``, the
    marketplace as ``channel``, booked to ``customer_id``)."""

    order_id: str
    connection_id: str
    marketplace: str
    channel: str
    marketplace_id: str
    external_order_id: str
    customer_id: str
    purchased_at: UtcDatetime
    currency: str
    lines: list[MarketplaceLine]
    buyer: Buyer
    ship_to: Address
    import_run_id: str


class MarketplaceOrderCancelled(_MarketplaceIngest):
    """The marketplace cancelled an order after it was imported."""

    order_id: str
    connection_id: str
    marketplace: str
    external_order_id: str
    reason: str
    import_run_id: str


class ImportRunCompleted(_MarketplaceIngest):
    import_run_id: str
    connection_id: str
    kind: str
    imported: int
    updated: int
    skipped: int
    failed: int
    completed_at: UtcDatetime


class PartnerLine(BaseModel):
    """A line of a partner's order: the catalogue SKU and quantity (priced by orders)."""

    model_config = ConfigDict(frozen=True)

    line_no: int = Field(ge=1)
    sku: str
    quantity: Quantity


class PartnerOrderReceived(_MarketplaceIngest):
    """An order a partner pushed (``POST /partner/orders``), once per partner and
    ``Idempotency-Key``. ``order_id`` is the id the OMS sales order takes (origin
    ``partner``, booked to the partner's customer)."""

    order_id: str
    partner_id: str
    external_order_id: str
    lines: list[PartnerLine]
    note: str | None = None


class StockSyncedToMarketplace(_MarketplaceIngest):
    """The marketplace was told a mapped SKU's available quantity (the latest of a burst
    of changes)."""

    connection_id: str
    marketplace: str
    sku: str
    marketplace_sku: str
    available: Quantity
    synced_at: UtcDatetime


class ShipmentConfirmedToMarketplace(_MarketplaceIngest):
    """The marketplace was told the goods of an imported order left the warehouse."""

    order_id: str
    connection_id: str
    marketplace: str
    external_order_id: str
    goods_issue_id: str
    confirmed_at: UtcDatetime
