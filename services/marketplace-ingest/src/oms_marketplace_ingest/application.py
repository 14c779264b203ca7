"""The marketplace-ingest service's use cases: one Application method per command or
reaction. Commands save what they change; reactions return the changed aggregates unsaved.

An import run reads the marketplace page by page and stores each order on its own (the
order and the run's record of it in one save), so one failing order is recorded and the
others go on, and a run cut short is simply run again: orders are imported once."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import RecordConflictError
from oms_kit.commands import retry_on_conflict
from oms_kit.domain import InvalidInput, NotFound
from oms_kit.eventstore import ServiceApplication

from oms_marketplace_ingest.domain import (
    AUTOMATIC,
    MANUAL,
    RUNNING,
    Connection,
    ImportRun,
    MarketplaceOrder,
    Product,
)
from oms_marketplace_ingest.domain.partner_order import PartnerLine, PartnerOrder
from oms_marketplace_ingest.domain.shipment import MarketplaceShipment
from oms_marketplace_ingest.domain.stock_sync import ListingStock, SkuListings

log = logging.getLogger(__name__)

#: Amazon fulfillment statuses: imported, waiting (not yet), or never imported.
IMPORTABLE = ("UNSHIPPED", "PARTIALLY_SHIPPED", "SHIPPED")
WAITING = ("PENDING", "PENDING_AVAILABILITY")
NEVER = ("UNFULFILLABLE",)
CANCELLED = "CANCELLED"


class Sealer(Protocol):
    def seal(self, secrets: dict[str, str]) -> str: ...
    def open(self, sealed: str) -> dict[str, str]: ...


class Page(Protocol):
    orders: list[dict[str, Any]]
    before: str | None


class MarketplaceApi(Protocol):
    def search_orders(self, params: dict[str, Any]) -> Iterator[Any]: ...
    def confirm_shipment(self, order_id: str, payload: dict[str, Any]) -> None: ...
    def patch_listings_item(
        self, seller_id: str, sku: str, marketplace_ids: list[str], body: dict[str, Any]
    ) -> dict[str, Any]: ...
    def close(self) -> None: ...


#: Builds the client of a connection from it and its opened credentials.
ClientFactory = Callable[[Connection, dict[str, str]], MarketplaceApi]


class OrderRefused(Exception):
    """An order that cannot be imported as it is (an unknown SKU, a line without price)."""


def _now() -> datetime:
    return datetime.now(UTC)


def iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_instant(value: str, field: str) -> datetime:
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInput(f"{field} is not an ISO 8601 instant", field=field) from exc
    if instant.tzinfo is None:
        raise InvalidInput(f"{field} needs a time zone (UTC: Z)", field=field)
    return instant.astimezone(UTC)


@dataclass(frozen=True)
class ConnectionInput:
    marketplace: str
    name: str
    seller_id: str
    marketplace_ids: list[str]
    customer_id: str
    client_id: str
    client_secret: str
    refresh_token: str
    endpoint: str | None = None
    lwa_endpoint: str | None = None
    auto_import_minutes: int | None = None
    sku_map: dict[str, str] | None = None


class MarketplaceIngestApplication(ServiceApplication):
    name = "marketplace_ingest"

    sealer: Sealer
    clients: ClientFactory
    default_endpoint = ""
    default_lwa_endpoint = ""
    page_size = 100
    before_margin = timedelta(seconds=150)
    initial_lookback = timedelta(days=1)
    clock: Callable[[], datetime] = staticmethod(_now)

    def configure(
        self,
        *,
        sealer: Sealer,
        clients: ClientFactory,
        endpoint: str,
        lwa_endpoint: str,
        page_size: int = 100,
        before_margin_s: float = 150.0,
        waybill_wait_s: float = 0.0,
    ) -> None:
        self.sealer = sealer
        self.clients = clients
        self.default_endpoint = endpoint
        self.default_lwa_endpoint = lwa_endpoint
        self.page_size = page_size
        self.before_margin = timedelta(seconds=before_margin_s)
        self.waybill_wait = timedelta(seconds=waybill_wait_s)
        #: The teller's memory: the notifications looked at, the work found and not done.
        self._looked_up_to = 0
        self._to_tell: dict[type[Aggregate], set[str]] = {
            ListingStock: set(),
            MarketplaceShipment: set(),
        }
        #: Shipments waiting for their waybill: when each is due (unless the waybill comes).
        self._waiting: dict[str, datetime] = {}

    # Queries on the aggregates
    def get_connection(self, connection_id: str) -> Connection:
        connection = self.find(Connection, connection_id)
        if connection is None:
            raise NotFound(f"no connection {connection_id!r}", field="connection_id")
        return connection

    def get_run(self, run_id: str) -> ImportRun:
        run = self.find(ImportRun, run_id)
        if run is None:
            raise NotFound(f"no import run {run_id!r}", field="import_run_id")
        return run

    def knows_sku(self, sku: str) -> bool:
        return self.find(Product, Product.create_id(sku)) is not None

    # Commands
    @retry_on_conflict
    def create_connection(self, data: ConnectionInput) -> Connection:
        sealed = self.sealer.seal(
            {
                "client_id": data.client_id,
                "client_secret": data.client_secret,
                "refresh_token": data.refresh_token,
            }
        )
        connection = Connection(
            marketplace=data.marketplace,
            name=data.name,
            seller_id=data.seller_id,
            marketplace_ids=data.marketplace_ids,
            customer_id=data.customer_id,
            sealed_credentials=sealed,
            endpoint=data.endpoint or self.default_endpoint,
            lwa_endpoint=data.lwa_endpoint or self.default_lwa_endpoint,
            auto_import_minutes=data.auto_import_minutes,
            sku_map=data.sku_map or {},
            created_at=iso(self.clock()),
        )
        indexes: dict[str, SkuListings] = {}
        for marketplace_sku, sku in sorted(connection.sku_map.items()):
            self._sku_listings(sku, indexes).add(str(connection.id), marketplace_sku)
        self.save(connection, *indexes.values())
        return connection

    @retry_on_conflict
    def map_sku(self, connection_id: str, marketplace_sku: str, sku: str) -> Connection:
        connection = self.get_connection(connection_id)
        before = connection.sku_map.get(marketplace_sku)
        connection.map_sku(marketplace_sku, sku)
        indexes: dict[str, SkuListings] = {}
        if before is not None and before != sku:
            self._sku_listings(before, indexes).remove(connection_id, marketplace_sku)
        self._sku_listings(sku, indexes).add(connection_id, marketplace_sku)
        self.save(connection, *indexes.values())
        return connection

    def _sku_listings(self, sku: str, loaded: dict[str, SkuListings]) -> SkuListings:
        if sku not in loaded:
            found = self.find(SkuListings, SkuListings.create_id(sku))
            loaded[sku] = found or SkuListings.start(sku)
        return loaded[sku]

    def request_import(
        self, connection_id: str, created_from: datetime, created_to: datetime | None
    ) -> ImportRun:
        """A manual import of the orders created in [created_from, created_to]."""
        self.get_connection(connection_id)
        latest = self.clock() - self.before_margin
        if created_to is None or created_to > latest:
            created_to = latest
        if created_from > created_to:
            raise InvalidInput(
                "created_from must be before created_to (and two minutes before now)",
                field="created_from",
            )
        run = ImportRun(
            connection_id=connection_id,
            kind=MANUAL,
            created_from=iso(created_from),
            created_to=iso(created_to),
            last_updated_after=None,
            started_at=iso(self.clock()),
        )
        self.save(run)
        return run

    def start_automatic_import(self, connection_id: str) -> ImportRun:
        """An automatic import: orders updated after the connection's cursor."""
        connection = self.get_connection(connection_id)
        after = connection.last_updated_after or iso(
            parse_instant(connection.created_at, "created_at") - self.initial_lookback
        )
        run = ImportRun(
            connection_id=connection_id,
            kind=AUTOMATIC,
            created_from=None,
            created_to=None,
            last_updated_after=after,
            started_at=iso(self.clock()),
        )
        self.save(run)
        return run

    def run_import(self, run_id: str) -> ImportRun:
        """Read the run's orders from the marketplace and store each; then complete it
        (and, for an automatic run, advance the connection's cursor)."""
        run = self.get_run(run_id)
        if run.status != RUNNING:
            return run
        connection = self.get_connection(run.connection_id)
        try:
            client = self.clients(connection, self.sealer.open(connection.sealed_credentials))
        except Exception as exc:
            return self._fail(run_id, f"the connection cannot be used: {exc}")
        params: dict[str, Any] = {
            "marketplaceIds": connection.marketplace_ids,
            "maxResultsPerPage": self.page_size,
        }
        if run.kind == MANUAL:
            params["createdAfter"] = run.created_from
            params["createdBefore"] = run.created_to
        else:
            params["lastUpdatedAfter"] = run.last_updated_after
        upper: str | None = None
        try:
            for page in client.search_orders(params):
                upper = upper or page.before
                for order in page.orders:
                    self._ingest(run_id, connection, order)
        except Exception as exc:
            log.warning("import run %s failed: %s", run_id, exc)
            return self._fail(run_id, str(exc))
        finally:
            client.close()
        return self._complete(run_id, upper)

    # Reactions
    def define_product(self, sku: str) -> list[Aggregate]:
        if self.knows_sku(sku):
            return []
        return [Product(sku)]

    # Partner push (DESIGN section 13) ------------------------------------------------------

    def receive_partner_order(
        self,
        *,
        partner_id: str,
        idempotency_key: str,
        external_order_id: str,
        lines: Sequence[PartnerLine],
        note: str | None = None,
    ) -> tuple[PartnerOrder, bool]:
        """Accept a partner's order once per partner and ``Idempotency-Key``: the same
        request again returns the order accepted the first time (and False: nothing new);
        the same key with another body is refused (``InvalidInput`` naming the key)."""
        body_hash = request_hash(external_order_id, lines, note)
        earlier = self.find(PartnerOrder, PartnerOrder.create_id(partner_id, idempotency_key))
        if earlier is not None:
            earlier.check_same_request(body_hash)
            return earlier, False
        order = PartnerOrder.receive(
            partner_id=partner_id,
            idempotency_key=idempotency_key,
            body_hash=body_hash,
            external_order_id=external_order_id,
            lines=[line.as_dict() for line in lines],
            note=note,
        )
        try:
            self.save(order)
        except RecordConflictError:  # the same key, sent twice at the same moment
            earlier = self.find(PartnerOrder, order.id)
            if earlier is None:
                raise
            earlier.check_same_request(body_hash)
            return earlier, False
        return order, True

    def get_partner_order(self, order_id: str, partner_id: str | None) -> PartnerOrder:
        """The order a partner pushed; another partner's is not found (``partner_id``
        None: the staff, who see every partner's)."""
        order = self.find(PartnerOrder, order_id)
        if order is None or (partner_id is not None and order.partner_id != partner_id):
            raise NotFound(f"no partner order {order_id}", field="order_id")
        return order

    def follow_partner_order(self, order_id: str, status: str) -> PartnerOrder | None:
        """Orders published the OMS order's status: a partner's order follows it."""
        order = self.find(PartnerOrder, order_id)
        if order is None or not order.follow(status):
            return None
        return order

    # Back to the marketplace: stock levels and shipments (DESIGN section 13) -------------
    # A reaction notes what is to be told; the worker's loop (``tell_marketplaces``) tells
    # it, retrying what fails on its next pass. A burst of stock changes between two
    # passes is one call per listing, with the latest level.

    #: The carrier named in a shipment confirmation without a waybill.
    carrier_name = "OMS"
    #: How long a shipment without a waybill waits for it before it is confirmed with
    #: the goods-issue reference (``configure`` sets the service's setting).
    waybill_wait = timedelta(0)

    def note_stock_level(self, sku: str, available: Decimal) -> list[Aggregate]:
        """Inventory's available quantity of ``sku`` changed: every listing mapped to it
        is to be told (listings of unmapped SKUs are not the OMS's to change)."""
        changed: list[Aggregate] = []
        index = self.find(SkuListings, SkuListings.create_id(sku))
        for connection_id, marketplace_sku in sorted(index.listings if index else []):
            listing_id = ListingStock.create_id(connection_id, marketplace_sku)
            listing = self.find(ListingStock, listing_id) or ListingStock.open(
                connection_id, sku, marketplace_sku
            )
            if listing.note(available):
                changed.append(listing)
        return changed

    def record_marketplace_goods_issue(
        self, order_id: str, goods_issue_id: str, lines: list[tuple[str, Decimal]]
    ) -> list[Aggregate]:
        """Goods of an imported order left the warehouse: the marketplace is to be told
        (its items of the SKUs issued, up to the quantities ordered)."""
        order = self.find(MarketplaceOrder, order_id)
        if order is None or not order.record_goods_issued(goods_issue_id):
            return []
        items = []
        for sku, quantity in lines:
            left = quantity
            for line in order.lines:
                if line["sku"] != sku or left <= 0 or not line.get("order_item_id"):
                    continue
                taken = min(left, Decimal(line["quantity"]))
                items.append(
                    {"order_item_id": line["order_item_id"], "sku": sku, "quantity": taken}
                )
                left -= taken
        shipment = MarketplaceShipment.record(
            order_id=order_id,
            connection_id=order.connection_id,
            marketplace=order.marketplace,
            marketplace_id=order.marketplace_id,
            external_order_id=order.external_order_id,
            goods_issue_id=goods_issue_id,
            items=items,
            issued_at=iso(self.clock()),
        )
        held = order.waybills_held.get(goods_issue_id)
        if held is not None:  # the courier was heard of first
            shipment.record_waybill(**held)
        return [order, shipment]

    def record_marketplace_waybill(
        self,
        order_id: str,
        goods_issue_id: str,
        shipment_id: str,
        carrier: str,
        service: str | None,
        tracking_number: str,
    ) -> list[Aggregate]:
        """Inventory booked a courier for goods of an imported order: the shipment's
        confirmation carries its tracking number (and is due at once). Heard before the
        goods issue, the order keeps it until the shipment is recorded; both change the
        order then, so of the two reactions at once one retries and sees the other."""
        shipment = self.find(MarketplaceShipment, MarketplaceShipment.create_id(goods_issue_id))
        if shipment is not None:
            news = shipment.record_waybill(shipment_id, carrier, service, tracking_number)
            return [shipment] if news else []
        order = self.find(MarketplaceOrder, order_id)
        if order is None or not order.hold_waybill(
            goods_issue_id, shipment_id, carrier, service, tracking_number
        ):
            return []
        return [order]

    def tell_marketplaces(self) -> tuple[int, int]:
        """One pass: every listing whose level the marketplace has not been told, and
        every shipment not confirmed that is due (with its waybill, or having waited
        ``waybill_wait`` for it). Returns (listings told, shipments confirmed); what fails
        is logged and tried again on the next pass.

        The work is found in the notifications stored since the previous pass (a level
        noted, a shipment recorded) and kept until done, so a pass reads what is new and
        what is to do, not the whole log (the first pass of a process reads the log once)."""
        self._look_for_work()
        told = confirmed = 0
        for listing_id in sorted(self._to_tell[ListingStock]):
            try:
                told += self.sync_listing(listing_id)
            except Exception as exc:  # retried on the next pass
                log.warning("stock sync of listing %s failed: %s", listing_id, exc)
            else:  # told, or nothing to tell (a later level is a later notification)
                self._to_tell[ListingStock].discard(listing_id)
        now = self.clock()
        for shipment_id in sorted(self._to_tell[MarketplaceShipment]):
            if self._waiting.get(shipment_id, now) > now:
                continue
            try:
                due = self._shipment_due_at(shipment_id)
                if due is not None and due > now:
                    self._waiting[shipment_id] = due
                    continue
                if due is not None:  # None: confirmed already, nothing to do
                    confirmed += self.confirm_marketplace_shipment(shipment_id)
            except Exception as exc:  # retried on the next pass
                log.warning("shipment confirmation %s failed: %s", shipment_id, exc)
            else:
                self._to_tell[MarketplaceShipment].discard(shipment_id)
                self._waiting.pop(shipment_id, None)
        return told, confirmed

    def _shipment_due_at(self, shipment_id: str) -> datetime | None:
        """When the shipment is to be confirmed; None when there is nothing to confirm."""
        shipment = self.find(MarketplaceShipment, shipment_id)
        if shipment is None or not shipment.pending:
            return None
        return shipment.due_at(self.waybill_wait)

    def _look_for_work(self) -> None:
        """Note the listings and shipments of the notifications since the last look (a
        shipment's waybill makes a waiting shipment due at once)."""
        last = self.recorder.max_notification_id() or 0
        kinds: dict[str, type[Aggregate]] = {
            _topic(ListingStock.LevelNoted): ListingStock,
            _topic(MarketplaceShipment.Recorded): MarketplaceShipment,
            _topic(MarketplaceShipment.WaybillRecorded): MarketplaceShipment,
        }
        start = self._looked_up_to + 1
        while start <= last:
            batch = self.recorder.select_notifications(start, 500, stop=last, topics=list(kinds))
            for notification in batch:
                aggregate_id = str(notification.originator_id)
                self._to_tell[kinds[notification.topic]].add(aggregate_id)
                self._waiting.pop(aggregate_id, None)
            if len(batch) < 500:
                break
            start = batch[-1].id + 1
        self._looked_up_to = last

    @retry_on_conflict
    def sync_listing(self, listing_id: str) -> bool:
        """Tell the marketplace the listing's latest available quantity (patchListingsItem,
        ``fulfillment_availability``), if it has not been told it."""
        listing = self.find(ListingStock, listing_id)
        if listing is None or not listing.pending or listing.wanted is None:
            return False
        available = listing.wanted
        connection = self.get_connection(listing.connection_id)
        client = self.clients(connection, self.sealer.open(connection.sealed_credentials))
        try:
            answer = client.patch_listings_item(
                connection.seller_id,
                listing.marketplace_sku,
                connection.marketplace_ids,
                availability_patch(available),
            )
        finally:
            client.close()
        if answer.get("status") not in (None, "ACCEPTED"):
            raise RuntimeError(f"listing {listing.marketplace_sku} refused: {answer.get('issues')}")
        listing.record_synced(available, iso(self.clock()))
        self.save(listing)
        return True

    def confirm_marketplace_shipment(self, shipment_id: str) -> bool:
        """Confirm the shipment to its marketplace (Orders v0 ``confirmShipment``), with
        what is known of its waybill now."""
        shipment = self.find(MarketplaceShipment, shipment_id)
        if shipment is None or not shipment.pending:
            return False
        connection = self.get_connection(shipment.connection_id)
        client = self.clients(connection, self.sealer.open(connection.sealed_credentials))
        try:
            client.confirm_shipment(
                shipment.external_order_id, shipment.confirmation_request(self.carrier_name)
            )
        finally:
            client.close()
        self._record_confirmed(shipment_id)
        return True

    @retry_on_conflict
    def _record_confirmed(self, shipment_id: str) -> None:
        """The marketplace accepted it: a waybill recorded meanwhile does not send it again."""
        shipment = self.find(MarketplaceShipment, shipment_id)
        if shipment is not None and shipment.pending:
            shipment.confirm(iso(self.clock()))
            self.save(shipment)

    # The parts of an import
    @retry_on_conflict
    def _fail(self, run_id: str, reason: str) -> ImportRun:
        run = self.get_run(run_id)
        run.fail(reason[:500], iso(self.clock()))
        self.save(run)
        return run

    @retry_on_conflict
    def _complete(self, run_id: str, upper: str | None) -> ImportRun:
        run = self.get_run(run_id)
        changed: list[Aggregate] = [run]
        if run.kind == AUTOMATIC:
            connection = self.get_connection(run.connection_id)
            # Every order updated up to ``upper`` is stored now: the cursor moves there.
            connection.advance_cursor(upper or iso(self.clock() - self.before_margin))
            changed.append(connection)
        run.complete(iso(self.clock()))
        self.save(*changed)
        return run

    @retry_on_conflict
    def _ingest(self, run_id: str, connection: Connection, order: dict[str, Any]) -> None:
        run = self.get_run(run_id)
        external_id = str(order.get("orderId") or "")
        if not external_id:
            run.record("(no orderId)", None, "failed", "the marketplace sent an order without id")
            self.save(run)
            return
        order_id = MarketplaceOrder.create_id(connection.marketplace, external_id)
        known = self.find(MarketplaceOrder, order_id)
        status = str((order.get("fulfillment") or {}).get("fulfillmentStatus") or "")
        changed: list[Aggregate] = [run]
        if known is not None:
            outcome, reason = self._update(known, status, run_id)
            changed.append(known)
            run.record(external_id, str(order_id), outcome, reason)
        elif status == CANCELLED:
            run.record(external_id, None, "skipped", "cancelled before it was imported")
        elif status in WAITING:
            run.record(external_id, None, "skipped", f"{status}: imported once unshipped")
        elif status not in IMPORTABLE:
            run.record(external_id, None, "skipped", f"status {status or 'unknown'}")
        else:
            try:
                imported = self._new_order(run_id, connection, order, status)
            except OrderRefused as exc:
                run.record(external_id, None, "failed", str(exc))
            else:
                changed.append(imported)
                run.record(external_id, str(imported.id), "imported", None)
        self.save(*changed)

    def _update(self, known: MarketplaceOrder, status: str, run_id: str) -> tuple[str, str | None]:
        if status == CANCELLED:
            if known.status == "cancelled":
                return "unchanged", None
            if known.shipped:
                return "flagged", "cancelled on the marketplace after the goods were issued"
            known.cancel("cancelled on the marketplace", run_id)
            return "cancelled", None
        if status and known.see_status(status, run_id):
            return "updated", None
        return "unchanged", None

    def _new_order(
        self, run_id: str, connection: Connection, order: dict[str, Any], status: str
    ) -> MarketplaceOrder:
        lines: list[dict[str, Any]] = []
        unknown: list[str] = []
        currency: str | None = None
        for item in order.get("orderItems") or []:
            product = item.get("product") or {}
            marketplace_sku = str(product.get("sellerSku") or "")
            quantity = int(item.get("quantityOrdered") or 0)
            if quantity <= 0:
                continue
            if not marketplace_sku:
                raise OrderRefused(f"item {item.get('orderItemId')} has no seller SKU")
            sku = connection.catalogue_sku(marketplace_sku)
            if not self.knows_sku(sku):
                unknown.append(sku if sku == marketplace_sku else f"{marketplace_sku} ({sku})")
                continue
            unit_price, item_currency = _unit_price(item, quantity)
            currency = currency or item_currency
            lines.append(
                {
                    "line_no": len(lines) + 1,
                    "sku": sku,
                    "marketplace_sku": marketplace_sku,
                    "order_item_id": str(item.get("orderItemId") or ""),
                    "quantity": Decimal(quantity),
                    "unit_price": unit_price,
                }
            )
        if unknown:
            raise OrderRefused("unknown SKU: " + ", ".join(sorted(set(unknown))))
        if not lines:
            raise OrderRefused("no line to import")
        channel = order.get("salesChannel") or {}
        buyer = order.get("buyer") or {}
        address = (order.get("recipient") or {}).get("deliveryAddress") or {}
        return MarketplaceOrder(
            connection_id=str(connection.id),
            marketplace=connection.marketplace,
            marketplace_id=str(channel.get("marketplaceId") or connection.marketplace_ids[0]),
            external_order_id=str(order["orderId"]),
            customer_id=connection.customer_id,
            purchased_at=str(order.get("createdTime") or iso(self.clock())),
            currency=currency or "USD",
            lines=lines,
            buyer={
                "name": buyer.get("buyerName"),
                "email": buyer.get("buyerEmail"),
                "company": buyer.get("buyerCompanyName"),
            },
            ship_to={
                "name": address.get("name"),
                "address_line1": address.get("addressLine1"),
                "address_line2": address.get("addressLine2"),
                "address_line3": address.get("addressLine3"),
                "city": address.get("city"),
                "district_or_county": address.get("districtOrCounty"),
                "state_or_region": address.get("stateOrRegion"),
                "postal_code": address.get("postalCode"),
                "country_code": address.get("countryCode"),
                "phone": address.get("phone"),
            },
            marketplace_status=status,
            import_run_id=run_id,
        )


