"""Configuration of the orders service: the one door, read from OMS_* variables."""

from typing import ClassVar, Literal

from oms_kit.settings import ServiceSettings
from pydantic import Field


class Settings(ServiceSettings):
    service: ClassVar[str] = "orders"
    http_port: int = 8001
    #: A new customer's currency and language when none is given (DESIGN section 5).
    company_currency: str = Field(default="BRL", pattern=r"^[A-Z]{3}$")
    company_language: Literal["pt", "es", "pl", "en", "de"] = "pt"
