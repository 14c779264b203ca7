"""The inventory service's errors: each is one of the kit's domain errors (its HTTP status)
and names the offending input; the title is what the problem answer says."""

from __future__ import annotations

from oms_kit.domain import Conflict, InvalidInput, NotFound


class InvalidQuantity(InvalidInput):
    """A quantity that is zero, negative or not a finite number."""

    title = "Invalid quantity"


class ExpiryMismatch(InvalidInput):
    """A receipt into an existing lot names another expiry date than the lot has."""

    title = "Expiry date does not match the lot"


class InvalidPick(InvalidInput):
    """What was reported as picked does not fit the pick list or the stock."""

    title = "Invalid pick"


class UnknownSku(NotFound):
    """A sku that was never received."""

    title = "Unknown sku"


class PickListNotFound(NotFound):
    """No pick list has this id."""

    title = "Pick list not found"


class PickListClosed(Conflict):
    """The pick list is done or cancelled: it cannot be confirmed again."""

    title = "Pick list is closed"


class InvalidReceipt(InvalidInput):
    """What was received does not fit the purchase order."""

    title = "Invalid receipt"


class UnknownOrder(InvalidInput):
    """A customer order inventory has not seen confirmed, or one that was cancelled."""

    title = "Unknown order"


class MissingSupplier(InvalidInput):
    """A sku to buy has no supplier assigned."""

    title = "No supplier for the sku"


class UnknownSupplier(InvalidInput):
    """A supplier id that names no supplier."""

    title = "Unknown supplier"


class PurchaseOrderNotFound(NotFound):
    title = "Purchase order not found"


class PurchaseOrderClosed(Conflict):
    """The purchase order was received in full."""

    title = "Purchase order is received"


class GoodsIssueNotFound(NotFound):
    title = "Goods issue not found"


class ShipmentNotFound(NotFound):
    title = "Shipment not found"


class AlreadyShipped(Conflict):
    """The goods issue has its shipment already."""

    title = "Goods issue already has a shipment"
