"""What every page shares: the portal's parts (settings, clients, templates), the words
of the page's language, rendering, and who may open a page (signed in, of which role)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from oms_portal.clients import Clients
from oms_portal.i18n import Translator, negotiate
from oms_portal.session import Session, current_session
from oms_portal.settings import Settings

#: Pages show one person's data: no cache keeps them.
NO_STORE = {"Cache-Control": "no-store"}


@dataclass(frozen=True)
class Portal:
    settings: Settings
    clients: Clients
    templates: Jinja2Templates


def portal(request: Request) -> Portal:
    found: Portal = request.app.state.portal
    return found


def translator(request: Request) -> Translator:
    """The language of the page: the signed-in user's, else the browser's, else the
    company's."""
    session = current_session(request)
    if session.language:
        return Translator(session.language)
    default = portal(request).settings.company_language
    return Translator(negotiate(request.headers.get("accept-language"), default))


def render(
    request: Request,
    template: str,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    session = current_session(request)
    return portal(request).templates.TemplateResponse(
        request,
        template,
        {"t": translator(request), "session": session, "csrf_token": session.csrf, **context},
        status_code=status_code,
        headers={**NO_STORE, **(headers or {})},
    )


def redirect(url: str) -> RedirectResponse:
    """After a form: the browser asks for ``url`` with a GET (303)."""
    return RedirectResponse(url, status_code=303)


def local_path(url: str | None, default: str) -> str:
    """``url`` when it is a path of this site (the ``next`` of the sign-in), else
    ``default``: a sign-in never sends anyone to another site."""
    if not url or not url.startswith("/") or url.startswith(("//", "/\\")):
        return default
    return url


# --- who may open a page --------------------------------------------------------------------


class NotSignedIn(Exception):
    """Nobody is signed in: the sign-in page, then back to ``wanted``."""

    def __init__(self, wanted: str) -> None:
        super().__init__(wanted)
        self.wanted = wanted


class SessionExpired(Exception):
    """The signed-in person's token expired (or a service refused it)."""


class NotYourArea(Exception):
    """A page of another role's area."""


def wanted_path(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def sign_in_url(wanted: str | None = None) -> str:
    return "/sign-in" + (f"?next={quote(wanted, safe='')}" if wanted else "")


async def signed_in(request: Request) -> Session:
    session = current_session(request)
    if not session.signed_in:
        raise NotSignedIn(wanted_path(request))
    if session.expired():
        raise SessionExpired()
    return session


SignedIn = Annotated[Session, Depends(signed_in)]


async def customer_only(session: SignedIn) -> Session:
    if session.role != "customer" or not session.customer_id:
        raise NotYourArea()
    return session


#: A page of the customer area (seed 001): a signed-in customer's.
CustomerSession = Annotated[Session, Depends(customer_only)]


async def sales_rep_only(session: SignedIn) -> Session:
    if session.role != "sales_rep" or not session.sales_rep_id:
        raise NotYourArea()
    return session


#: A page of the sales rep area (seed 000): a signed-in rep's.
RepSession = Annotated[Session, Depends(sales_rep_only)]

#: Where each role lands after sign-in (the areas of later parts are added here).
HOMES = {"customer": "/customer", "sales_rep": "/rep"}


def home_of(session: Session) -> str:
    return HOMES.get(session.role or "", "/no-area")
