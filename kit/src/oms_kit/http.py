"""The HTTP app factory: FastAPI with RFC 9457 problem+json errors, ``/health``, ``/ready``,
OpenAPI at ``/openapi.json``, and a metadata scope + server span around every request."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Annotated, Any

import psycopg
from eventsourcing.persistence import (
    DataError,
    InterfaceError,
    OperationalError,
    RecordConflictError,
)
from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordBearer
from opentelemetry import propagate, trace
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from oms_kit.auth import (
    KeysUnavailable,
    TokenVerifier,
    Unauthorized,
    authenticate,
    current_caller,
    services_only_where_allowed,
)
from oms_kit.context import metadata_scope
from oms_kit.domain import DomainError
from oms_kit.paging import DEFAULT_LIMIT, MAX_LIMIT, PageRequest

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

#: Readiness checks: name -> async callable that raises when the dependency is down.
ReadyChecks = Mapping[str, Callable[[], Awaitable[None]]]

UNAVAILABLE: tuple[type[Exception], ...] = (
    psycopg.OperationalError,
    psycopg.InterfaceError,
    OperationalError,
    InterfaceError,
    KeysUnavailable,
)


def problem(status: int, title: str, detail: str | None = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def page_request(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(max_length=500, description="next_cursor of the previous page")
    ] = None,
) -> PageRequest:
    return PageRequest(limit=limit, cursor=cursor)


#: The paging of every list route: ``limit`` and the opaque ``cursor``.
Paging = Annotated[PageRequest, Depends(page_request)]


def _field(loc: Sequence[int | str]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:] or parts
    return ".".join(parts)


class RequestScope:
    """Around every request: a server span in the caller's trace (``traceparent``), the
    metadata scope (correlation id, actor) that the events it stores carry, and
    ``x-correlation-id`` on the response. Plain ASGI rather than ``@app.middleware``:
    Starlette's BaseHTTPMiddleware runs each request in a task of its own with its own
    streams, a large share of a small route's CPU."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service
        self.tracer = trace.get_tracer("oms_kit.http")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        correlation_id = headers.get("x-correlation-id") or str(uuid.uuid4())
        method, path = scope["method"], scope["path"]
        with (
            self.tracer.start_as_current_span(
                f"{method} {path}",
                context=propagate.extract(dict(headers)),
                kind=trace.SpanKind.SERVER,
                attributes={
                    "http.request.method": method,
                    "url.path": path,
                    "oms.service": self.service,
                },
            ) as span,
            # The actor is the token's subject, named once the token is verified.
            metadata_scope(correlation_id=correlation_id),
        ):

            async def send_with_id(message: Message) -> None:
                if message["type"] == "http.response.start":
                    span.set_attribute("http.response.status_code", message["status"])
                    MutableHeaders(scope=message).append("x-correlation-id", correlation_id)
                await send(message)

            await self.app(scope, receive, send_with_id)


