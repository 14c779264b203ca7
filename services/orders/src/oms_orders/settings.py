"""Configuration of the orders service: the one door, read from OMS_* variables."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import ClassVar

from oms_kit.settings import CompanyProfile, ServiceSettings
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

#: The signing keys' password on the dev stack only: its keys are throw-away.
DEV_KEY_PASSWORD = "oms-dev-stack-signing-keys"  # noqa: S105 - refused outside the dev stack

#: Shortest password of a new user (the first admin's too).
MIN_PASSWORD_LENGTH = 12

#: The service clients of the dev stack only (the notifications service's own default);
#: outside it there is none unless configured.
DEV_SERVICE_CLIENTS: Mapping[str, str] = {"notifications": "dev-only-notifications-secret"}
#: Shortest secret of a service client.
MIN_SERVICE_SECRET_LENGTH = 24
#: A service client's id: a service's name. Never ``partner-...``: partners' client ids
#: are made so, and the two must never be confused.
SERVICE_CLIENT_ID = re.compile(r"^(?!partner-)[a-z][a-z0-9-]{0,62}$")


class MissingKeyPassword(ValueError):
    """The signing keys would be stored under no password outside the dev stack."""


class Settings(ServiceSettings, CompanyProfile):
    """The company profile (``OMS_COMPANY_*``, the kit's) heads the proposals; its
    currency and language are a new customer's (and user's) defaults."""

    # A refused value is not repeated in the error (it may be a password or a secret,
    # and the error is logged at start).
    model_config = SettingsConfigDict(hide_input_in_errors=True)

    service: ClassVar[str] = "orders"
    http_port: int = 8001

    #: Largest attachment accepted (``POST /quotes/{id}/attachments``, the signed contract);
    #: larger ones answer 413.
    attachment_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)

    #: Lifetime of the access tokens this service issues (``expires_in``).
    auth_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    #: Encrypts the private signing keys kept in the database (``OMS_AUTH_KEY_PASSWORD``);
    #: required unless ``dev_stack`` (there a fixed throw-away password is used): the API
    #: refuses to start without it.
    auth_key_password: SecretStr | None = None
    #: The first admin's password (``OMS_ADMIN_PASSWORD``): user ``admin`` is created with
    #: it at start when there is no such user. Without it, nobody is created.
    admin_password: SecretStr | None = None
    #: Repeated failed sign-ins are slowed: after this many failures within the window,
    #: for one username (or client id), or from one address, 429 until the window passes.
    auth_failures_per_user: int = Field(default=5, ge=1)
    auth_failures_per_address: int = Field(default=20, ge=1)
    auth_failure_window_minutes: int = Field(default=15, ge=1)
    #: The other services that sign in with a credential of their own, the client
    #: credentials grant giving them role ``service`` (``OMS_SERVICE_CLIENTS``, a JSON
    #: object ``{"<client id>": "<secret>"}``; each secret at least 24 characters). Not
    #: given: on the dev stack the notifications service's dev-only secret, elsewhere none.
    service_clients: dict[str, SecretStr] | None = None

    @field_validator("auth_key_password", "admin_password")
    @classmethod
    def _strong_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_PASSWORD_LENGTH:
            raise ValueError(f"must be at least {MIN_PASSWORD_LENGTH} characters")
        return value

    @field_validator("service_clients")
    @classmethod
    def _service_clients_sound(
        cls, value: dict[str, SecretStr] | None
    ) -> dict[str, SecretStr] | None:
        for client_id, secret in (value or {}).items():
            if not SERVICE_CLIENT_ID.match(client_id):
                raise ValueError(
                    f"client id {client_id!r} must be a service's name: lower-case letters, "
                    "digits and -, not starting with partner-"
                )
            if len(secret.get_secret_value()) < MIN_SERVICE_SECRET_LENGTH:
                raise ValueError(
                    f"the secret of {client_id} must be at least "
                    f"{MIN_SERVICE_SECRET_LENGTH} characters"
                )
        return value

    def service_client_secrets(self) -> Mapping[str, SecretStr]:
        """The service clients by client id: those configured, else the dev stack's."""
        if self.service_clients is not None:
            return self.service_clients
        if self.dev_stack:
            return {name: SecretStr(secret) for name, secret in DEV_SERVICE_CLIENTS.items()}
        return {}

    def signing_key_password(self) -> bytes:
        """The password of the private signing keys; outside the dev stack it must be
        given (``MissingKeyPassword`` otherwise, and the API refuses to start). On the
        in-memory event store (the use-case tests) the keys are kept nowhere else."""
        if self.auth_key_password is not None:
            return self.auth_key_password.get_secret_value().encode()
        if self.dev_stack or self.event_store == "memory":
            return DEV_KEY_PASSWORD.encode()
        raise MissingKeyPassword(
            "OMS_AUTH_KEY_PASSWORD is required: it encrypts the token signing keys kept in "
            "the orders database (only a dev stack, OMS_DEV_STACK=true, may go without)"
        )
