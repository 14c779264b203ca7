"""Configuration of the marketplace-ingest service: the one door, read from OMS_* variables."""

from __future__ import annotations

import base64
import hashlib
from typing import ClassVar

from oms_kit.settings import ServiceSettings
from pydantic import Field, SecretStr, model_validator

AMAZON_NA_ENDPOINT = "https://sellingpartnerapi-na.amazon.com"
AMAZON_LWA_ENDPOINT = "https://api.amazon.com/auth/o2/token"


class Settings(ServiceSettings):
    service: ClassVar[str] = "marketplace-ingest"
    http_port: int = 8005
    #: The key the connections' credentials are encrypted with at rest (a Fernet key:
    #: 32 url-safe base64-encoded bytes). Required outside the dev stack, where a fixed
    #: throw-away key is used when unset.
    secrets_key: SecretStr | None = None
    #: Where a connection's calls go unless it names its own ``endpoint``/``lwa_endpoint``.
    amazon_endpoint: str = AMAZON_NA_ENDPOINT
    lwa_endpoint: str = AMAZON_LWA_ENDPOINT
    #: How often the worker looks for requested import runs and due automatic imports.
    import_poll_s: float = Field(default=1.0, gt=0)
    #: Orders per searchOrders page (Amazon allows 1 to 100).
    import_page_size: int = Field(default=100, ge=1, le=100)
    #: ``*Before`` dates must lie at least this far before now (Amazon: two minutes).
    before_margin_s: float = Field(default=150.0, ge=120)
    http_timeout_s: float = Field(default=30.0, gt=0)
    #: First wait after a 429 (doubled each time up to the longest).
    throttle_base_wait_s: float = Field(default=1.0, gt=0)
    #: Longest a throttled call (429) waits before trying again; it never gives up.
    throttle_max_wait_s: float = Field(default=60.0, gt=0)
    #: How long goods issued for a marketplace order wait for their waybill (inventory's
    #: courier booking, whose tracking number the confirmation then carries) before the
    #: shipment is confirmed with the goods-issue document as tracking number. A waybill
    #: heard makes the shipment due at once. Couriers are booked after the goods issue, so
    #: 0 (confirm at once) would send nearly every confirmation without the waybill, and
    #: Amazon rates sellers by the share of shipments confirmed with a valid tracking number.
    marketplace_waybill_wait_s: float = Field(default=1800.0, ge=0)

    @model_validator(mode="after")
    def _key_given(self) -> Settings:
        if self.secrets_key is None and not self.dev_stack:
            raise ValueError(
                "secrets_key (OMS_SECRETS_KEY) is required: the key of the connections' "
                "credentials at rest (a throw-away key is used only with OMS_DEV_STACK)"
            )
        return self

    @property
    def fernet_key(self) -> bytes:
        if self.secrets_key is not None:
            return self.secrets_key.get_secret_value().encode()
        digest = hashlib.sha256(b"oms dev stack: marketplace credentials").digest()
        return base64.urlsafe_b64encode(digest)
