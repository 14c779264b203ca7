"""Signing in, for every client of the services in this repository (``oms demo``, the
reliability suite, the bench's load generator, the cross-service tests): the password
grant at the orders service's ``POST /auth/token`` (DESIGN section 9), the token kept and
taken again before it expires, and the header that carries it.

    admin = SignIn(orders_url, "admin", password)
    with httpx.Client(auth=admin.auth) as http:   # sync clients: the header on every request
        http.get(f"{orders_url}/orders")
    headers = {"Authorization": f"Bearer {await admin.token_async()}"}   # aiohttp and co.

One ``SignIn`` may be shared by threads and by the tasks of one event loop.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import Generator
from typing import Any

import httpx

TOKEN_PATH = "/auth/token"  # noqa: S105 - a path, not a secret
#: A token is taken again when less than this is left of it (or a quarter of its life, for
#: short-lived ones), so that no request leaves with a token about to expire.
REFRESH_MARGIN_S = 60.0
SIGN_IN_TIMEOUT_S = 10.0


class SignInFailed(Exception):
    """The token endpoint did not give a token: ``status`` is its answer (None when it did
    not answer at all)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status

    @property
    def retryable(self) -> bool:
        """Worth trying again later: no answer, too many attempts, or a server error (a
        process restarting, its database gone for a while). Wrong credentials are not."""
        return self.status is None or self.status == 429 or self.status >= 500


class SignIn:
    """A user signed in at the orders service (``orders_url``), keeping a bearer token."""

    def __init__(self, orders_url: str, username: str, password: str) -> None:
        self.orders_url = orders_url.rstrip("/")
        self.username = username
        self._password = password
        self._token: str | None = None
        self._renew_at = 0.0
        self._lock = threading.Lock()
        self.auth = BearerAuth(self)
        #: Tokens obtained so far (a long run renews them).
        self.sign_ins = 0

    def __repr__(self) -> str:
        return f"SignIn({self.orders_url!r}, {self.username!r})"

    def token(self) -> str:
        """A token with time left on it: the kept one, or a new one."""
        with self._lock:
            if self._token is None or time.monotonic() >= self._renew_at:
                self._sign_in()
            assert self._token is not None
            return self._token

    async def token_async(self) -> str:
        """The same, for event loops: the kept token without leaving the loop; a sign-in
        (rare, a network round trip and a password hash) in a thread."""
        token = self._token
        if token is not None and time.monotonic() < self._renew_at:
            return token
        return await asyncio.to_thread(self.token)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}"}

    def renew(self, used: str | None = None) -> None:
        """Forget the kept token (refused by a service: its key was rotated away), unless
        another thread already replaced ``used``."""
        with self._lock:
            if used is None or self._token == used:
                self._token = None

    def _sign_in(self) -> None:
        started = time.monotonic()
        try:
            response = httpx.post(
                self.orders_url + TOKEN_PATH,
                data={
                    "grant_type": "password",
                    "username": self.username,
                    "password": self._password,
                },
                timeout=SIGN_IN_TIMEOUT_S,
            )
        except httpx.HTTPError as exc:
            raise SignInFailed(f"signing in as {self.username}: {exc!r}") from exc
        if response.status_code != 200:
            raise SignInFailed(
                f"signing in as {self.username}: {response.status_code} {response.text[:300]}",
                response.status_code,
            )
        body: dict[str, Any] = response.json()
        lifetime = float(body.get("expires_in") or 0)
        self._token = str(body["access_token"])
        self._renew_at = started + lifetime - min(REFRESH_MARGIN_S, lifetime / 4)
        self.sign_ins += 1


class BearerAuth(httpx.Auth):
    """httpx's hook: the signed-in user's token on every request. A 401 (the token was
    refused, e.g. its key rotated away) takes a new token and sends the request once more.
    For sync clients: signing in blocks."""

    def __init__(self, signed_in: SignIn) -> None:
        self.signed_in = signed_in

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self.signed_in.token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            self.signed_in.renew(token)
            request.headers["Authorization"] = f"Bearer {self.signed_in.token()}"
            yield request


def new_password() -> str:
    """A strong random password (the dev stack's admin, the test users)."""
    return secrets.token_urlsafe(24)


def create_user(
    admin: SignIn,
    role: str,
    username: str | None = None,
    password: str | None = None,
    **ids: str | None,
) -> SignIn:
    """A new user of ``role`` (``POST /users``, as ``admin``), signed in. ``ids`` are the
    ``sales_rep_id``, ``customer_id`` or ``partner_id`` the role stands for."""
    username = username or f"{role.replace('_', '-')}-{secrets.token_hex(4)}"
    password = password or new_password()
    body: dict[str, Any] = {"username": username, "password": password, "role": role}
    body.update({name: value for name, value in ids.items() if value is not None})
    response = httpx.post(
        f"{admin.orders_url}/users", json=body, headers=admin.headers(), timeout=30.0
    )
    if response.status_code != 201:
        raise SignInFailed(
            f"creating user {username} ({role}): {response.status_code} {response.text[:300]}",
            response.status_code,
        )
    return SignIn(admin.orders_url, username, password)
