"""Access tokens: short-lived JWTs signed with the current key (EdDSA), carrying the
claims every service checks (DESIGN section 9): ``iss``, ``sub`` (the username, the
partner's client id, or ``service:<client id>`` for a service client), ``role``, the
``sales_rep_id`` / ``customer_id`` / ``partner_id`` the role stands for, ``iat``, ``exp``
and ``jti``."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar

import jwt

from oms_orders.identity.keys import Clock, SigningKeys, utc_now


@dataclass(frozen=True)
class AccessToken:
    access_token: str
    #: Seconds it is valid for.
    expires_in: int
    token_type: str = "bearer"  # noqa: S105 - the OAuth 2 token type, not a secret


class SignInRefused(Exception):
    """Wrong credentials, answered as RFC 6749 says: the ``error`` code and status, the
    same whatever was wrong (an unknown user, a disabled one, a wrong password)."""

    error: ClassVar[str]
    status: ClassVar[int]


class InvalidGrant(SignInRefused):
    """The username and password do not sign anybody in."""

    error = "invalid_grant"
    status = 400


class InvalidClient(SignInRefused):
    """The client id and secret do not sign any partner or service client in."""

    error = "invalid_client"
    status = 401


class TokenSigner:
    def __init__(
        self, keys: SigningKeys, issuer: str, lifetime: timedelta, clock: Clock = utc_now
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.lifetime = lifetime
        self.clock = clock

    def sign(self, subject: str, role: str, stands_for: Mapping[str, str]) -> AccessToken:
        kid, key = self.keys.signing_key()
        issued = int(self.clock().timestamp())
        lifetime_s = int(self.lifetime.total_seconds())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": subject,
            "role": role,
            **stands_for,
            "iat": issued,
            "exp": issued + lifetime_s,
            "jti": uuid.uuid4().hex,
        }
        token = jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": kid})
        return AccessToken(access_token=token, expires_in=lifetime_s)
