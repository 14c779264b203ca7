"""Who calls (DESIGN section 9), decided once for every service: the bearer token's
signature, issuer, expiry and role are checked on every route; the caller's scope (what
part of the customers' records he may see) is derived from its claims and applied by each
service's queries.

Tokens are JWTs signed with an asymmetric key. The orders service issues them and
publishes its public keys at ``/.well-known/jwks.json``; every service verifies with the
keys found at ``OMS_AUTH_JWKS_URL`` (so a deployment may point it at its own OIDC
provider, with ``OMS_AUTH_ISSUER``).

Besides people and partners' clients, another service of the deployment may sign in with
a credential of its own (role ``service``, subject ``service:<client id>``): it reaches the
few routes whose ``allow`` names it, every customer's records there, and nothing else (403
on every other route, checked with the token on every guarded route)."""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.parse
import urllib.request
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

import anyio
import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from oms_kit.context import set_actor
from oms_kit.domain import DomainError
from oms_kit.paging import Where

log = logging.getLogger(__name__)

ADMIN = "admin"
BACK_OFFICE = "back_office"
WAREHOUSE = "warehouse"
SALES_REP = "sales_rep"
CUSTOMER = "customer"
PARTNER = "partner"
#: Another service of the deployment, signed in with a credential of its own (the
#: notifications service fetching the documents it attaches to e-mails). Not staff: it
#: stands for nobody and may call only the routes that name it in ``allow(...)``; every
#: other route answers it 403, whatever its scope (``Scope.of``: everything).
SERVICE = "service"
#: The roles a user (or a partner's client) may have.
ROLES = (ADMIN, BACK_OFFICE, WAREHOUSE, SALES_REP, CUSTOMER, PARTNER)
#: The roles a token may carry: a user's, or a service's.
TOKEN_ROLES = (*ROLES, SERVICE)
#: The subject of a service's token: ``service:<client id>``.
SERVICE_SUBJECT_PREFIX = "service:"
#: Roles that see every customer's records.
STAFF = frozenset({ADMIN, BACK_OFFICE})
#: The claim naming whom a role stands for (a rep, a customer, a partner).
ROLE_CLAIMS: Mapping[str, str] = {
    SALES_REP: "sales_rep_id",
    CUSTOMER: "customer_id",
    PARTNER: "partner_id",
}

#: Signature algorithms accepted: the orders service signs with EdDSA (Ed25519); an OIDC
#: provider commonly with RS256 or ES256. Never "none", never a shared-secret HS*.
ALGORITHMS = ["EdDSA", "ES256", "RS256"]
#: Clock skew tolerated between the issuer and this service.
LEEWAY_S = 30


class Unauthorized(Exception):
    """No valid token: 401. The reason is logged by nobody and shown only generically."""

    def __init__(self, message: str = "a valid bearer token is required") -> None:
        super().__init__(message)
        self.message = message


class KeysUnavailable(Exception):
    """The token names a key that cannot be looked up now: the keys' source does not answer
    (503, not 401: the token may well be valid)."""


class Forbidden(DomainError):
    """The caller's role may not take this action (403)."""

    status = 403
    title = "Forbidden"


@dataclass(frozen=True)
class Caller:
    """The signed-in person or client, from the token's claims."""

    subject: str
    role: str
    sales_rep_id: str | None = None
    customer_id: str | None = None
    partner_id: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF

    @property
    def is_service(self) -> bool:
        return self.role == SERVICE

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Caller:
        subject, role = claims.get("sub"), claims.get("role")
        if not isinstance(subject, str) or not subject or role not in TOKEN_ROLES:
            raise Unauthorized("the token names no known role")
        if role == SERVICE:
            # A service stands for nobody: whatever else its token says is not kept.
            if not subject.startswith(SERVICE_SUBJECT_PREFIX) or subject == SERVICE_SUBJECT_PREFIX:
                raise Unauthorized(
                    f"a service token's subject must be {SERVICE_SUBJECT_PREFIX}<id>"
                )
            return cls(subject=subject, role=SERVICE)
        stands_for = ROLE_CLAIMS.get(str(role))
        if stands_for and not isinstance(claims.get(stands_for), str):
            raise Unauthorized(f"a {role} token must carry {stands_for}")
        return cls(
            subject=subject,
            role=str(role),
            sales_rep_id=_text(claims.get("sales_rep_id")),
            customer_id=_text(claims.get("customer_id")),
            partner_id=_text(claims.get("partner_id")),
        )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


