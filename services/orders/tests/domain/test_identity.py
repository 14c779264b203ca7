"""Users, sales reps and partners, given/when/then, without I/O: the domain keeps hashes
only (hashing is the application's), so these use made-up hash strings."""

from __future__ import annotations

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic
from oms_kit import auth
from oms_kit.domain import Conflict, InvalidInput
from oms_orders.domain.partner import Partner
from oms_orders.domain.sales_rep import SalesRep
from oms_orders.domain.user import ROLES, STANDS_FOR, User
from oms_orders.identity.service_clients import SERVICE, ServiceClients

HASH = "$argon2id$v=19$m=65536,t=3,p=4$made-up"


def user(**given: str | None) -> User:
    fields: dict[str, str | None] = {
        "username": "Ana.Lopez",
        "password_hash": HASH,
        "role": "back_office",
        "language": "es",
    }
    fields.update(given)
    return User.register(**fields)  # type: ignore[arg-type]


def test_the_roles_are_the_kits() -> None:
    """Every service checks tokens against the kit's roles: users get no other."""
    assert ROLES == auth.ROLES
    assert dict(STANDS_FOR) == dict(auth.ROLE_CLAIMS)


def test_a_service_is_no_role_a_user_may_have() -> None:
    """Role ``service`` (the kit's) comes only with a configured service client's
    credential: no user is registered with it."""
    assert SERVICE == auth.SERVICE and SERVICE not in ROLES
    with pytest.raises(InvalidInput) as refused:
        user(role=SERVICE)
    assert refused.value.field == "role"


def test_service_clients_check_secrets_and_show_none() -> None:
    clients = ServiceClients({"notifications": "the-notifications-secret-123"})
    assert "notifications" in clients and "partner-1" not in clients
    assert clients.verify("notifications", "the-notifications-secret-123")
    assert not clients.verify("notifications", "the-notifications-secret-12")
    assert not clients.verify("notifications", "")
    assert not clients.verify("nobody", "the-notifications-secret-123")
    assert "secret" not in repr(clients) and "notifications" in repr(clients)


def test_a_username_has_one_id_whatever_its_letter_case() -> None:
    ana = user()
    assert ana.id == User.create_id("ana.lopez") == User.create_id(" ANA.LOPEZ ")
    assert ana.id != User.create_id("ana.lopes")
    assert ana.username == "Ana.Lopez"  # kept as given
    assert ana.enabled and ana.stands_for == {}


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"username": ""}, "username"),
        ({"username": "ana lopez"}, "username"),
        ({"username": "-ana"}, "username"),
        ({"username": "a" * 101}, "username"),
        ({"role": "superuser"}, "role"),
        ({"language": "fr"}, "language"),
        ({"role": "sales_rep"}, "sales_rep_id"),
        ({"role": "customer"}, "customer_id"),
        ({"role": "partner"}, "partner_id"),
        ({"role": "customer", "customer_id": "c-1", "sales_rep_id": "r-1"}, "sales_rep_id"),
        ({"role": "admin", "partner_id": "p-1"}, "partner_id"),
    ],
)
def test_a_user_is_refused_naming_the_field(given: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        user(**given)
    assert refused.value.field == field


@pytest.mark.parametrize(
    ("role", "claim"),
    [("sales_rep", "sales_rep_id"), ("customer", "customer_id"), ("partner", "partner_id")],
)
def test_a_user_stands_for_the_record_his_role_names(role: str, claim: str) -> None:
    assert user(role=role, **{claim: "id-1"}).stands_for == {claim: "id-1"}


def test_a_user_is_disabled_enabled_and_changes_his_password() -> None:
    ana = user()
    ana.disable()
    assert not ana.enabled
    with pytest.raises(Conflict):
        ana.disable()
    ana.enable()
    assert ana.enabled
    with pytest.raises(Conflict):
        ana.enable()
    ana.change_password("$argon2id$new")
    assert ana.password_hash == "$argon2id$new"
    events = [type(e).__name__ for e in ana.collect_events()]
    assert events == [
        "UserRegistered",
        "UserDisabled",
        "UserEnabled",
        "PasswordChanged",
    ]


def test_a_sales_rep_has_a_name_and_an_email() -> None:
    rep = SalesRep.register(name=" Rita ", email="rita@example.com")
    assert (rep.name, rep.email, rep.sales_rep_id) == ("Rita", "rita@example.com", str(rep.id))
    with pytest.raises(InvalidInput) as no_name:
        SalesRep.register(name=" ", email="rita@example.com")
    assert no_name.value.field == "name"
    with pytest.raises(InvalidInput) as no_email:
        SalesRep.register(name="Rita", email="rita")
    assert no_email.value.field == "email"


def test_a_partner_is_found_by_its_client_id_and_rotates_its_secret() -> None:
    partner = Partner.register(
        name="Shop", customer_id="c-1", client_id="partner-1", secret_hash="$argon2id$one"
    )
    assert partner.id == Partner.create_id("partner-1")
    partner.rotate_secret("$argon2id$two")
    assert partner.secret_hash == "$argon2id$two"
    partner.disable()
    with pytest.raises(Conflict):
        partner.rotate_secret("$argon2id$three")
    with pytest.raises(InvalidInput):
        Partner.register(name="", customer_id="c-1", client_id="p", secret_hash="h")


def test_every_identity_event_keeps_its_stored_topic() -> None:
    """Stored events are found by their topic: these names must never change."""
    topics = {
        get_topic(value)
        for aggregate in (User, SalesRep, Partner)
        for value in vars(aggregate).values()
        if isinstance(value, type)
        and issubclass(value, Aggregate.Event)
        and value.__name__ not in ("Event", "Created")
    }
    assert topics == {
        "oms_orders.domain.user:User.UserRegistered",
        "oms_orders.domain.user:User.PasswordChanged",
        "oms_orders.domain.user:User.UserDisabled",
        "oms_orders.domain.user:User.UserEnabled",
        "oms_orders.domain.sales_rep:SalesRep.SalesRepRegistered",
        "oms_orders.domain.partner:Partner.PartnerRegistered",
        "oms_orders.domain.partner:Partner.SecretRotated",
        "oms_orders.domain.partner:Partner.PartnerDisabled",
    }
