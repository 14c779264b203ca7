"""The import runs list (``GET /imports``): one row per run with its counts, in table
``marketplace_import_runs``; rebuildable with ``oms replay marketplace-ingest imports``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from oms_kit.paging import Page, PageRequest, Where, keyset_query, page_of
from oms_kit.projection import DictCursor, Stored, View

from oms_marketplace_ingest.domain import ImportRun

TABLE = "marketplace_import_runs"


@dataclass(frozen=True)
class RunRow:
    import_run_id: str
    connection_id: str
    kind: str
    status: str
    started_at: str
    position: int


class ImportsView(View):
    name = "imports"
    tables = (TABLE,)
    ddl = (
        f"CREATE TABLE IF NOT EXISTS {TABLE} ("
        "import_run_id text PRIMARY KEY, connection_id text NOT NULL, kind text NOT NULL, "
        "status text NOT NULL, started_at text NOT NULL, position bigint NOT NULL); "
        f"CREATE INDEX IF NOT EXISTS {TABLE}_connection ON {TABLE} (connection_id, position); "
        f"CREATE INDEX IF NOT EXISTS {TABLE}_status ON {TABLE} (status)"
    )

    def on_started(self, cur: DictCursor, event: ImportRun.Started, stored: Stored) -> None:
        cur.execute(
            f"INSERT INTO {TABLE} VALUES (%s, %s, %s, 'running', %s, %s) "
            "ON CONFLICT (import_run_id) DO NOTHING",
            (
                str(event.originator_id),
                event.connection_id,
                event.kind,
                event.started_at,
                stored.position,
            ),
        )

    def on_completed(self, cur: DictCursor, event: ImportRun.Completed, stored: Stored) -> None:
        self._status(cur, event.originator_id, "completed")

    def on_failed(self, cur: DictCursor, event: ImportRun.Failed, stored: Stored) -> None:
        self._status(cur, event.originator_id, "failed")

    def _status(self, cur: DictCursor, run_id: Any, status: str) -> None:
        cur.execute(
            f"UPDATE {TABLE} SET status = %s WHERE import_run_id = %s", (status, str(run_id))
        )

    # Queries
    def list_runs(self, connection_id: str | None, page: PageRequest) -> Page[str]:
        """Run ids, newest first."""
        where = Where().equals("connection_id", connection_id)
        query, params = keyset_query(
            f"SELECT import_run_id, position FROM {TABLE}", where, ["position"], page
        )
        with self.reading() as cur:
            cur.execute(query, params)
            rows = cur.fetchall()
        found = page_of(rows, page.limit, lambda r: (int(r["position"]),))
        return Page(
            items=[str(r["import_run_id"]) for r in found.items], next_cursor=found.next_cursor
        )

    def running(self) -> list[tuple[str, str]]:
        """(run id, connection id) of the runs not finished, oldest first."""
        with self.reading() as cur:
            cur.execute(
                f"SELECT import_run_id, connection_id FROM {TABLE} WHERE status = 'running' "
                "ORDER BY position"
            )
            return [(str(r["import_run_id"]), str(r["connection_id"])) for r in cur.fetchall()]

    def last_automatic(self) -> dict[str, str]:
        """When each connection's newest automatic run started."""
        with self.reading() as cur:
            cur.execute(
                f"SELECT connection_id, max(started_at) AS at FROM {TABLE} "
                "WHERE kind = 'automatic' GROUP BY connection_id"
            )
            return {str(r["connection_id"]): str(r["at"]) for r in cur.fetchall()}
