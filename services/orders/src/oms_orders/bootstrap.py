"""The composition root of the orders service: the one place that builds its settings,
Application, handlers, mappings, read models and routes. Tests call it with overrides
(``event_store="memory"``, another database) and collaborators (a token verifier, a
cheaper password hasher, a clock)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from oms_kit.auth import TokenVerifier
from oms_kit.eventstore import build_application
from oms_kit.service import Service
from oms_kit.settings import Company

from oms_orders.api.cart import build_cart_router
from oms_orders.api.catalogue import build_catalogue_router
from oms_orders.api.customers import build_customers_router
from oms_orders.api.documents import build_documents_router
from oms_orders.api.identity import TOKEN_URL, build_public_router
from oms_orders.api.identity import build_router as build_identity_router
from oms_orders.api.price_lists import build_price_lists_router
from oms_orders.api.routes import build_router
from oms_orders.application import OrdersApplication
from oms_orders.documents.attachments import (
    AttachmentStore,
    MemoryAttachments,
    PostgresAttachments,
)
from oms_orders.identity.keys import (
    Clock,
    KeyTable,
    MemoryKeyTable,
    PostgresKeyTable,
    SigningKeys,
    utc_now,
)
from oms_orders.identity.passwords import Passwords
from oms_orders.identity.service_clients import ServiceClients
from oms_orders.identity.throttle import (
    FailureLog,
    Limits,
    MemoryFailureLog,
    PostgresFailureLog,
    SignInThrottle,
)
from oms_orders.identity.tokens import TokenSigner
from oms_orders.integration.inbound import inbound
from oms_orders.integration.outbound import outbound
from oms_orders.projections.catalogue import CatalogueView
from oms_orders.projections.customer_list import CustomerListView
from oms_orders.projections.order_list import OrderListView
from oms_orders.projections.portfolio import PortfolioView
from oms_orders.projections.price_list_list import PriceListListView
from oms_orders.projections.quote_list import QuoteListView
from oms_orders.projections.sales_rep_list import SalesRepListView
from oms_orders.projections.user_list import UserListView
from oms_orders.settings import Settings


def bootstrap(
    verifier: TokenVerifier | None = None,
    passwords: Passwords | None = None,
    clock: Clock | None = None,
    **overrides: Any,
) -> Service:
    """The orders service. ``verifier`` replaces how tokens are verified (by default with
    this service's own signing keys, no HTTP round trip); ``passwords`` the Argon2 hasher;
    ``clock`` the time of tokens, keys and failed sign-ins."""
    settings = Settings(**overrides)
    app = build_application(OrdersApplication, settings)
    app.company_currency = settings.company_currency
    app.company_language = settings.company_language
    app.fiscal_country = settings.fiscal_country
    keys = configure_identity(app, settings, passwords or Passwords(), clock or utc_now)
    company = configure_documents(app, settings)
    order_list = OrderListView(app)
    quote_list = QuoteListView(app)
    customer_list = CustomerListView(app)
    user_list = UserListView(app)
    sales_rep_list = SalesRepListView(app)
    catalogue = CatalogueView(app)
    price_lists = PriceListListView(app)
    return Service(
        settings=settings,
        app=app,
        title="OMS orders",
        inbound=inbound,
        outbound=outbound,
        routers=[
            build_router(app, order_list, quote_list),
            build_customers_router(customer_list),
            build_identity_router(app, user_list, sales_rep_list),
            build_documents_router(app, company),
            build_catalogue_router(app, catalogue),
            build_cart_router(app),
            build_price_lists_router(app, price_lists),
        ],
        public_routers=[build_public_router(app, keys)],
        views=[
            order_list,
            quote_list,
            customer_list,
            PortfolioView(app),
            user_list,
            sales_rep_list,
            catalogue,
            price_lists,
        ],
        verifier=verifier or keys.verifier(settings.auth_issuer),
        token_url=TOKEN_URL,
    )


def configure_documents(app: OrdersApplication, settings: Settings) -> Company:
    """Where attached files are kept (a table of the orders database, or memory beside
    the in-memory event store), their size limit; returns the company the documents
    name."""
    attachments: AttachmentStore
    if settings.event_store == "postgres":
        table = PostgresAttachments(app.datastore)
        table.create()
        attachments = table
    else:
        attachments = MemoryAttachments()
    app.configure_documents(attachments=attachments, max_bytes=settings.attachment_max_bytes)
    return settings.company()


def configure_identity(
    app: OrdersApplication, settings: Settings, passwords: Passwords, clock: Clock
) -> SigningKeys:
    """Signing in: the key and failure tables (on PostgreSQL, or in memory beside the
    in-memory event store), the hasher, the token signer, the service clients; then the
    first admin, when ``admin_password`` is set and there is no user ``admin`` yet (one
    process at a time: the api and worker start together). Returns the key ring."""
    key_table: KeyTable
    failures: FailureLog
    if settings.event_store == "postgres":
        key_table, failures = PostgresKeyTable(app.datastore), PostgresFailureLog(app.datastore)
        key_table.create()
        failures.create()
    else:
        key_table, failures = MemoryKeyTable(), MemoryFailureLog()
    lifetime = timedelta(minutes=settings.auth_token_minutes)
    keys = SigningKeys(key_table, settings.signing_key_password, lifetime, clock)
    limits = Limits(
        per_subject=settings.auth_failures_per_user,
        per_address=settings.auth_failures_per_address,
        window=timedelta(minutes=settings.auth_failure_window_minutes),
    )
    app.configure_identity(
        passwords=passwords,
        signing_keys=keys,
        tokens=TokenSigner(keys, settings.auth_issuer, lifetime, clock),
        throttle=SignInThrottle(failures, limits, clock),
        service_clients=ServiceClients(
            {
                client_id: secret.get_secret_value()
                for client_id, secret in settings.service_client_secrets().items()
            }
        ),
    )
    if settings.admin_password is not None:
        # No lock around it: the user's id is derived from his name, so of two processes
        # making the admin at once one saves and the other meets the conflict (AlreadyExists,
        # passed over). A transaction held open while the password is hashed ran past
        # PostgreSQL's idle-in-transaction limit on a busy machine, and the process exited.
        app.create_first_admin(settings.admin_password.get_secret_value())
    return keys
