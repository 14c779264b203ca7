"""Users: who signs in, with which role, standing for which sales rep, customer or
partner. The aggregate keeps only the password's hash: hashing and checking passwords is
the application's (an Argon2 hasher), never the domain's."""

from __future__ import annotations

import re
from collections.abc import Mapping
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event
from oms_kit.domain import Conflict, InvalidInput

from oms_orders.domain.customer import LANGUAGES

ADMIN, BACK_OFFICE, WAREHOUSE = "admin", "back_office", "warehouse"
SALES_REP, CUSTOMER, PARTNER = "sales_rep", "customer", "partner"
#: The roles (the kit's, which every service checks tokens against; a test pins them).
ROLES = (ADMIN, BACK_OFFICE, WAREHOUSE, SALES_REP, CUSTOMER, PARTNER)
#: The record a role stands for, by the name its token carries it under; the other roles
#: stand for nobody.
STANDS_FOR: Mapping[str, str] = {
    SALES_REP: "sales_rep_id",
    CUSTOMER: "customer_id",
    PARTNER: "partner_id",
}
#: Letters, digits and . _ @ + - (an e-mail address will do), starting with a letter or
#: digit.
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")


def username_key(username: str) -> str:
    """What makes two usernames the same: letter case does not."""
    return username.strip().lower()


class User(Aggregate):
    # Events (their names are part of the stored events' topics: never rename one) ------

    class UserRegistered(Aggregate.Created):
        username: str
        password_hash: str
        role: str
        sales_rep_id: str | None
        customer_id: str | None
        partner_id: str | None
        language: str

    class PasswordChanged(Aggregate.Event):
        password_hash: str

    class UserDisabled(Aggregate.Event):
        pass

    class UserEnabled(Aggregate.Event):
        pass

    @staticmethod
    def create_id(username: str) -> UUID:
        """A username has one id: registering it twice is a conflict, not two users."""
        return uuid5(NAMESPACE_URL, f"oms/orders/user/{username_key(username)}")

    @staticmethod
    def check(
        *,
        username: str,
        role: str,
        language: str,
        sales_rep_id: str | None = None,
        customer_id: str | None = None,
        partner_id: str | None = None,
    ) -> None:
        """What a new user must be: a valid username, a known role and language, and the
        record the role stands for given (and no other). ``InvalidInput`` naming the
        field otherwise."""
        if not USERNAME.match(username.strip()):
            raise InvalidInput(
                "username must be 1-100 letters, digits or . _ @ + - (starting with a "
                "letter or digit)",
                field="username",
            )
        if role not in ROLES:
            raise InvalidInput(f"role must be one of {', '.join(ROLES)}", field="role")
        if language not in LANGUAGES:
            raise InvalidInput(f"language must be one of {', '.join(LANGUAGES)}", field="language")
        ids = {"sales_rep_id": sales_rep_id, "customer_id": customer_id, "partner_id": partner_id}
        required = STANDS_FOR.get(role)
        for name, value in ids.items():
            if name == required and not value:
                raise InvalidInput(f"a {role} user stands for a {name}", field=name)
            if name != required and value:
                raise InvalidInput(f"a {role} user stands for no {name}", field=name)

    @classmethod
    def register(
        cls,
        *,
        username: str,
        password_hash: str,
        role: str,
        language: str,
        sales_rep_id: str | None = None,
        customer_id: str | None = None,
        partner_id: str | None = None,
    ) -> User:
        """A new, enabled user (see :meth:`check`)."""
        ids = {"sales_rep_id": sales_rep_id, "customer_id": customer_id, "partner_id": partner_id}
        cls.check(username=username, role=role, language=language, **ids)
        return cls(
            username=username.strip(),
            password_hash=password_hash,
            role=role,
            language=language,
            **ids,
        )

    @event(UserRegistered)
    def __init__(
        self,
        username: str,
        password_hash: str,
        role: str,
        sales_rep_id: str | None,
        customer_id: str | None,
        partner_id: str | None,
        language: str,
    ) -> None:
        self.username = username
        self.password_hash = password_hash
        self.role = role
        self.sales_rep_id = sales_rep_id
        self.customer_id = customer_id
        self.partner_id = partner_id
        self.language = language
        self.enabled = True

    @property
    def user_id(self) -> str:
        return str(self.id)

    @property
    def stands_for(self) -> dict[str, str]:
        """The claim naming the record the user stands for, if his role has one."""
        name = STANDS_FOR.get(self.role)
        value = getattr(self, name) if name else None
        return {name: value} if name and value else {}

    def change_password(self, password_hash: str) -> None:
        self._change_password(password_hash=password_hash)

    def disable(self) -> None:
        """He can no longer sign in (tokens he holds run out within their short life)."""
        if not self.enabled:
            raise Conflict(f"user {self.username} is disabled already", field="enabled")
        self._disable()

    def enable(self) -> None:
        if self.enabled:
            raise Conflict(f"user {self.username} is enabled already", field="enabled")
        self._enable()

    @event(PasswordChanged)
    def _change_password(self, password_hash: str) -> None:
        self.password_hash = password_hash

    @event(UserDisabled)
    def _disable(self) -> None:
        self.enabled = False

    @event(UserEnabled)
    def _enable(self) -> None:
        self.enabled = True
