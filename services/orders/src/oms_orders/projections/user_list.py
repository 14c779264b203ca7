"""``user_list``: one row per user, for ``GET /users`` (the admin's), by username. No
password hash is ever copied here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from oms_kit.paging import Page, PageRequest, Where, keyset_query, page_of
from oms_kit.projection import DictCursor, Stored, View

from oms_orders.domain.user import User, username_key

TABLE = "orders_user_list"


@dataclass(frozen=True)
class UserFilter:
    """What ``list_users`` keeps; None keeps everything."""

    role: str | None = None
    enabled: bool | None = None


@dataclass(frozen=True)
class UserSummary:
    user_id: str
    username: str
    role: str
    sales_rep_id: str | None
    customer_id: str | None
    partner_id: str | None
    language: str
    enabled: bool
    created_at: datetime


class UserListView(View):
    name: ClassVar[str] = "user_list"
    tables: ClassVar[tuple[str, ...]] = (TABLE,)
    ddl: ClassVar[str] = f"""
        CREATE TABLE IF NOT EXISTS {TABLE} (
            user_id text PRIMARY KEY,
            username text NOT NULL,
            username_key text NOT NULL UNIQUE,
            role text NOT NULL,
            sales_rep_id text,
            customer_id text,
            partner_id text,
            language text NOT NULL,
            enabled boolean NOT NULL,
            created_at timestamptz NOT NULL,
            position bigint NOT NULL
        );
    """

    # Following the users' events ---------------------------------------------------------

    def on_registered(self, cur: DictCursor, event: User.UserRegistered, stored: Stored) -> None:
        cur.execute(
            f"INSERT INTO {TABLE} (user_id, username, username_key, role, sales_rep_id, "
            "customer_id, partner_id, language, enabled, created_at, position) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, true, %s, %s) "
            "ON CONFLICT (user_id) DO NOTHING",
            (
                str(event.originator_id),
                event.username,
                username_key(event.username),
                event.role,
                event.sales_rep_id,
                event.customer_id,
                event.partner_id,
                event.language,
                event.timestamp,
                stored.position,
            ),
        )

    def on_disabled(self, cur: DictCursor, event: User.UserDisabled, stored: Stored) -> None:
        self._set_enabled(cur, event, stored, enabled=False)

    def on_enabled(self, cur: DictCursor, event: User.UserEnabled, stored: Stored) -> None:
        self._set_enabled(cur, event, stored, enabled=True)

    def _set_enabled(
        self, cur: DictCursor, event: User.Event, stored: Stored, enabled: bool
    ) -> None:
        cur.execute(
            f"UPDATE {TABLE} SET enabled = %s, position = %s WHERE user_id = %s",
            (enabled, stored.position, str(event.originator_id)),
        )

    # Queries -----------------------------------------------------------------------------

    def list_users(self, filter: UserFilter, page: PageRequest) -> Page[UserSummary]:
        """By username (letter case aside)."""
        where = Where().equals("role", filter.role).equals("enabled", filter.enabled)
        query, params = keyset_query(
            "SELECT user_id, username, username_key, role, sales_rep_id, customer_id, "
            f"partner_id, language, enabled, created_at FROM {TABLE}",
            where,
            ("username_key",),
            page,
            descending=False,
        )
        with self.reading() as cur:
            cur.execute(query, params)
            rows: list[dict[str, Any]] = cur.fetchall()
        keys = {row["user_id"]: row.pop("username_key") for row in rows}
        users = [UserSummary(**row) for row in rows]
        return page_of(users, page.limit, key=lambda user: (keys[user.user_id],))
