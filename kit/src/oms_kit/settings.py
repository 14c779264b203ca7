"""One Settings class per service, all read from ``OMS_*`` environment variables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """The settings every service shares. A service subclasses it, sets ``service`` and its
    default ``http_port``. It refuses to start without a database: the in-memory event
    store is only there when asked for by name (``OMS_EVENT_STORE=memory``, the use-case
    tests), never a silent fallback."""

    model_config = SettingsConfigDict(env_prefix="OMS_", extra="ignore", frozen=True)

    service: ClassVar[str]

    #: ``postgres``: the service's own PostgreSQL database, group-committed (production,
    #: the dev stack). ``memory``: eventsourcing's in-memory recorders (use-case tests).
    event_store: Literal["postgres", "memory"] = "postgres"
    pg_dsn: str | None = Field(
        default=None,
        description="PostgreSQL server DSN; each service uses its own database on it",
    )
    kafka_bootstrap: str = "127.0.0.1:9092"
    # The dev broker refuses idempotent producers (DESIGN section 8): on for Apache Kafka.
    kafka_idempotence: bool = False
    topic_partitions: int = Field(default=3, ge=1)
    topic_replication: int = Field(default=1, ge=1)
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=0, le=65535)
    otlp_endpoint: str | None = None
    relay_batch_size: int = Field(default=500, ge=1)
    projection_batch_size: int = Field(default=500, ge=1)
    #: How often a worker contends for a lease it does not hold (the relay, each projection
    #: runner, each background loop: one active per service), and checks one it holds.
    lease_retry_s: float = Field(default=1.0, gt=0)
    pg_pool_size: int = Field(default=5, ge=1)
    #: How long a writer waits for the event table's lock before failing (and retrying).
    pg_lock_timeout_s: int = Field(default=10, ge=1)
    #: Check a pooled connection before use when it was not taken for a few seconds (a
    #: round trip; see ``CheckWhenIdle``). Off, or for one used a moment before, a
    #: connection the server dropped (a restart) fails its first use: reads answer 503
    #: once and writes, relays, consumers and projections retry.
    pg_pre_ping: bool = True
    #: Aggregates kept in memory per process (0: none). A cached aggregate is brought up
    #: to date with only the events stored after it (one query, whichever process wrote
    #: them), instead of being rebuilt from its whole history on every load.
    aggregate_cache_size: int = Field(default=5000, ge=0)

    #: Who issues the tokens this service accepts, and where its public keys are: the
    #: orders service by default, or a deployment's own OIDC provider.
    auth_issuer: str = "oms"
    auth_jwks_url: str = "http://127.0.0.1:8001/.well-known/jwks.json"
    #: Set by the dev stack (``oms up``, the tests): only there are throw-away defaults
    #: (a generated admin password, key passwords, a test CSD) accepted.
    dev_stack: bool = False

    @field_validator("pg_dsn")
    @classmethod
    def _dsn_parses(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            conninfo_to_dict(value)
        except psycopg.ProgrammingError as exc:
            raise ValueError(f"not a valid PostgreSQL DSN: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _database_given(self) -> ServiceSettings:
        if self.event_store == "postgres" and not self.pg_dsn:
            raise ValueError("pg_dsn (OMS_PG_DSN) is required: the event store's server")
        return self

    @property
    def server_dsn(self) -> str:
        """DSN of the PostgreSQL server (the event store must be ``postgres``)."""
        if self.pg_dsn is None:
            raise RuntimeError(f"{self.service} runs on the in-memory event store")
        return self.pg_dsn

    @property
    def database(self) -> str:
        """This service's own database name."""
        return database_name(self.service)

    @property
    def service_dsn(self) -> str:
        """DSN of this service's own database."""
        return make_conninfo(self.server_dsn, dbname=self.database)


@dataclass(frozen=True)
class Company:
    """The company a document comes from, as its header shows it."""

    name: str
    tax_id: str = ""
    address: str = ""
    postal_code: str = ""
    email: str = ""
    phone: str = ""
    language: str = "pt"


class CompanyProfile(BaseSettings):
    """The company every document names (DESIGN section 10): a mixin of the settings of
    each service that makes documents (orders' proposals, billing's invoices), read from
    the same ``OMS_COMPANY_*`` and ``OMS_FISCAL_COUNTRY`` variables so both print the same
    header. ``company_currency`` and ``company_language`` are also a new customer's
    defaults."""

    model_config = SettingsConfigDict(env_prefix="OMS_", extra="ignore", frozen=True)

    company_name: str = "OMS Demo Company"
    company_tax_id: str = ""
    company_address: str = ""
    company_postal_code: str = ""
    company_email: str = ""
    company_phone: str = ""
    company_currency: str = Field(default="BRL", pattern=r"^[A-Z]{3}$")
    company_language: Literal["pt", "es", "pl", "en", "de"] = "pt"
    #: Which tax authority's fiscal documents invoices become: Mexico's CFDI 4.0, Brazil's
    #: NF-e (later), or none (a plain invoice).
    fiscal_country: Literal["MX", "BR", "none"] = "none"
    #: The company's tax regime where the fiscal country needs one (Mexico: c_RegimenFiscal).
    company_fiscal_regime: str = ""

    def company(self) -> Company:
        return Company(
            name=self.company_name,
            tax_id=self.company_tax_id,
            address=self.company_address,
            postal_code=self.company_postal_code,
            email=self.company_email,
            phone=self.company_phone,
            language=self.company_language,
        )


def database_name(service: str) -> str:
    return "oms_" + service.replace("-", "_")
