"""The connections that import automatically, in table ``marketplace_connections`` (no
credential is ever projected)."""

from __future__ import annotations

from oms_kit.projection import DictCursor, Stored, View

from oms_marketplace_ingest.domain import Connection

TABLE = "marketplace_connections"


class ConnectionsView(View):
    name = "connections"
    tables = (TABLE,)
    ddl = (
        f"CREATE TABLE IF NOT EXISTS {TABLE} ("
        "connection_id text PRIMARY KEY, name text NOT NULL, marketplace text NOT NULL, "
        "auto_import_minutes integer, position bigint NOT NULL)"
    )

    def on_created(self, cur: DictCursor, event: Connection.Created, stored: Stored) -> None:
        cur.execute(
            f"INSERT INTO {TABLE} VALUES (%s, %s, %s, %s, %s) "
            "ON CONFLICT (connection_id) DO NOTHING",
            (
                str(event.originator_id),
                event.name,
                event.marketplace,
                event.auto_import_minutes,
                stored.position,
            ),
        )

    def automatic(self) -> dict[str, int]:
        """Connection id -> minutes between automatic imports."""
        with self.reading() as cur:
            cur.execute(
                f"SELECT connection_id, auto_import_minutes FROM {TABLE} "
                "WHERE auto_import_minutes IS NOT NULL"
            )
            return {str(r["connection_id"]): int(r["auto_import_minutes"]) for r in cur.fetchall()}
