"""Cross-site request forgery: every form carries the session's code (``csrf_token``) and
every POST is refused (the 403 page) unless it carries the same code. The session cookie
is also SameSite=Lax, so another site's form does not even bring it along; the code is
what holds where that is not enough (an older browser, a sibling sub-domain)."""

from __future__ import annotations

import hmac

from starlette.requests import Request

from oms_portal.session import current_session

FIELD = "csrf_token"
#: The methods that change something: a form posts, nothing else does.
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: No form of the portal has more (a larger one is refused while it is read).
MAX_FILES = 1
MAX_FIELDS = 50


class CsrfRefused(Exception):
    """A form came without the session's code, or with another one."""


async def check_form_code(request: Request) -> None:
    """An app-wide dependency: a POST (or any unsafe method) must carry the code."""
    if request.method not in UNSAFE_METHODS:
        return
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        raise CsrfRefused("not a form")
    form = await request.form(max_files=MAX_FILES, max_fields=MAX_FIELDS)
    given = form.get(FIELD)
    expected = current_session(request).csrf
    if not isinstance(given, str) or not hmac.compare_digest(given.encode(), expected.encode()):
        raise CsrfRefused("wrong or missing form code")
