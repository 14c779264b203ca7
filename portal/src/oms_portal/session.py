"""The session: who is signed in, his token, his language and the form code (CSRF), kept
in one signed cookie (HttpOnly, SameSite=Lax, Secure outside the dev stack) so that any
number of portal processes serve the same person without sharing a store.

The cookie is ``<payload>.<signature>``: the payload is base64url JSON, the signature an
HMAC-SHA256 of it under the portal's session key. A cookie whose signature does not match
is ignored, as if there were none. The bearer token inside is the person's own; the
cookie is out of reach of scripts (HttpOnly) and of other sites' forms (SameSite, and the
form code of csrf.py)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "oms_portal_session"
#: The browser forgets the cookie after this long whatever happens (the token inside
#: expires much sooner: then the "session expired" page asks to sign in again).
COOKIE_MAX_AGE_S = 12 * 60 * 60
_SCOPE_KEY = "oms.session"
#: The style sheet and other files: no session, no cookie.
STATIC_PREFIX = "/static/"
#: Separates the signatures of this cookie from any other use of the same key.
_CONTEXT = b"oms-portal-session\x00"


def new_form_code() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Session:
    """One browser's session. Anonymous (``token`` None) until sign-in; ``csrf`` is the
    code every form of this session carries."""

    csrf: str = field(default_factory=new_form_code)
    #: The language of the pages: the user's once signed in, else None (the browser's).
    language: str | None = None
    token: str | None = None
    #: When the token expires (seconds since the epoch).
    expires_at: float | None = None
    username: str | None = None
    role: str | None = None
    customer_id: str | None = None
    sales_rep_id: str | None = None
    partner_id: str | None = None

    @property
    def signed_in(self) -> bool:
        return self.token is not None

    def expired(self, now: float | None = None) -> bool:
        """The token's time is over (the services would refuse it)."""
        if self.expires_at is None:
            return False
        return (time.time() if now is None else now) >= self.expires_at

    def signed_out(self) -> Session:
        """The same browser, nobody signed in: a new form code, the language kept."""
        return Session(language=self.language)


_FIELDS = {f.name for f in fields(Session)}


class SessionCodec:
    """Writes a session into a cookie value and reads it back, checking its signature."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._key, _CONTEXT + payload, hashlib.sha256).digest()

    def dumps(self, session: Session) -> str:
        data = json.dumps(asdict(session), separators=(",", ":"), sort_keys=True).encode()
        payload = base64.urlsafe_b64encode(data).rstrip(b"=")
        signature = base64.urlsafe_b64encode(self._sign(payload)).rstrip(b"=")
        return (payload + b"." + signature).decode()

    def loads(self, value: str | None) -> Session | None:
        """The session in ``value``; None when it is missing, altered or unreadable."""
        if not value:
            return None
        try:
            payload, _, signature = value.encode("ascii").partition(b".")
            given = base64.urlsafe_b64decode(signature + b"=" * (-len(signature) % 4))
            if not hmac.compare_digest(given, self._sign(payload)):
                return None
            data: Any = json.loads(base64.urlsafe_b64decode(payload + b"=" * (-len(payload) % 4)))
        except (UnicodeEncodeError, binascii.Error, ValueError):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("csrf"), str):
            return None
        return Session(**{k: v for k, v in data.items() if k in _FIELDS})


class _Holder:
    def __init__(self, session: Session, fresh: bool) -> None:
        self.session = session
        self.changed = fresh


def current_session(connection: HTTPConnection) -> Session:
    """This request's session (a new anonymous one when the browser sent none)."""
    holder: _Holder = connection.scope[_SCOPE_KEY]
    return holder.session


def replace_session(connection: HTTPConnection, session: Session) -> None:
    """Send ``session`` back in the response's cookie."""
    holder: _Holder = connection.scope[_SCOPE_KEY]
    holder.session = session
    holder.changed = True


def update_session(connection: HTTPConnection, **changes: Any) -> Session:
    session = replace(current_session(connection), **changes)
    replace_session(connection, session)
    return session


class SessionMiddleware:
    """Reads the session cookie into the request, and writes it back when a page changed
    the session (or the browser had none)."""

    def __init__(self, app: ASGIApp, codec: SessionCodec, secure: bool) -> None:
        self.app = app
        self.codec = codec
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(STATIC_PREFIX):
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        loaded = self.codec.loads(connection.cookies.get(COOKIE))
        holder = _Holder(loaded or Session(), fresh=loaded is None)
        scope[_SCOPE_KEY] = holder

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and holder.changed:
                headers = MutableHeaders(scope=message)
                headers.append("Set-Cookie", self.cookie(holder.session))
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def cookie(self, session: Session) -> str:
        attributes = [
            f"{COOKIE}={self.codec.dumps(session)}",
            "Path=/",
            f"Max-Age={COOKIE_MAX_AGE_S}",
            "HttpOnly",
            "SameSite=Lax",
        ]
        if self.secure:
            attributes.append("Secure")
        return "; ".join(attributes)
