"""The portal's web application: pages (FastAPI + Jinja2, server-rendered, plain forms),
the session cookie, the form code on every POST, the style sheet, and one page for each
thing that can go wrong (never a stack trace): sign in, session expired, not found, not
allowed, the form refused, a service unavailable."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from oms_portal.clients import Clients, Forbidden, NotFound, TokenRefused, Unavailable
from oms_portal.csrf import CsrfRefused, check_form_code
from oms_portal.pages import (
    NotSignedIn,
    NotYourArea,
    Portal,
    SessionExpired,
    auth,
    b2b,
    customer,
    redirect,
    render,
    rep,
    sign_in_url,
    wanted_path,
)
from oms_portal.session import SessionCodec, SessionMiddleware, current_session, replace_session
from oms_portal.settings import Settings

log = logging.getLogger(__name__)

HERE = Path(__file__).parent

#: Every answer: no framing by other sites, no guessing of types, only our own files.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def short_id(value: str | None) -> str:
    """A record's id as a person reads it on a page (its first eight characters)."""
    return (value or "")[:8].upper()


def templates() -> Jinja2Templates:
    found = Jinja2Templates(directory=HERE / "templates")
    found.env.filters["short"] = short_id
    found.env.globals["sign_in_url"] = sign_in_url
    return found


def create_app(settings: Settings, clients: Clients) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await clients.aclose()

    app = FastAPI(
        title="OMS portal",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(check_form_code)],
    )
    app.state.portal = Portal(settings=settings, clients=clients, templates=templates())
    app.add_middleware(
        SessionMiddleware,
        codec=SessionCodec(settings.session_key()),
        secure=settings.secure_cookies,
    )
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(auth.router)
    app.include_router(customer.router)
    app.include_router(b2b.router)
    app.include_router(rep.router)

    @app.get("/health", include_in_schema=False)
    async def health() -> PlainTextResponse:
        return PlainTextResponse("ok")

    @app.get("/ready", include_in_schema=False)
    async def ready() -> PlainTextResponse:
        return PlainTextResponse("ok")

    _handle_errors(app)
    return app


NOT_FOUND = ("error.not_found_title", "error.not_found_body")
FORBIDDEN = ("error.forbidden_title", "error.forbidden_body")
SERVER_ERROR = ("error.server_title", "error.server_body")
#: The page each refusal shows: its status, and the words of its title and body.
MESSAGES: dict[type[Exception], tuple[int, str, str]] = {
    CsrfRefused: (403, "error.csrf_title", "error.csrf_body"),
    NotYourArea: (403, *FORBIDDEN),
    Forbidden: (403, *FORBIDDEN),
    NotFound: (404, *NOT_FOUND),
    RequestValidationError: (400, *NOT_FOUND),
}
ErrorHandler = Callable[[Request, Exception], Awaitable[Response]]


def _message(request: Request, status: int, title: str, body: str) -> Response:
    return render(request, "message.html", status_code=status, title=title, body=body)


def _handle_errors(app: FastAPI) -> None:
    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        return redirect(sign_in_url(exc.wanted))

    async def expired(request: Request, exc: Exception) -> Response:
        replace_session(request, current_session(request).signed_out())
        return render(
            request,
            "expired.html",
            status_code=401,
            next=wanted_path(request) if request.method == "GET" else None,
        )

    app.add_exception_handler(SessionExpired, expired)
    app.add_exception_handler(TokenRefused, expired)

    def shows(status: int, title: str, body: str) -> ErrorHandler:
        async def message(request: Request, exc: Exception) -> Response:
            return _message(request, status, title, body)

        return message

    for kind, (status, title, body) in MESSAGES.items():
        app.add_exception_handler(kind, shows(status, title, body))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code in (404, 405):
            return _message(request, exc.status_code, *NOT_FOUND)
        return _message(request, exc.status_code, *SERVER_ERROR)

    @app.exception_handler(Unavailable)
    async def unavailable(request: Request, exc: Unavailable) -> Response:
        log.warning("a service did not answer: %s", exc)
        return _message(request, 503, "error.unavailable_title", "error.unavailable_body")

    @app.exception_handler(Exception)
    async def failed(request: Request, exc: Exception) -> Response:
        log.exception("page %s failed", request.url.path)
        return _message(request, 500, *SERVER_ERROR)
