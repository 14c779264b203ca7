"""Routes of identity (DESIGN section 9): users, sales reps and partners (the admin's; sales
reps the back office's too), and signing in.

``public_router`` needs no token: ``POST /auth/token`` (RFC 6749: form-encoded, the
password and client-credentials grants, errors as ``{"error": ...}``) and
``GET /.well-known/jwks.json`` (the public keys every service verifies tokens with).
``build_router`` holds the others, behind the kit's token check like every route.

No answer carries a password hash; a partner's client secret appears once, in the answer
that made it (``Cache-Control: no-store``)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import Annotated, Any
from urllib.parse import parse_qsl, unquote_plus

import anyio
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from oms_kit.auth import BACK_OFFICE, CurrentUser, allow
from oms_kit.domain import NotFound
from oms_kit.http import Paging, problem
from pydantic import BaseModel, StringConstraints

from oms_orders.api.models import Email, Id, Text
from oms_orders.application import OrdersApplication
from oms_orders.domain.user import User
from oms_orders.identity.keys import SigningKeys
from oms_orders.identity.throttle import TooManyFailures
from oms_orders.identity.tokens import AccessToken, SignInRefused
from oms_orders.projections.sales_rep_list import SalesRepListView
from oms_orders.projections.user_list import UserFilter, UserListView

TOKEN_URL = "/auth/token"  # noqa: S105 - a path, not a secret

# Models -----------------------------------------------------------------------------------

Username = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
#: The length rules (at least 12) are the Application's, which names the field.
Password = Annotated[str, StringConstraints(max_length=1024)]


class UserCreate(BaseModel):
    username: Username
    password: Password
    role: Annotated[str, StringConstraints(max_length=50)]
    sales_rep_id: Id | None = None
    customer_id: Id | None = None
    partner_id: Id | None = None
    #: The company's (settings) when not given.
    language: Annotated[str, StringConstraints(max_length=10)] | None = None


class UserCreated(BaseModel):
    user_id: str
    username: str
    role: str


class UserPublic(BaseModel):
    user_id: str
    username: str
    role: str
    sales_rep_id: str | None
    customer_id: str | None
    partner_id: str | None
    language: str
    enabled: bool


class UserListPublic(BaseModel):
    items: list[UserPublic]
    next_cursor: str | None


class PasswordChange(BaseModel):
    current_password: Password
    new_password: Password


class SalesRepCreate(BaseModel):
    name: Text
    email: Email


class SalesRepPublic(BaseModel):
    sales_rep_id: str
    name: str
    email: str


class SalesRepListPublic(BaseModel):
    items: list[SalesRepPublic]
    next_cursor: str | None


class PartnerCreate(BaseModel):
    name: Text
    customer_id: Id


class PartnerCreated(BaseModel):
    partner_id: str
    name: str
    customer_id: str
    client_id: str
    #: Shown this once: only its hash is kept.
    client_secret: str


class PartnerPublic(BaseModel):
    partner_id: str
    name: str
    customer_id: str
    client_id: str
    enabled: bool


class PartnerSecretPublic(BaseModel):
    partner_id: str
    client_id: str
    #: Shown this once: only its hash is kept.
    client_secret: str


class SigningKeyPublic(BaseModel):
    kid: str


class TokenPublic(BaseModel):
    access_token: str
    token_type: str
    expires_in: int


class TokenErrorPublic(BaseModel):
    error: str
    error_description: str | None = None


class JwksPublic(BaseModel):
    keys: list[dict[str, Any]]


def user_public(user: User) -> UserPublic:
    return UserPublic(
        user_id=user.user_id,
        username=user.username,
        role=user.role,
        sales_rep_id=user.sales_rep_id,
        customer_id=user.customer_id,
        partner_id=user.partner_id,
        language=user.language,
        enabled=user.enabled,
    )


# Signing in -------------------------------------------------------------------------------

#: RFC 6749 section 5.1: token answers are never cached.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
#: A token request is a few short fields.
MAX_FORM_BYTES = 8192
#: The same words for every wrong credential: they must not tell what was wrong.
WRONG_CREDENTIALS = "the credentials are not valid"

TOKEN_FORM: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["grant_type"],
                    "properties": {
                        "grant_type": {
                            "type": "string",
                            "enum": ["password", "client_credentials"],
                        },
                        "username": {"type": "string", "description": "password grant"},
                        "password": {
                            "type": "string",
                            "format": "password",
                            "description": "password grant",
                        },
                        "client_id": {
                            "type": "string",
                            "description": "client credentials grant (or HTTP Basic)",
                        },
                        "client_secret": {
                            "type": "string",
                            "format": "password",
                            "description": "client credentials grant (or HTTP Basic)",
                        },
                        "scope": {"type": "string", "description": "ignored"},
                    },
                }
            }
        },
    }
}


class BadTokenRequest(Exception):
    """A token request refused before any credential is checked (RFC 6749 section 5.2)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


