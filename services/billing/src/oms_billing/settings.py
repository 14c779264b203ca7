"""Configuration of the billing service: the one door, read from OMS_* variables."""

from typing import ClassVar

from oms_kit.settings import ServiceSettings
from pydantic import Field


class Settings(ServiceSettings):
    service: ClassVar[str] = "billing"
    http_port: int = 8003
    #: PEM file of the local stamping provider's RSA key; a key pair is generated at start
    #: when unset (signatures then verify only within that process's lifetime).
    stamping_key_path: str | None = None
    invoice_series: str = Field(default="A", pattern=r"^[A-Z0-9]{1,10}$")
    issuer_name: str = "OMS"
    #: Backoff of stamping retries: base * 2^(attempt-1) seconds, at most the max.
    stamping_retry_base_s: float = Field(default=5.0, gt=0)
    stamping_retry_max_s: float = Field(default=600.0, gt=0)
    stamping_poll_s: float = Field(default=1.0, gt=0)
