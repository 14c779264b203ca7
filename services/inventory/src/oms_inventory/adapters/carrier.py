"""Carrier providers. The local one books nothing anywhere: it answers a tracking number
derived from the goods issue, so the same shipment always gets the same number and no
network is needed (a courier's API plugs in here later, chosen by a setting)."""

from __future__ import annotations

import hashlib

from oms_inventory.application import ShipmentRequest

#: Digits of a local tracking number after its prefix.
DIGITS = 12


class LocalCarrier:
    """Tracking numbers ``OMS`` + 12 digits + a check digit (mod 10), all Code 39."""

    prefix = "OMS"

    def book(self, request: ShipmentRequest) -> str:
        digest = hashlib.sha256(f"oms/shipment/{request.goods_issue_id}".encode()).digest()
        body = f"{int.from_bytes(digest[:8], 'big') % 10**DIGITS:0{DIGITS}d}"
        check = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body)) % 10
        return f"{self.prefix}{body}{check}"
