"""The composition root of the portal: tests call it with overrides of settings and
collaborators (the service clients)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from oms_portal.app import create_app
from oms_portal.clients import Clients
from oms_portal.settings import Settings


def bootstrap(*, clients: Clients | None = None, **overrides: Any) -> FastAPI:
    settings = Settings(**overrides)
    return create_app(settings, clients or Clients.from_settings(settings))
