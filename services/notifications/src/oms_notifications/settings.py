"""Configuration of the notifications service: the one door, read from OMS_* variables."""

from __future__ import annotations

from email.utils import parseaddr
from typing import ClassVar

from oms_kit.settings import CompanyProfile, ServiceSettings
from pydantic import Field, SecretStr, field_validator, model_validator

#: The dev stack's secret of the service client "notifications" (orders accepts exactly it
#: there); refused outside the dev stack.
DEV_CLIENT_SECRET = "dev-only-notifications-secret"  # noqa: S105 - a dev-stack-only value


class UnsafeSettings(ValueError):
    """A setting that is only acceptable on the dev stack."""


class Settings(CompanyProfile, ServiceSettings):
    service: ClassVar[str] = "notifications"
    http_port: int = 8006

    # --- the SMTP server (DESIGN section 11) ----------------------------------------------
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    #: Upgrade the connection with STARTTLS before anything else (required to sign in
    #: outside the dev stack: a password never travels in clear).
    smtp_starttls: bool = False
    #: Seconds an SMTP conversation may stall before the attempt counts as failed (retried).
    smtp_timeout_s: float = Field(default=30.0, gt=0)
    mail_from: str = "OMS <no-reply@oms.localhost>"

    # --- sending --------------------------------------------------------------------------
    #: Back-off after a temporary refusal or no server: base * 2^(attempt-1), at most cap.
    mail_retry_base_s: float = Field(default=2.0, gt=0)
    mail_retry_cap_s: float = Field(default=300.0, gt=0)
    #: A claim older than this with no outcome is presumed dead (its worker crashed) and the
    #: message is sent again, with the same Message-ID. Longer than the slowest attempt:
    #: fetching the documents and the SMTP conversation.
    mail_lease_s: float = Field(default=120.0, gt=0)
    #: An event older than this when it arrives is not e-mailed about (a first start that
    #: reads the topics from their beginning must not mail every past document).
    mail_max_event_age_s: float = Field(default=7 * 24 * 3600.0, gt=0)
    #: How often the sender looks for due messages (at once again after a pass that sent).
    mail_poll_s: float = Field(default=1.0, gt=0)
    #: How many messages one worker's sender has under way at a time (each its own SMTP
    #: conversation; the messages about one document still go out one after another).
    mail_parallel: int = Field(default=4, ge=1, le=32)

    # --- where the attached documents come from -------------------------------------------
    orders_url: str = "http://127.0.0.1:8001"
    billing_url: str = "http://127.0.0.1:8003"
    #: The service's own credential at orders' POST /auth/token (client credentials).
    service_client_id: str = "notifications"
    service_client_secret: SecretStr | None = None
    document_timeout_s: float = Field(default=30.0, gt=0)

    @field_validator("mail_from")
    @classmethod
    def _an_address(cls, value: str) -> str:
        _, address = parseaddr(value)
        if "@" not in address or not address.rsplit("@", 1)[1]:
            raise ValueError("mail_from must name an e-mail address, e.g. 'OMS <oms@example.com>'")
        return value

    @model_validator(mode="after")
    def _safe_outside_the_dev_stack(self) -> Settings:
        if self.dev_stack or self.event_store == "memory":
            return self
        secret = self.service_client_secret
        if secret is None or secret.get_secret_value() == DEV_CLIENT_SECRET:
            raise UnsafeSettings(
                "OMS_SERVICE_CLIENT_SECRET is required: the notifications service fetches the "
                "documents it attaches with a credential of its own (only a dev stack, "
                "OMS_DEV_STACK=true, uses the dev-only one)"
            )
        if self.smtp_username and not self.smtp_starttls:
            raise UnsafeSettings(
                "OMS_SMTP_STARTTLS must be true when OMS_SMTP_USERNAME is set: the SMTP "
                "password never travels in clear"
            )
        return self

    @property
    def client_secret(self) -> str:
        """The service client's secret (the dev stack's own when none is set there)."""
        if self.service_client_secret is not None:
            return self.service_client_secret.get_secret_value()
        return DEV_CLIENT_SECRET

    @property
    def mail_domain(self) -> str:
        """The domain of the sender's address: the right-hand side of every Message-ID."""
        return parseaddr(self.mail_from)[1].rsplit("@", 1)[1]
