"""Tokens for tests: a throw-away Ed25519 key that signs tokens for any role, published
as a JWKS file that services read through ``OMS_AUTH_JWKS_URL=file://...``, the same way
they read the orders service's keys over HTTP. Also the tokens a verifier must refuse:
expired, signed with another key, and ``alg: none``."""

from __future__ import annotations

import base64
import json
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm
from oms_kit.auth import KeysVerifier, TokenVerifier

ISSUER = "oms"


class TestIssuer:
    """Signs tokens as the orders service would (EdDSA, ``kid`` in the header)."""

    __test__ = False  # not a test class, whatever pytest thinks of its name

    def __init__(self, folder: Path, issuer: str = ISSUER) -> None:
        self.issuer = issuer
        self.kid = f"test-{uuid.uuid4().hex[:8]}"
        self._key = Ed25519PrivateKey.generate()
        jwk: dict[str, Any] = json.loads(OKPAlgorithm.to_jwk(self._key.public_key()))
        jwk.update({"kid": self.kid, "use": "sig", "alg": "EdDSA"})
        folder.mkdir(parents=True, exist_ok=True)
        self.jwks_file = folder / "jwks.json"
        self.jwks_file.write_text(json.dumps({"keys": [jwk]}))

    @property
    def jwks_url(self) -> str:
        return self.jwks_file.resolve().as_uri()

    @property
    def verifier(self) -> TokenVerifier:
        public = self._key.public_key()

        def key(kid: str) -> Any:
            if kid != self.kid:
                raise KeyError(kid)
            return public

        return KeysVerifier(key, self.issuer)

    def env(self) -> dict[str, str]:
        """What a service process needs to accept this issuer's tokens."""
        return {"OMS_AUTH_JWKS_URL": self.jwks_url, "OMS_AUTH_ISSUER": self.issuer}

    def claims(self, role: str, sub: str | None = None, **ids: str | None) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": sub or f"{role}-user",
            "role": role,
            "iat": now,
            "exp": now + 3600,
        }
        claims.update({name: value for name, value in ids.items() if value is not None})
        return claims

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self._key, algorithm="EdDSA", headers={"kid": self.kid})

    def token(self, role: str, sub: str | None = None, **ids: str | None) -> str:
        """A valid token for ``role``; ``ids`` are sales_rep_id, customer_id, partner_id."""
        return self.sign(self.claims(role, sub, **ids))

    def headers(self, role: str, sub: str | None = None, **ids: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role, sub, **ids)}"}

    def expired_token(self, role: str = "admin") -> str:
        claims = self.claims(role)
        claims.update({"iat": claims["iat"] - 7200, "exp": claims["iat"] - 3600})
        return self.sign(claims)

    def forged_token(self, role: str = "admin") -> str:
        """Right claims and key id, signed with another key."""
        other = Ed25519PrivateKey.generate()
        return jwt.encode(self.claims(role), other, algorithm="EdDSA", headers={"kid": self.kid})

    def none_token(self, role: str = "admin") -> str:
        """``alg: none``: a token with no signature at all."""

        def part(value: dict[str, Any]) -> str:
            return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

        header = {"alg": "none", "typ": "JWT", "kid": self.kid}
        return f"{part(header)}.{part(self.claims(role))}."
