"""Configuration of the inventory service: the one door, read from OMS_* variables."""

from typing import ClassVar, Literal

from oms_kit.settings import CompanyProfile, ServiceSettings


class Settings(CompanyProfile, ServiceSettings):
    service: ClassVar[str] = "inventory"
    http_port: int = 8002
    #: Who books shipments and gives tracking numbers: ``local`` derives them itself (no
    #: network); a courier company's API plugs in here later.
    carrier_provider: Literal["local"] = "local"
