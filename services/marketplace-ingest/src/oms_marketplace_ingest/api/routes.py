"""Routes of marketplace connections and import runs (DESIGN section 13): the back office
and the admin connect marketplaces and start and read imports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from oms_kit.auth import BACK_OFFICE, allow
from oms_kit.http import Paging

from oms_marketplace_ingest.api.models import (
    ConnectionCreate,
    ConnectionCreated,
    ImportAccepted,
    ImportCreate,
    ImportRunPublic,
    ImportRunsPublic,
)
from oms_marketplace_ingest.application import ConnectionInput, MarketplaceIngestApplication
from oms_marketplace_ingest.projections.imports import ImportsView


def build_router(app: MarketplaceIngestApplication, imports: ImportsView) -> APIRouter:
    router = APIRouter(
        tags=["marketplaces"],
        responses={403: {"description": "the caller's role may not do this"}},
        dependencies=[allow(BACK_OFFICE)],
    )

    @router.post("/connections", status_code=status.HTTP_201_CREATED)
    def create_connection(body: ConnectionCreate) -> ConnectionCreated:
        """Connect a seller account; its credentials are stored encrypted, never shown."""
        connection = app.create_connection(
            ConnectionInput(
                marketplace=body.marketplace,
                name=body.name,
                seller_id=body.seller_id,
                marketplace_ids=list(body.marketplace_ids),
                customer_id=body.customer_id,
                client_id=body.client_id.get_secret_value(),
                client_secret=body.client_secret.get_secret_value(),
                refresh_token=body.refresh_token.get_secret_value(),
                endpoint=body.endpoint,
                lwa_endpoint=body.lwa_endpoint,
                auto_import_minutes=body.auto_import_minutes,
                sku_map=dict(body.sku_map),
            )
        )
        return ConnectionCreated(connection_id=str(connection.id))

    @router.post(
        "/connections/{connection_id}/imports",
        status_code=status.HTTP_202_ACCEPTED,
        responses={404: {"description": "no such connection"}},
    )
    def request_import(connection_id: str, body: ImportCreate) -> ImportAccepted:
        """Import the orders created in a period; the worker runs it (``GET /imports/{id}``)."""
        run = app.request_import(connection_id, body.created_from, body.created_to)
        return ImportAccepted(import_run_id=str(run.id))

    @router.get("/imports/{import_run_id}", responses={404: {"description": "no such run"}})
    def get_import(import_run_id: str) -> ImportRunPublic:
        return ImportRunPublic.of(app.get_run(import_run_id))

    @router.get("/imports")
    def list_imports(
        page: Paging, connection_id: Annotated[str | None, Query(max_length=100)] = None
    ) -> ImportRunsPublic:
        """Import runs, newest first."""
        found = imports.list_runs(connection_id, page)
        return ImportRunsPublic(
            items=[ImportRunPublic.of(app.get_run(run_id)) for run_id in found.items],
            next_cursor=found.next_cursor,
        )

    return router
