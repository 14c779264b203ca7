"""Configuration of the portal: the one door, read from OMS_* variables."""

from __future__ import annotations

from oms_kit.settings import CompanyProfile
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

#: Signs the session cookies of a dev stack only: anyone can read it here.
DEV_SESSION_KEY = "oms-dev-stack-portal-session-key-not-a-secret"

#: Shortest session key accepted (bytes of a random secret, as text).
MIN_SESSION_KEY_LENGTH = 32


class Settings(CompanyProfile):
    """The portal's settings. The company profile (``OMS_COMPANY_*``, the kit's) gives the
    language of the pages before anyone signs in, when the browser asks for none we have."""

    model_config = SettingsConfigDict(env_prefix="OMS_", extra="ignore", frozen=True)

    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8000, ge=0, le=65535)
    #: Set by the dev stack (``oms up``, the tests): only there is the session cookie sent
    #: over plain HTTP and signed with a well-known key.
    dev_stack: bool = False
    #: Signs the session cookie (``OMS_PORTAL_SESSION_KEY``); required outside the dev stack.
    portal_session_key: SecretStr | None = None

    #: The services' public routes, called with the signed-in person's token.
    orders_url: str = "http://127.0.0.1:8001"
    inventory_url: str = "http://127.0.0.1:8002"
    billing_url: str = "http://127.0.0.1:8003"
    commissions_url: str = "http://127.0.0.1:8004"
    notifications_url: str = "http://127.0.0.1:8006"
    #: How long a page waits for a service before it says the service is unavailable.
    service_timeout_s: float = Field(default=10.0, gt=0)
    #: The largest signed contract the portal passes on (the orders service has its own
    #: limit, which answers first when lower).
    upload_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    #: Rows per page of the order and proposal lists.
    page_size: int = Field(default=20, ge=1, le=200)

    @model_validator(mode="after")
    def _session_key_given(self) -> Settings:
        key = self.portal_session_key
        if key is None and not self.dev_stack:
            raise ValueError(
                "OMS_PORTAL_SESSION_KEY is required: it signs the session cookies (only a "
                "dev stack, OMS_DEV_STACK=true, may go without)"
            )
        if key is not None and len(key.get_secret_value()) < MIN_SESSION_KEY_LENGTH:
            raise ValueError(
                f"OMS_PORTAL_SESSION_KEY must be at least {MIN_SESSION_KEY_LENGTH} characters"
            )
        return self

    def session_key(self) -> bytes:
        if self.portal_session_key is not None:
            return self.portal_session_key.get_secret_value().encode()
        return DEV_SESSION_KEY.encode()

    @property
    def secure_cookies(self) -> bool:
        """Outside the dev stack the portal is served over HTTPS (behind its proxy): the
        session cookie is never sent in clear."""
        return not self.dev_stack