class TokenVerifier(Protocol):
    def verify(self, token: str) -> Caller: ...


class KeysVerifier:
    """Verifies with the public keys a callable gives (by key id): the issuer's own keys,
    or keys fetched from a JWKS document."""

    def __init__(self, keys: Callable[[str], Any], issuer: str) -> None:
        self._keys = keys
        self.issuer = issuer

    def verify(self, token: str) -> Caller:
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") not in ALGORITHMS:
                raise Unauthorized("the token's algorithm is not accepted")
            kid = header.get("kid")
            if not isinstance(kid, str):
                raise Unauthorized("the token names no key")
            key = self._keys(kid)
            claims = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                issuer=self.issuer,
                leeway=LEEWAY_S,
                options={"require": ["exp", "iat", "iss", "sub"], "verify_aud": False},
            )
        except (jwt.PyJWTError, KeyError, ValueError) as exc:
            raise Unauthorized() from exc
        return Caller.from_claims(claims)


class JwksVerifier(KeysVerifier):
    """Verifies with the keys published at ``jwks_url`` (``https``, ``http`` or, for
    tests and static deployments, ``file``). They are kept for a while and fetched again
    when a token names a key not seen yet (a rotated key), at most every few seconds."""

    #: How long fetched keys are used before being fetched again.
    keep_s = 300.0
    #: Least time between two fetches for an unknown key (a flood of made-up key ids
    #: must not become a flood of fetches).
    refetch_s = 5.0

    def __init__(self, jwks_url: str, issuer: str) -> None:
        scheme = urllib.parse.urlsplit(jwks_url).scheme
        if scheme not in ("https", "http", "file"):
            raise ValueError(f"auth_jwks_url must be https, http or file, not {scheme!r}")
        self.jwks_url = jwks_url
        self._keys_by_id: dict[str, Any] = {}
        self._fetched_at = -1e9
        #: Whether the last fetch got the keys (an unknown key is then a bad token).
        self._answered = False
        self._lock = threading.Lock()
        super().__init__(self._key, issuer)

    def _key(self, kid: str) -> Any:
        with self._lock:
            now = time.monotonic()
            stale = now - self._fetched_at > self.keep_s
            if stale or (kid not in self._keys_by_id and now - self._fetched_at > self.refetch_s):
                fetched = self._fetch()
                self._fetched_at = now
                self._answered = fetched is not None
                if fetched is not None:
                    self._keys_by_id = fetched
            if kid not in self._keys_by_id and not self._answered:
                raise KeysUnavailable(f"the token keys at {self.jwks_url} cannot be read")
            return self._keys_by_id[kid]

    def _fetch(self) -> dict[str, Any] | None:
        """The published keys by id; None when they cannot be read (what we had is kept)."""
        try:
            with urllib.request.urlopen(self.jwks_url, timeout=5) as answer:  # noqa: S310 - scheme checked
                document = json.load(answer)
            keys = jwt.PyJWKSet.from_dict(document).keys
        except (OSError, ValueError, jwt.PyJWTError) as exc:
            log.warning("cannot read the token keys at %s: %s", self.jwks_url, exc)
            return None
        return {key.key_id: key.key for key in keys if key.key_id}


_bearer = HTTPBearer(
    auto_error=False,
    description="An access token from the orders service's `POST /auth/token`.",
)


#: Where a request keeps its verified caller (its token is verified once).
CALLER_KEY = "oms.caller"


async def current_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """The verified caller of this request (401 otherwise); the actor of every event the
    request stores is the token's subject."""
    known = request.scope.get(CALLER_KEY)
    if isinstance(known, Caller):
        caller = known
    else:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise Unauthorized()
        verifier: TokenVerifier = request.app.state.verifier
        caller = await anyio.to_thread.run_sync(verifier.verify, credentials.credentials)
        request.scope[CALLER_KEY] = caller
    set_actor(caller.subject)
    return caller


