"""Configuration of the commissions service: the one door, read from OMS_* variables."""

from typing import ClassVar

from oms_kit.settings import ServiceSettings


class Settings(ServiceSettings):
    service: ClassVar[str] = "commissions"
    http_port: int = 8004
