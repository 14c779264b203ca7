"""Pure checks of settings and topic names: no I/O."""

from typing import ClassVar

import pytest
from oms_contracts import dlq_topic, events_topic
from oms_kit.eventstore import eventsourcing_env
from oms_kit.settings import ServiceSettings
from pydantic import ValidationError


class MarketplaceSettings(ServiceSettings):
    service: ClassVar[str] = "marketplace-ingest"


def test_settings_refuse_to_start_without_a_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMS_PG_DSN", raising=False)
    with pytest.raises(ValidationError, match="pg_dsn"):
        MarketplaceSettings()


def test_settings_read_oms_variables_and_name_the_service_database(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OMS_PG_DSN", "postgresql://oms:secret@db.internal:5433/postgres")
    monkeypatch.setenv("OMS_KAFKA_IDEMPOTENCE", "true")
    settings = MarketplaceSettings()
    assert settings.kafka_idempotence is True
    assert settings.database == "oms_marketplace_ingest"
    env = eventsourcing_env(settings)
    assert env["POSTGRES_DBNAME"] == "oms_marketplace_ingest"
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"]) == ("db.internal", "5433")
    assert env["POSTGRES_PASSWORD"] == "secret"
    assert env["SINGLE_ROW_TRACKING"] == "n"
    assert "POSTGRES_ENABLE_DB_FUNCTIONS" not in env  # the gap-safe locking mode


def test_a_malformed_dsn_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError, match="pg_dsn"):
        MarketplaceSettings(pg_dsn="host=a port")


def test_topic_names() -> None:
    assert events_topic("inventory") == "oms.inventory.events"
    assert dlq_topic("billing") == "oms.billing.dlq"


def test_only_services_that_publish_have_topics() -> None:
    with pytest.raises(ValueError, match="unknown service 'shipping'"):
        events_topic("shipping")
    # Registered as a service only once it publishes something (a contract event): the
    # portal, an app that calls the services' routes, publishes nothing.
    with pytest.raises(ValueError, match="unknown service 'portal'"):
        dlq_topic("portal")
