"""Configuration of the billing service: the one door, read from OMS_* variables."""

from __future__ import annotations

from typing import ClassVar, Literal

from oms_kit.settings import CompanyProfile, ServiceSettings
from pydantic import Field, SecretStr, model_validator


class MissingCsd(ValueError):
    """A Mexican company's invoices would be sealed with a throw-away CSD outside the dev
    stack."""


class Settings(CompanyProfile, ServiceSettings):
    service: ClassVar[str] = "billing"
    http_port: int = 8003
    #: PEM file of the local stamping provider's RSA key; a key pair is generated at start
    #: when unset (signatures then verify only within that process's lifetime).
    stamping_key_path: str | None = None
    #: Who stamps the fiscal documents: ``local`` signs them itself (for a Mexican company
    #: it adds a TimbreFiscalDigital 1.1 as a PAC would); a real PAC plugs in here later.
    stamping_provider: Literal["local"] = "local"
    invoice_series: str = Field(default="A", pattern=r"^[A-Z0-9]{1,10}$")
    #: The issuer named on a plain (non-fiscal) invoice document; the company's name when
    #: unset.
    issuer_name: str | None = None
    #: The company's CSD (Mexico): the certificate (.cer, DER) and its private key (.key,
    #: DER PKCS#8, encrypted with the password), as SAT issues them. Required for a Mexican
    #: company unless ``dev_stack`` (there a test CSD is made at start).
    cfdi_certificate: str | None = None
    cfdi_key: str | None = None
    cfdi_key_password: SecretStr | None = None
    #: Backoff of stamping retries: base * 2^(attempt-1) seconds, at most the max.
    stamping_retry_base_s: float = Field(default=5.0, gt=0)
    stamping_retry_max_s: float = Field(default=600.0, gt=0)
    stamping_poll_s: float = Field(default=1.0, gt=0)

    @model_validator(mode="after")
    def _csd_given(self) -> Settings:
        if self.fiscal_country != "MX" or self.dev_stack or self.event_store == "memory":
            return self
        if not (self.cfdi_certificate and self.cfdi_key and self.cfdi_key_password):
            raise MissingCsd(
                "OMS_CFDI_CERTIFICATE, OMS_CFDI_KEY and OMS_CFDI_KEY_PASSWORD are required "
                "for a Mexican company (OMS_FISCAL_COUNTRY=MX): its CSD seals every invoice "
                "(only a dev stack, OMS_DEV_STACK=true, makes a test CSD)"
            )
        return self

    @property
    def issuer(self) -> str:
        return self.issuer_name or self.company_name