def oauth_error(
    error: str, description: str, status: int, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status,
        headers={**NO_STORE, **(headers or {})},
    )


async def read_form(request: Request) -> dict[str, str]:
    """The form-encoded body; each parameter at most once (RFC 6749 section 3.2)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/x-www-form-urlencoded":
        raise BadTokenRequest(
            "invalid_request", "the body must be application/x-www-form-urlencoded"
        )
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise BadTokenRequest("invalid_request", "the request is too large")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadTokenRequest("invalid_request", "the body is not a valid form") from exc
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise BadTokenRequest("invalid_request", f"{name} is given more than once")
        form[name] = value
    return form


def required(form: Mapping[str, str], name: str) -> str:
    value = form.get(name)
    if not value:
        raise BadTokenRequest("invalid_request", f"{name} is required")
    return value


def client_credentials(request: Request, form: Mapping[str, str]) -> tuple[str, str]:
    """The client id and secret, from HTTP Basic (RFC 6749 section 2.3.1: each
    form-encoded) or the form, not both."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return required(form, "client_id"), required(form, "client_secret")
    if "client_secret" in form:
        raise BadTokenRequest("invalid_request", "give the client's credentials one way")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise BadTokenRequest("invalid_client", WRONG_CREDENTIALS, status=401) from exc
    client_id, colon, secret = decoded.partition(":")
    client_id, secret = unquote_plus(client_id), unquote_plus(secret)
    if not colon or not client_id or form.get("client_id", client_id) != client_id:
        raise BadTokenRequest("invalid_client", WRONG_CREDENTIALS, status=401)
    return client_id, secret


def build_public_router(app: OrdersApplication, keys: SigningKeys) -> APIRouter:
    """The routes that need no token: signing in and the public keys."""
    router = APIRouter(tags=["identity"])

    @router.post(
        TOKEN_URL,
        openapi_extra=TOKEN_FORM,
        response_model=TokenPublic,
        responses={
            400: {"model": TokenErrorPublic, "description": "RFC 6749 error"},
            401: {"model": TokenErrorPublic, "description": "invalid_client"},
            429: {"model": TokenErrorPublic, "description": "too many failures: Retry-After"},
        },
    )
    async def issue_token(request: Request) -> JSONResponse:
        """A bearer token (RFC 6749): ``grant_type=password`` with ``username`` and
        ``password``, or ``grant_type=client_credentials`` with ``client_id`` and
        ``client_secret`` (in the form or as HTTP Basic). Wrong credentials answer alike
        whatever was wrong; repeated failures of one username, client or address are
        refused for a while (429, ``Retry-After``)."""
        address = request.client.host if request.client else "unknown"
        grant: Callable[[], AccessToken]
        try:
            form = await read_form(request)
            grant_type = form.get("grant_type")
            if grant_type == "password":
                username, password = required(form, "username"), required(form, "password")

                def grant() -> AccessToken:
                    return app.password_grant(username, password, address)

            elif grant_type == "client_credentials":
                client_id, secret = client_credentials(request, form)

                def grant() -> AccessToken:
                    return app.client_grant(client_id, secret, address)

            elif not grant_type:
                raise BadTokenRequest("invalid_request", "grant_type is required")
            else:
                raise BadTokenRequest(
                    "unsupported_grant_type", "grant_type must be password or client_credentials"
                )
            token = await anyio.to_thread.run_sync(grant)
        except BadTokenRequest as bad:
            basic = {"WWW-Authenticate": 'Basic realm="oms"'} if bad.status == 401 else None
            return oauth_error(bad.error, bad.description, bad.status, basic)
        except SignInRefused as refused:
            basic = {"WWW-Authenticate": 'Basic realm="oms"'} if refused.status == 401 else None
            return oauth_error(refused.error, WRONG_CREDENTIALS, refused.status, basic)
        except TooManyFailures as slow:
            return oauth_error(
                "slow_down",
                "too many failed sign-ins: retry later",
                429,
                {"Retry-After": str(slow.retry_after_s)},
            )
        return JSONResponse(
            {
                "access_token": token.access_token,
                "token_type": token.token_type,
                "expires_in": token.expires_in,
            },
            headers=NO_STORE,
        )

    @router.get("/.well-known/jwks.json")
    def public_keys(response: Response) -> JwksPublic:
        """The public keys that verify this service's tokens (JWKS, RFC 7517): the
        current one and those retired while tokens they signed are still valid."""
        response.headers["Cache-Control"] = "public, max-age=60"
        return JwksPublic(keys=keys.published())

    return router


# Users, sales reps, partners, keys --------------------------------------------------------