def create_app(
    *,
    service: str,
    title: str,
    verifier: TokenVerifier,
    routers: Sequence[APIRouter] = (),
    public_routers: Sequence[APIRouter] = (),
    ready_checks: ReadyChecks | None = None,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
    version: str = "0.1.0",
    token_url: str | None = None,
) -> FastAPI:
    # FastAPI's own telemetry off: RequestScope makes the server span, and a second set of
    # spans, metrics and logs per request cost a fifth of a small route's CPU.
    app = FastAPI(
        title=title,
        version=version,
        lifespan=lifespan,
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    checks = dict(ready_checks or {})

    # Inside the request scope (added first: the last added is outermost).
    app.add_middleware(TokenFirst, routes=[route for router in routers for route in router.routes])
    app.add_middleware(RequestScope, service=service)
    app.state.verifier = verifier

    @app.exception_handler(Unauthorized)
    async def on_unauthorized(_: Request, exc: Unauthorized) -> JSONResponse:
        return unauthorized(exc)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [
            {"field": _field(err.get("loc", ())), "message": err.get("msg", "invalid")}
            for err in exc.errors()
        ]
        names = ", ".join(f["field"] for f in fields)
        return problem(422, "Invalid request", f"invalid fields: {names}", errors=fields)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail) if exc.detail else "Error")

    @app.exception_handler(DomainError)
    async def on_domain_error(_: Request, exc: DomainError) -> JSONResponse:
        # The one error map: each DomainError carries its status and names its field.
        extra = {"errors": [{"field": exc.field, "message": exc.message}]} if exc.field else {}
        return problem(exc.status, exc.title, exc.message, **extra)

    async def on_unavailable(_: Request, exc: Exception) -> JSONResponse:
        return unavailable(exc)

    @app.exception_handler(psycopg.DataError)
    @app.exception_handler(DataError)
    async def on_unstorable(request: Request, exc: Exception) -> JSONResponse:
        # A value PostgreSQL cannot take (a NUL character in a text, a number out of
        # range) that no model refused first: the caller's input, never a 500.
        fields = [
            name for name, value in request.query_params.multi_items() if "\x00" in value
        ] or [name for name in request.path_params if "\x00" in request.path_params[name]]
        log.info("input the database refused: %s", exc)
        errors = [{"field": name, "message": "must not contain a NUL character"} for name in fields]
        return problem(422, "Invalid request", "a value cannot be stored", errors=errors)

    for error_type in UNAVAILABLE:
        app.add_exception_handler(error_type, on_unavailable)

    @app.exception_handler(RecordConflictError)
    async def on_conflict(_: Request, exc: RecordConflictError) -> JSONResponse:
        # Optimistic concurrency: someone changed the same aggregate first.
        return problem(409, "Conflict", "the resource was changed concurrently; retry")

    @app.exception_handler(Exception)
    async def on_error(_: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", exc_info=exc)
        return problem(500, "Internal error", "the error was logged")

    @app.get("/health", tags=["ops"])
    async def health() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok", "service": service}

    @app.get("/ready", tags=["ops"], responses={503: {"description": "not ready"}})
    async def ready() -> Response:
        """Readiness: every dependency answers."""
        results: dict[str, str] = {}
        ok = True
        for name, check in checks.items():
            try:
                await check()
                results[name] = "ok"
            except Exception as exc:
                ok = False
                results[name] = f"unavailable: {exc}"
        body = {"status": "ready" if ok else "not ready", "service": service, "checks": results}
        if ok:
            return JSONResponse(body)
        return problem(503, "Not ready", "a dependency is unavailable", checks=results)

    # Every route of a service checks who calls; only the routes a service names public
    # (signing in, its public keys) and the operations routes above do not. Another
    # service's token passes only where a route's ``allow`` names it.
    guards = [Depends(current_caller), Depends(services_only_where_allowed)]
    if token_url:
        # The docs' Authorize button signs in there (the OAuth 2 password grant) and sends
        # the token it gets; the check is current_caller's all the same.
        guards.append(Depends(OAuth2PasswordBearer(tokenUrl=token_url, auto_error=False)))
    for router in routers:
        app.include_router(router, dependencies=guards)
    for router in public_routers:
        app.include_router(router)
    return app


class TokenFirst:
    """Checks the token of a request for a guarded route before anything else: FastAPI
    reads a body (400 or 422 for a bad one) before it solves the route's dependencies, and
    a caller without a valid token must get 401 whatever he sends. The route's own check
    then finds the caller verified (``current_caller``)."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and any(
            route.matches(scope)[0] == Match.FULL for route in self.routes
        ):
            try:
                await authenticate(Request(scope))
            except Unauthorized as exc:
                await unauthorized(exc)(scope, receive, send)
                return
            except UNAVAILABLE as exc:
                await unavailable(exc)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def unauthorized(exc: Unauthorized) -> JSONResponse:
    response = problem(401, "Unauthorized", exc.message)
    response.headers["www-authenticate"] = "Bearer"
    return response


def unavailable(exc: Exception) -> JSONResponse:
    log.warning("dependency unavailable: %s", exc)
    response = problem(503, "Service unavailable", "a dependency is unavailable; retry")
    response.headers["retry-after"] = "1"
    return response