async def authenticate(request: Request) -> Caller:
    """``current_caller`` outside FastAPI's dependencies: before the body is read."""
    return await current_caller(request, await _bearer(request))


#: The signed-in caller; a route that names it is still guarded by the app's own check.
CurrentUser = Annotated[Caller, Depends(current_caller)]


#: The roles each ``allow`` check lets through, by the check (read off a route by
#: ``open_to_services``).
_ALLOWED: weakref.WeakKeyDictionary[Callable[..., Any], frozenset[str]] = (
    weakref.WeakKeyDictionary()
)


def allow(*roles: str) -> Any:
    """A route dependency: 403 unless the caller's role is one of ``roles``
    (admin may do everything; a service only where it is named)."""
    permitted = frozenset(roles) | {ADMIN}

    async def check(caller: CurrentUser) -> Caller:
        if caller.role not in permitted:
            raise Forbidden(f"a {caller.role} may not do this")
        return caller

    _ALLOWED[check] = permitted
    return Depends(check)


def open_to_services(route: Any) -> bool:
    """Whether ``route`` lets a service's token through: every ``allow`` on it (the
    router's and its own) names ``SERVICE``, and there is at least one."""
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return False
    allowed: list[frozenset[str]] = []
    pending = list(dependant.dependencies)
    while pending:
        dependency = pending.pop()
        roles = _allowed_by(dependency.call)
        if roles is not None:
            allowed.append(roles)
        pending.extend(dependency.dependencies)
    return bool(allowed) and all(SERVICE in roles for roles in allowed)


def _allowed_by(call: Any) -> frozenset[str] | None:
    """The roles ``call`` lets through if it is an ``allow`` check."""
    try:
        return _ALLOWED.get(call)
    except TypeError:  # not an allow check: it cannot even be weakly referred to
        return None


async def services_only_where_allowed(request: Request, caller: CurrentUser) -> Caller:
    """Every guarded route's check, after the token's: a service's token answers 403
    unless the route names ``SERVICE`` in its ``allow`` (a route that relies only on the
    caller's scope would otherwise show a service everything). Closed by default, so a
    route added later is closed to services too."""
    if caller.is_service and not open_to_services(request.scope.get("route")):
        raise Forbidden(f"a {SERVICE} may not do this")
    return caller


@dataclass(frozen=True)
class Scope:
    """Whose customer records a caller may see: all of them (staff, and a service on the
    routes open to it), one customer's (a customer), a portfolio's (a sales rep: the
    customers whose rep he is now), or none (every other role). Each service applies it
    in every query, with the table where it keeps which rep each customer has."""

    everything: bool = False
    customer_id: str | None = None
    sales_rep_id: str | None = None

    @classmethod
    def of(cls, caller: Caller) -> Scope:
        # A service reads any customer's documents, on the few routes open to it (the
        # others refuse it before any scope is applied: ``services_only_where_allowed``).
        if caller.is_staff or caller.is_service:
            return cls(everything=True)
        if caller.role == CUSTOMER:
            return cls(customer_id=caller.customer_id)
        if caller.role == SALES_REP:
            return cls(sales_rep_id=caller.sales_rep_id)
        return cls()

    def restrict(self, where: Where, *, column: str, portfolio: str) -> Where:
        """Add to ``where`` the condition that ``column`` (a customer id) is within reach;
        ``portfolio`` is the service's table of (customer_id, sales_rep_id)."""
        if self.everything:
            return where
        if self.customer_id is not None:
            return where.add(f"{column} = %s", self.customer_id)
        if self.sales_rep_id is not None:
            return where.add(
                f"{column} IN (SELECT customer_id FROM {portfolio} WHERE sales_rep_id = %s)",
                self.sales_rep_id,
            )
        return where.add("false")

    def allows(self, customer_id: str, rep_of: Callable[[str], str | None]) -> bool:
        """Whether one customer's record is within reach (``rep_of`` tells his rep now)."""
        if self.everything:
            return True
        if self.customer_id is not None:
            return customer_id == self.customer_id
        if self.sales_rep_id is not None:
            return rep_of(customer_id) == self.sales_rep_id
        return False
