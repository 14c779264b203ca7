"""Identity's use cases in memory: users (every role and the record it stands for,
usernames unique whatever their case, disabling), sales reps, partners (secrets shown once
and rotated), signing in with both grants, the first admin and key rotation; what is
published (never a hash or a secret)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from oms_contracts import orders as contract
from oms_dev.inmemory import ServiceInMemory
from oms_kit.auth import Caller
from oms_kit.domain import AlreadyExists, Conflict, InvalidInput, NotFound
from oms_orders.application import OrdersApplication
from oms_orders.bootstrap import bootstrap
from oms_orders.identity.passwords import Passwords
from oms_orders.identity.throttle import TooManyFailures
from oms_orders.identity.tokens import InvalidClient, InvalidGrant
from pwdlib.hashers.argon2 import Argon2Hasher

#: Argon2 at its cheapest: the same hashing, fast enough for many users per test.
FAST_PASSWORDS = Passwords(Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1))
ADMIN_PASSWORD = "the-first-admins-password"
PASSWORD = "a-good-long-password"


@pytest.fixture
def orders() -> ServiceInMemory:
    return ServiceInMemory(
        bootstrap, passwords=FAST_PASSWORDS, admin_password=ADMIN_PASSWORD, company_language="pl"
    )


@pytest.fixture
def app(orders: ServiceInMemory) -> OrdersApplication:
    application: OrdersApplication = orders.app
    return application


def caller(orders: ServiceInMemory, token: str) -> Caller:
    return orders.service.token_verifier().verify(token)


def customer_id(app: OrdersApplication) -> str:
    return app.register_customer(
        name="Ana Lopez",
        tax_id="ES1",
        email="ana@example.com",
        credit_limit=Decimal("100.00"),
        payment_terms_days=[30],
    ).customer_id


# --- users -----------------------------------------------------------------------------


def test_the_first_admin_is_made_once(orders: ServiceInMemory, app: OrdersApplication) -> None:
    admin = app.find_user("admin")
    assert admin is not None and admin.role == "admin" and admin.enabled
    assert app.create_first_admin("another-admin-password") is None
    token = app.password_grant("admin", ADMIN_PASSWORD, "10.0.0.1")
    assert caller(orders, token.access_token) == Caller(subject="admin", role="admin")
    with pytest.raises(InvalidGrant):
        app.password_grant("admin", "another-admin-password", "10.0.0.1")


def test_processes_making_the_first_admin_at_once_make_one() -> None:
    # Several processes of orders start together with the admin's password and no lock
    # between them: one saves him, the others meet the conflict and pass over it.
    orders = ServiceInMemory(bootstrap, passwords=FAST_PASSWORDS)
    app: OrdersApplication = orders.app
    start = threading.Barrier(4)

    def make() -> object:
        start.wait()
        return app.create_first_admin(ADMIN_PASSWORD)

    with ThreadPoolExecutor(4) as pool:
        made = list(pool.map(lambda _: make(), range(4)))
    assert sum(user is not None for user in made) == 1
    assert app.password_grant("admin", ADMIN_PASSWORD, "10.0.0.1").access_token


def test_without_an_admin_password_nobody_is_made() -> None:
    orders = ServiceInMemory(bootstrap, passwords=FAST_PASSWORDS)
    assert orders.app.find_user("admin") is None


def test_a_user_of_each_role_signs_in_standing_for_his_record(
    orders: ServiceInMemory, app: OrdersApplication
) -> None:
    rep = app.register_sales_rep(name="Rita", email="rita@example.com")
    customer = customer_id(app)
    partner, _ = app.register_partner(name="Shop", customer_id=customer)
    users = {
        "bo": ("back_office", {}),
        "wh": ("warehouse", {}),
        "rita": ("sales_rep", {"sales_rep_id": rep.sales_rep_id}),
        "ana": ("customer", {"customer_id": customer}),
        "shop-user": ("partner", {"partner_id": partner.partner_id}),
    }
    for username, (role, stands_for) in users.items():
        app.register_user(username=username, password=PASSWORD, role=role, **stands_for)
        token = app.password_grant(username.upper(), PASSWORD, "10.0.0.1")
        assert caller(orders, token.access_token) == Caller(
            subject=username, role=role, **stands_for
        )
    published = orders.published(contract.UserRegistered)
    assert [(u.username, u.role) for u in published] == [
        ("admin", "admin"),
        *((name, role) for name, (role, _) in users.items()),
    ]
    rita = next(u for u in published if u.username == "rita")
    assert rita.model_dump(exclude={"event_type", "event_version", "user_id"}) == {
        "username": "rita",
        "role": "sales_rep",
        "sales_rep_id": rep.sales_rep_id,
        "customer_id": None,
        "partner_id": None,
        "language": "pl",  # the company's
    }


def test_a_username_is_taken_whatever_its_letter_case(app: OrdersApplication) -> None:
    app.register_user(username="Maria", password=PASSWORD, role="back_office")
    for taken in ("Maria", "maria", " MARIA "):
        with pytest.raises(AlreadyExists) as refused:
            app.register_user(username=taken, password=PASSWORD, role="warehouse")
        assert refused.value.field == "username"


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"password": "short-pass"}, "password"),
        ({"password": "x" * 1025}, "password"),
        ({"role": "root"}, "role"),
        ({"language": "fr"}, "language"),
        ({"role": "sales_rep", "sales_rep_id": "no-such-rep"}, "sales_rep_id"),
        ({"role": "customer", "customer_id": "no-such-customer"}, "customer_id"),
        ({"role": "partner", "partner_id": "no-such-partner"}, "partner_id"),
        ({"role": "customer"}, "customer_id"),
        ({"username": "two words"}, "username"),
    ],
)
def test_a_user_is_refused_naming_the_field(
    app: OrdersApplication, given: dict[str, str], field: str
) -> None:
    request = {"username": "someone", "password": PASSWORD, "role": "back_office", **given}
    with pytest.raises(InvalidInput) as refused:
        app.register_user(**request)
    assert refused.value.field == field
    assert app.find_user("someone") is None


def test_a_disabled_user_cannot_sign_in_and_is_enabled_again(app: OrdersApplication) -> None:
    user = app.register_user(username="bo", password=PASSWORD, role="back_office")
    app.disable_user(user.user_id, by="admin")
    with pytest.raises(InvalidGrant):
        app.password_grant("bo", PASSWORD, "10.0.0.1")
    with pytest.raises(Conflict):
        app.disable_user(user.user_id, by="admin")
    app.enable_user(user.user_id)
    assert app.password_grant("bo", PASSWORD, "10.0.0.1").access_token
    with pytest.raises(NotFound) as unknown:
        app.disable_user("not-a-user")
    assert unknown.value.field == "user_id"


def test_nobody_disables_himself(app: OrdersApplication) -> None:
    admin = app.find_user("admin")
    assert admin is not None
    with pytest.raises(Conflict):
        app.disable_user(admin.user_id, by="ADMIN")


def test_a_user_changes_his_password_giving_the_current_one(app: OrdersApplication) -> None:
    app.register_user(username="bo", password=PASSWORD, role="back_office")
    with pytest.raises(InvalidInput) as wrong:
        app.change_password("bo", "not-the-password", "a-new-long-password")
    assert wrong.value.field == "current_password"
    with pytest.raises(InvalidInput) as short:
        app.change_password("bo", PASSWORD, "too-short")
    assert short.value.field == "new_password"
    app.change_password("bo", PASSWORD, "a-new-long-password")
    with pytest.raises(InvalidGrant):
        app.password_grant("bo", PASSWORD, "10.0.0.1")
    assert app.password_grant("bo", "a-new-long-password", "10.0.0.1").access_token


def test_wrong_current_passwords_are_slowed_without_locking_the_user_out(
    app: OrdersApplication,
) -> None:
    """Whoever holds a user's token may guess at his password only slowly, and cannot
    stop him from signing in (nor anyone at his address)."""
    app.register_user(username="bo", password=PASSWORD, role="back_office")
    for attempt in range(5):
        with pytest.raises(InvalidInput):
            app.change_password("bo", f"guess-number-{attempt}", "a-new-long-password")
    with pytest.raises(TooManyFailures):
        app.change_password("bo", PASSWORD, "a-new-long-password")
    assert app.password_grant("bo", PASSWORD, "10.0.0.1").access_token


def test_an_unknown_user_a_disabled_one_and_a_wrong_password_are_refused_alike(
    app: OrdersApplication,
) -> None:
    user = app.register_user(username="bo", password=PASSWORD, role="back_office")
    app.register_user(username="off", password=PASSWORD, role="back_office")
    app.disable_user(app.find_user("off").user_id)  # type: ignore[union-attr]
    refusals = []
    for username, password in (("nobody", PASSWORD), ("off", PASSWORD), ("bo", "wrong-password")):
        with pytest.raises(InvalidGrant) as refused:
            app.password_grant(username, password, "10.0.0.1")
        refusals.append((type(refused.value), str(refused.value)))
    assert len(set(refusals)) == 1
    assert user.enabled


def test_repeated_failures_are_slowed_for_known_and_unknown_usernames(
    app: OrdersApplication,
) -> None:
    app.register_user(username="bo", password=PASSWORD, role="back_office")
    for username in ("bo", "nobody"):
        for attempt in range(5):
            with pytest.raises(InvalidGrant):
                app.password_grant(username, f"wrong-{attempt}", f"10.0.1.{attempt}")
        with pytest.raises(TooManyFailures) as slowed:
            app.password_grant(username, PASSWORD, "10.0.2.1")  # even the right password
        assert 0 < slowed.value.retry_after_s <= 15 * 60


def test_signing_in_again_with_a_password_hashed_under_older_parameters_renews_the_hash(
    app: OrdersApplication,
) -> None:
    user = app.register_user(username="bo", password=PASSWORD, role="back_office")
    app.passwords = Passwords(Argon2Hasher(time_cost=2, memory_cost=1024, parallelism=1))
    app.password_grant("bo", PASSWORD, "10.0.0.1")
    renewed = app.find_user("bo")
    assert renewed is not None and renewed.password_hash != user.password_hash
    assert app.password_grant("bo", PASSWORD, "10.0.0.1").access_token


# --- sales reps and partners ---------------------------------------------------------------


def test_a_sales_rep_is_registered_and_published(
    orders: ServiceInMemory, app: OrdersApplication
) -> None:
    rep = app.register_sales_rep(name="Rita Silva", email="rita@example.com")
    (published,) = orders.published(contract.SalesRepRegistered)
    assert (published.sales_rep_id, published.name, published.email) == (
        rep.sales_rep_id,
        "Rita Silva",
        "rita@example.com",
    )
    with pytest.raises(InvalidInput) as refused:
        app.register_sales_rep(name="Rita", email="not an e-mail")
    assert refused.value.field == "email"


def test_a_partner_signs_in_with_its_client_credentials_until_the_secret_is_rotated(
    orders: ServiceInMemory, app: OrdersApplication
) -> None:
    customer = customer_id(app)
    partner, secret = app.register_partner(name="Shop", customer_id=customer)
    assert (partner.customer_id, partner.enabled) == (customer, True)
    assert secret not in partner.secret_hash
    token = app.client_grant(partner.client_id, secret, "10.0.0.1")
    assert caller(orders, token.access_token) == Caller(
        subject=partner.client_id, role="partner", partner_id=partner.partner_id
    )
    rotated, new_secret = app.rotate_partner_secret(partner.partner_id)
    assert new_secret != secret and rotated.client_id == partner.client_id
    with pytest.raises(InvalidClient):
        app.client_grant(partner.client_id, secret, "10.0.0.1")
    assert app.client_grant(partner.client_id, new_secret, "10.0.0.1").access_token
    with pytest.raises(InvalidClient):
        app.client_grant("partner-unknown", new_secret, "10.0.0.1")
    app.disable_partner(partner.partner_id)
    with pytest.raises(InvalidClient):
        app.client_grant(partner.client_id, new_secret, "10.0.0.1")
    with pytest.raises(Conflict):
        app.rotate_partner_secret(partner.partner_id)


def test_a_partner_books_to_a_known_customer(app: OrdersApplication) -> None:
    with pytest.raises(InvalidInput) as refused:
        app.register_partner(name="Shop", customer_id="no-such-customer")
    assert refused.value.field == "customer_id"
    with pytest.raises(NotFound):
        app.rotate_partner_secret("no-such-partner")


def test_no_hash_or_secret_is_published(orders: ServiceInMemory, app: OrdersApplication) -> None:
    customer = customer_id(app)
    partner, secret = app.register_partner(name="Shop", customer_id=customer)
    app.register_user(
        username="shop", password=PASSWORD, role="partner", partner_id=partner.partner_id
    )
    published = " ".join(event.model_dump_json() for event in orders.published())
    stored_hashes = [u.password_hash for u in (app.find_user("shop"), app.find_user("admin")) if u]
    for never in (PASSWORD, ADMIN_PASSWORD, secret, partner.secret_hash, *stored_hashes):
        assert never not in published
    assert "argon2" not in published


# --- keys ----------------------------------------------------------------------------------


def test_a_rotated_key_signs_new_tokens_and_the_old_ones_still_verify(
    orders: ServiceInMemory, app: OrdersApplication
) -> None:
    old_token = app.password_grant("admin", ADMIN_PASSWORD, "10.0.0.1").access_token
    old_kid = app.ensure_signing_key()
    new_kid = app.rotate_signing_key()
    assert new_kid != old_kid and app.ensure_signing_key() == new_kid
    new_token = app.password_grant("admin", ADMIN_PASSWORD, "10.0.0.1").access_token
    for token in (old_token, new_token):
        assert caller(orders, token).subject == "admin"
    assert app.signing_keys is not None
    assert [jwk["kid"] for jwk in app.signing_keys.published()] == [new_kid, old_kid]


def test_signing_in_stores_nothing(app: OrdersApplication) -> None:
    before = app.recorder.max_notification_id()
    app.password_grant("admin", ADMIN_PASSWORD, "10.0.0.1")
    with pytest.raises(InvalidGrant):
        app.password_grant("admin", "not-the-password", "10.0.0.1")
    assert app.recorder.max_notification_id() == before
