"""Schemathesis hooks (``SCHEMATHESIS_HOOKS=reliability.st_hooks``): every 4xx answer is
RFC 9457 problem+json, and a 422 names the fields it refuses (DESIGN section 5); the token
endpoint's refusals are RFC 6749's own JSON instead.

Who the fuzzer is, from its environment (``reliability.bad_input`` sets it):
``OMS_FUZZ_ORDERS_URL``, ``OMS_FUZZ_USERNAME`` and ``OMS_FUZZ_PASSWORD``: signed in there,
every request carries that user's token (renewed before it expires); ``OMS_FUZZ_ANONYMOUS=1``:
no token at all, and every request that reaches a route other than the public ones
(DESIGN section 5) must be answered 401 with ``WWW-Authenticate: Bearer``."""

from __future__ import annotations

import os
import re
import urllib.parse
from typing import Any

import schemathesis
from oms_dev.client import TOKEN_PATH, SignIn

#: The routes any caller may use (DESIGN section 5); every other one needs a token.
PUBLIC = {
    ("GET", "/health"),
    ("GET", "/ready"),
    ("GET", "/.well-known/jwks.json"),
    ("POST", TOKEN_PATH),
}
#: RFC 6749 section 5.2: how the token endpoint refuses.
TOKEN_ERRORS = {
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
}
ANONYMOUS = os.environ.get("OMS_FUZZ_ANONYMOUS") == "1"


def _route(case: Any) -> tuple[str, str]:
    return str(case.operation.method).upper(), str(case.operation.path)


def _header(response: Any, name: str) -> str:
    return str((response.headers.get(name) or [""])[0])


@schemathesis.check
def problem_json_4xx(ctx: Any, response: Any, case: Any) -> bool | None:
    """4xx: ``application/problem+json`` with a status; 422: ``errors[*].field`` named."""
    status = int(response.status_code)
    if not 400 <= status < 500:
        return None
    content_type = _header(response, "content-type")
    if status == 405 and not content_type:
        return None
    if _route(case) == ("POST", TOKEN_PATH) and status in (400, 401):
        assert content_type.startswith("application/json"), (
            f"the token endpoint answered {status} as {content_type!r}, not RFC 6749 JSON"
        )
        body = response.json()
        assert isinstance(body, dict) and body.get("error") in TOKEN_ERRORS, (
            f"the token endpoint's {status} is not an RFC 6749 error: {body!r}"
        )
        return None
    assert content_type.startswith("application/problem+json"), (
        f"{status} answered as {content_type!r}, not application/problem+json"
    )
    body = response.json()
    assert isinstance(body, dict) and body.get("status") == status, f"problem body {body!r}"
    if status == 422:
        errors = body.get("errors") or []
        assert errors and all(e.get("field") for e in errors), (
            f"422 without the fields named: {body!r}"
        )
    return None


def _reaches(method: str, template: str, request: Any) -> bool:
    """Whether ``request`` is routed to the operation ``method`` ``template``: not when
    schemathesis tries another method on its path (405), nor when an id with a ``/`` in it
    (sent as ``%2F``, decoded by the server) names another path."""
    if str(request.method).upper() != method:
        return False
    pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
    path = urllib.parse.unquote(urllib.parse.urlsplit(str(request.url)).path)
    return re.fullmatch(pattern, path) is not None


@schemathesis.check
def refused_without_a_token(ctx: Any, response: Any, case: Any) -> bool | None:
    """Without a token, every route but the public ones answers 401, whatever the input."""
    if not ANONYMOUS:
        return None
    method, path = _route(case)
    if (method, path) in PUBLIC or not _reaches(method, path, response.request):
        return None
    status = int(response.status_code)
    assert status == 401, f"{method} {path} answered {status} without a token, not 401"
    assert _header(response, "www-authenticate") == "Bearer", (
        f"{method} {path}: 401 without WWW-Authenticate: Bearer"
    )
    return None


if os.environ.get("OMS_FUZZ_PASSWORD"):
    _signed_in = SignIn(
        os.environ["OMS_FUZZ_ORDERS_URL"],
        os.environ["OMS_FUZZ_USERNAME"],
        os.environ["OMS_FUZZ_PASSWORD"],
    )

    # No caching by schemathesis: the SignIn keeps the token and renews it in time.
    @schemathesis.auth(refresh_interval=None)
    class SignedIn:
        def get(self, case: Any, ctx: Any) -> str:
            return _signed_in.token()

        def set(self, case: Any, data: str, ctx: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


#: The checks above, for schemathesis' --checks.
CHECKS = (problem_json_4xx.__name__, refused_without_a_token.__name__)
