"""NotificationLogView: the sent-mail log (``GET /notifications``), one row per notification
with its latest state, and what the sender needs: the notifications due now.

Who sees what (one place, applied in every query): staff every row; a customer the
e-mails sent to him (his own or a quote sent at his request) about his documents; a sales
rep the rows of his portfolio's customers (as it is now) and those about no customer
addressed to him (stock alerts). The portfolio (customer -> rep) is kept here from customer
events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from oms_kit.auth import Scope
from oms_kit.paging import Page, PageRequest, Where, keyset_query, page_of
from oms_kit.projection import DictCursor, Stored, View

from oms_notifications.domain.customer import Customer
from oms_notifications.domain.documents import CUSTOMER, REQUESTER
from oms_notifications.domain.errors import NotificationNotFound
from oms_notifications.domain.notification import Notification
from oms_notifications.sending.sender import Due

LOG = "notification_log"
PORTFOLIO = "notification_portfolio"

COLUMNS = (
    "notification_id, position, document_type, document_id, customer_id, sales_rep_id, "
    "audience, recipient, language, subject, message_id, status, attempts, queued_at, "
    "sent_at, error, retry_at, in_flight_since"
)


@dataclass(frozen=True)
class NotificationFilter:
    document_id: str | None = None
    document_type: str | None = None
    recipient: str | None = None
    status: str | None = None
    customer_id: str | None = None


@dataclass(frozen=True)
class NotificationSummary:
    notification_id: str
    position: int
    document_type: str
    document_id: str
    customer_id: str | None
    sales_rep_id: str | None
    audience: str
    recipient: str | None
    language: str | None
    subject: str | None
    message_id: str | None
    status: str
    attempts: int
    queued_at: datetime
    sent_at: datetime | None
    error: str | None
    retry_at: datetime | None
    in_flight_since: datetime | None


def within_scope(scope: Scope, where: Where) -> Where:
    if scope.everything:
        return where
    if scope.sales_rep_id is not None:
        # His portfolio's now (not the rep a notification was queued with: a customer who
        # moved to another rep is out of reach), and those about no customer addressed to
        # him (his stock alerts).
        return where.add(
            f"(customer_id IN (SELECT customer_id FROM {PORTFOLIO} WHERE sales_rep_id = %s) "
            "OR (customer_id IS NULL AND sales_rep_id = %s))",
            scope.sales_rep_id,
            scope.sales_rep_id,
        )
    if scope.customer_id is not None:
        where.add("audience IN (%s, %s)", CUSTOMER, REQUESTER)
    return scope.restrict(where, column="customer_id", portfolio=PORTFOLIO)


class NotificationLogView(View):
    name = "notifications"
    tables = (LOG, PORTFOLIO)
    ddl = f"""
        CREATE TABLE IF NOT EXISTS {LOG} (
            notification_id text PRIMARY KEY,
            position bigint NOT NULL UNIQUE,
            document_type text NOT NULL,
            document_id text NOT NULL,
            customer_id text,
            sales_rep_id text,
            audience text NOT NULL,
            recipient text,
            language text,
            subject text,
            message_id text,
            status text NOT NULL,
            attempts integer NOT NULL DEFAULT 0,
            queued_at timestamptz NOT NULL,
            sent_at timestamptz,
            error text,
            retry_at timestamptz,
            in_flight_since timestamptz
        );
        CREATE INDEX IF NOT EXISTS {LOG}_due ON {LOG} (retry_at) WHERE status = 'pending';
        CREATE INDEX IF NOT EXISTS {LOG}_document ON {LOG} (document_id, position);
        CREATE INDEX IF NOT EXISTS {LOG}_customer ON {LOG} (customer_id, position);
        CREATE TABLE IF NOT EXISTS {PORTFOLIO} (
            entry_id text PRIMARY KEY,
            customer_id text NOT NULL UNIQUE,
            sales_rep_id text
        );
        CREATE INDEX IF NOT EXISTS {PORTFOLIO}_rep ON {PORTFOLIO} (sales_rep_id);
    """

    # --- the events it follows ------------------------------------------------------------

    def on_queued(self, cur: DictCursor, event: Notification.Queued, stored: Stored) -> None:
        cur.execute(
            f"INSERT INTO {LOG} (notification_id, position, document_type, document_id, "
            "customer_id, sales_rep_id, audience, recipient, status, queued_at, retry_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'pending', %s, %s) "
            "ON CONFLICT (notification_id) DO NOTHING",
            (
                str(event.originator_id),
                stored.position,
                event.document_type,
                event.document_id,
                event.customer_id,
                event.sales_rep_id,
                event.audience,
                event.address,
                event.queued_at,
                event.queued_at,
            ),
        )

    def on_sending_started(
        self, cur: DictCursor, event: Notification.SendingStarted, stored: Stored
    ) -> None:
        cur.execute(
            f"UPDATE {LOG} SET recipient = %s, language = %s, subject = %s, message_id = %s, "
            "attempts = %s, in_flight_since = %s, retry_at = NULL, "
            "customer_id = coalesce(customer_id, %s) WHERE notification_id = %s",
            (
                event.recipient,
                event.language,
                event.subject,
                event.message_id,
                event.attempt,
                event.at,
                event.customer_id,
                str(event.originator_id),
            ),
        )

    def on_attempt_failed(
        self, cur: DictCursor, event: Notification.AttemptFailed, stored: Stored
    ) -> None:
        cur.execute(
            f"UPDATE {LOG} SET error = %s, retry_at = %s, in_flight_since = NULL "
            "WHERE notification_id = %s",
            (event.error, event.retry_at, str(event.originator_id)),
        )

    def on_postponed(self, cur: DictCursor, event: Notification.Postponed, stored: Stored) -> None:
        cur.execute(
            f"UPDATE {LOG} SET error = %s, retry_at = %s WHERE notification_id = %s",
            (event.reason, event.retry_at, str(event.originator_id)),
        )

    def on_sent(self, cur: DictCursor, event: Notification.Sent, stored: Stored) -> None:
        cur.execute(
            f"UPDATE {LOG} SET status = 'sent', sent_at = %s, error = NULL, retry_at = NULL, "
            "in_flight_since = NULL WHERE notification_id = %s",
            (event.sent_at, str(event.originator_id)),
        )

    def on_failed(self, cur: DictCursor, event: Notification.Failed, stored: Stored) -> None:
        cur.execute(
            f"UPDATE {LOG} SET status = 'failed', error = %s, retry_at = NULL, "
            "in_flight_since = NULL WHERE notification_id = %s",
            (event.error, str(event.originator_id)),
        )

    def on_resend_requested(
        self, cur: DictCursor, event: Notification.ResendRequested, stored: Stored
    ) -> None:
        cur.execute(
            f"UPDATE {LOG} SET status = 'pending', sent_at = NULL, error = NULL, "
            "retry_at = %s, in_flight_since = NULL WHERE notification_id = %s",
            (event.at, str(event.originator_id)),
        )

    def on_customer_opened(self, cur: DictCursor, event: Customer.Opened, stored: Stored) -> None:
        cur.execute(
            f"INSERT INTO {PORTFOLIO} (entry_id, customer_id) VALUES (%s, %s) "
            "ON CONFLICT (entry_id) DO NOTHING",
            (str(event.originator_id), event.key),
        )

    def on_customer_learnt(self, cur: DictCursor, event: Customer.Learnt, stored: Stored) -> None:
        if "sales_rep_id" in event.fields:
            cur.execute(
                f"UPDATE {PORTFOLIO} SET sales_rep_id = %s WHERE entry_id = %s",
                (event.fields["sales_rep_id"], str(event.originator_id)),
            )

    # --- queries --------------------------------------------------------------------------

    def list_notifications(
        self, scope: Scope, filter: NotificationFilter, page: PageRequest
    ) -> Page[NotificationSummary]:
        """The log, newest first, within ``scope``."""
        where = within_scope(
            scope,
            Where()
            .equals("document_id", filter.document_id)
            .equals("document_type", filter.document_type)
            .equals("recipient", filter.recipient)
            .equals("status", filter.status)
            .equals("customer_id", filter.customer_id),
        )
        query, params = keyset_query(f"SELECT {COLUMNS} FROM {LOG}", where, ["position"], page)
        with self.reading() as cur:
            cur.execute(query, params)
            rows = [NotificationSummary(**row) for row in cur.fetchall()]
        return page_of(rows, page.limit, lambda row: (row.position,))

    def get_notification(self, scope: Scope, notification_id: str) -> NotificationSummary:
        """One row within ``scope`` (404 otherwise, as if it did not exist)."""
        where = within_scope(scope, Where().equals("notification_id", notification_id))
        query, params = keyset_query(
            f"SELECT {COLUMNS} FROM {LOG}", where, ["position"], PageRequest(limit=1)
        )
        with self.reading() as cur:
            cur.execute(query, params)
            row = cur.fetchone()
        if row is None:
            raise NotificationNotFound(notification_id)
        return NotificationSummary(**row)

    def list_due(self, now: datetime, lease: timedelta, limit: int) -> list[Due]:
        """Pending notifications whose time has come, or whose claim is older than the
        lease; the oldest first. The view may lag: the sender reloads each."""
        with self.reading() as cur:
            cur.execute(
                f"SELECT notification_id, document_id FROM {LOG} WHERE status = 'pending' AND "
                "((in_flight_since IS NULL AND retry_at <= %s) OR in_flight_since <= %s) "
                "ORDER BY coalesce(in_flight_since, retry_at), position LIMIT %s",
                (now, now - lease, limit),
            )
            return [Due(UUID(row["notification_id"]), row["document_id"]) for row in cur.fetchall()]

    def rows(self) -> list[dict[str, Any]]:
        """Every row of the view's tables, in a fixed order (a replay compares them)."""
        with self.reading() as cur:
            cur.execute(f"SELECT * FROM {LOG} ORDER BY notification_id")
            log_rows = cur.fetchall()
            cur.execute(f"SELECT * FROM {PORTFOLIO} ORDER BY entry_id")
            return [*log_rows, *cur.fetchall()]