def _topic(kind: type[Any]) -> str:
    return f"{kind.__module__}:{kind.__qualname__}"


def _unit_price(item: dict[str, Any], quantity: int) -> tuple[Decimal, str | None]:
    """The price of one unit. Orders API 2026-01-01 gives it (``product.price.unitPrice``);
    failing that, the item's proceeds total is for all units and is divided by the
    quantity (as v0's ``ItemPrice`` must be: it is unit price x quantity)."""
    product = item.get("product") or {}
    unit = (product.get("price") or {}).get("unitPrice")
    try:
        if unit and unit.get("amount") not in (None, ""):
            return Decimal(str(unit["amount"])), unit.get("currencyCode")
        total = (item.get("proceeds") or {}).get("proceedsTotal")
        if total and total.get("amount") not in (None, ""):
            amount = Decimal(str(total["amount"])) / quantity
            return amount.quantize(Decimal("0.01")), total.get("currencyCode")
    except (InvalidOperation, TypeError, AttributeError) as exc:
        raise OrderRefused(f"item {item.get('orderItemId')} has no valid price") from exc
    raise OrderRefused(f"item {item.get('orderItemId')} has no price")


def availability_patch(available: Decimal) -> dict[str, Any]:
    """The Listings Items patch that sets a listing's quantity the seller fulfils."""
    return {
        "productType": "PRODUCT",
        "patches": [
            {
                "op": "replace",
                "path": "/attributes/fulfillment_availability",
                "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": int(available)}],
            }
        ],
    }


def request_hash(external_order_id: str, lines: Sequence[PartnerLine], note: str | None) -> str:
    """The hash a partner's request is known by: of its meaning, not its spelling (key
    order, spaces and ``2`` against ``2.0`` do not make another body)."""
    canonical = {
        "external_order_id": external_order_id,
        "lines": [[line.sku, _number(line.quantity)] for line in lines],
        "note": note,
    }
    encoded = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")