def build_router(
    app: OrdersApplication, users: UserListView, sales_reps: SalesRepListView
) -> APIRouter:
    """The identity routes behind the token check."""
    router = APIRouter(tags=["identity"])
    admin_only = [allow()]

    @router.post("/users", status_code=201, dependencies=admin_only)
    def register_user(body: UserCreate) -> UserCreated:
        """A new user; 409 when the username is taken (letter case aside). The record
        the role stands for (``sales_rep_id``, ``customer_id``, ``partner_id``) must
        exist."""
        user = app.register_user(**body.model_dump())
        return UserCreated(user_id=user.user_id, username=user.username, role=user.role)

    @router.get("/users/me")
    def get_me(caller: CurrentUser) -> UserPublic:
        """The signed-in user's own record (a partner client has none: 404)."""
        user = app.find_user(caller.subject)
        if user is None:
            raise NotFound(f"no user {caller.subject}", field="user")
        return user_public(user)

    @router.post(
        "/users/me/password",
        status_code=204,
        responses={429: {"description": "too many wrong passwords: Retry-After"}},
    )
    def change_password(body: PasswordChange, caller: CurrentUser) -> Response:
        """The signed-in user changes his password, giving the current one (after
        repeated wrong ones, 429 for a while)."""
        if app.find_user(caller.subject) is None:
            raise NotFound(f"no user {caller.subject}", field="user")
        try:
            app.change_password(caller.subject, body.current_password, body.new_password)
        except TooManyFailures as slow:
            answer = problem(429, "Too many attempts", "too many wrong passwords: retry later")
            answer.headers["Retry-After"] = str(slow.retry_after_s)
            return answer
        return Response(status_code=204)

    @router.get("/users", dependencies=admin_only)
    def list_users(
        paging: Paging, role: str | None = None, enabled: bool | None = None
    ) -> UserListPublic:
        """By username."""
        page = users.list_users(UserFilter(role=role, enabled=enabled), paging)
        return UserListPublic(
            items=[UserPublic.model_validate(user, from_attributes=True) for user in page.items],
            next_cursor=page.next_cursor,
        )

    @router.post("/users/{user_id}/disable", dependencies=admin_only)
    def disable_user(user_id: str, caller: CurrentUser) -> UserPublic:
        """He can no longer sign in; the tokens he holds expire within their short life."""
        return user_public(app.disable_user(user_id, by=caller.subject))

    @router.post("/users/{user_id}/enable", dependencies=admin_only)
    def enable_user(user_id: str) -> UserPublic:
        return user_public(app.enable_user(user_id))

    @router.post("/sales-reps", status_code=201, dependencies=[allow(BACK_OFFICE)])
    def register_sales_rep(body: SalesRepCreate) -> SalesRepPublic:
        rep = app.register_sales_rep(name=body.name, email=body.email)
        return SalesRepPublic(sales_rep_id=rep.sales_rep_id, name=rep.name, email=rep.email)

    @router.get("/sales-reps", dependencies=[allow(BACK_OFFICE)])
    def list_sales_reps(paging: Paging) -> SalesRepListPublic:
        """By name."""
        page = sales_reps.list_sales_reps(paging)
        return SalesRepListPublic(
            items=[SalesRepPublic.model_validate(rep, from_attributes=True) for rep in page.items],
            next_cursor=page.next_cursor,
        )

    @router.post("/partners", status_code=201, dependencies=admin_only)
    def register_partner(body: PartnerCreate, response: Response) -> PartnerCreated:
        """A partner client booking its orders to ``customer_id``; its client secret is
        shown this once."""
        partner, secret = app.register_partner(name=body.name, customer_id=body.customer_id)
        response.headers.update(NO_STORE)
        return PartnerCreated(
            partner_id=partner.partner_id,
            name=partner.name,
            customer_id=partner.customer_id,
            client_id=partner.client_id,
            client_secret=secret,
        )

    @router.post("/partners/{partner_id}/rotate-secret", dependencies=admin_only)
    def rotate_partner_secret(partner_id: str, response: Response) -> PartnerSecretPublic:
        """A new client secret, shown this once; the old one stops working now."""
        partner, secret = app.rotate_partner_secret(partner_id)
        response.headers.update(NO_STORE)
        return PartnerSecretPublic(
            partner_id=partner.partner_id, client_id=partner.client_id, client_secret=secret
        )

    @router.post("/partners/{partner_id}/disable", dependencies=admin_only)
    def disable_partner(partner_id: str) -> PartnerPublic:
        """Its client can no longer sign in; the tokens it holds expire within their short
        life."""
        partner = app.disable_partner(partner_id)
        return PartnerPublic(
            partner_id=partner.partner_id,
            name=partner.name,
            customer_id=partner.customer_id,
            client_id=partner.client_id,
            enabled=partner.enabled,
        )

    @router.post("/auth/keys/rotate", dependencies=admin_only)
    def rotate_signing_key() -> SigningKeyPublic:
        """A new current signing key; tokens signed with the old one verify until they
        expire, then it leaves the JWKS."""
        return SigningKeyPublic(kid=app.rotate_signing_key())

    return router
