"""The bodies of the marketplace connection and import routes (never a credential out)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr, StringConstraints

from oms_marketplace_ingest.domain import ImportRun

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Url = Annotated[str, StringConstraints(pattern=r"^https?://", max_length=500)]


class ConnectionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    marketplace: Literal["amazon"]
    name: Text
    seller_id: Text
    marketplace_ids: list[Text] = Field(min_length=1, max_length=50)
    customer_id: Text
    client_id: SecretStr = Field(min_length=1, max_length=500)
    client_secret: SecretStr = Field(min_length=1, max_length=2000)
    refresh_token: SecretStr = Field(min_length=1, max_length=4000)
    endpoint: Url | None = None
    lwa_endpoint: Url | None = None
    auto_import_minutes: int | None = Field(default=None, ge=1, le=7 * 24 * 60)
    #: Marketplace SKU -> catalogue SKU, where they differ.
    sku_map: dict[Text, Text] = Field(default_factory=dict, max_length=10_000)


class ConnectionCreated(BaseModel):
    connection_id: str


class ImportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    created_from: AwareDatetime
    created_to: AwareDatetime | None = None


class ImportAccepted(BaseModel):
    import_run_id: str


class ImportedOrder(BaseModel):
    external_order_id: str
    order_id: str | None
    status: str
    reason: str | None = None


class ImportRunPublic(BaseModel):
    import_run_id: str
    connection_id: str
    kind: str
    status: Literal["running", "completed", "failed"]
    imported: int
    updated: int
    skipped: int
    failed: int
    started_at: datetime
    orders: list[ImportedOrder]

    @classmethod
    def of(cls, run: ImportRun) -> ImportRunPublic:
        return cls(
            import_run_id=str(run.id),
            connection_id=run.connection_id,
            kind=run.kind,
            status=run.status,
            imported=run.count("imported"),
            updated=run.count("updated", "cancelled"),
            skipped=run.count("skipped", "unchanged"),
            failed=run.count("failed", "flagged"),
            started_at=datetime.fromisoformat(run.started_at.replace("Z", "+00:00")),
            orders=[
                ImportedOrder(external_order_id=ext, order_id=oid, status=outcome, reason=reason)
                for ext, (oid, outcome, reason) in run.outcomes.items()
            ],
        )


class ImportRunsPublic(BaseModel):
    items: list[ImportRunPublic]
    next_cursor: str | None
