"""Tokens: the claims of DESIGN section 9, signed with the current key (EdDSA), short-lived,
verified by the kit's KeysVerifier."""

from __future__ import annotations

import json
from datetime import timedelta

import jwt
import pytest
from oms_kit.auth import ADMIN, CUSTOMER, PARTNER, SALES_REP, Caller, KeysVerifier, Unauthorized
from oms_orders.identity.keys import MemoryKeyTable, SigningKeys
from oms_orders.identity.tokens import TokenSigner

from .conftest import Clock


@pytest.fixture
def keys(clock: Clock) -> SigningKeys:
    return SigningKeys(
        MemoryKeyTable(), lambda: b"key-password-for-tests", timedelta(minutes=15), clock
    )


@pytest.fixture
def signer(keys: SigningKeys, clock: Clock) -> TokenSigner:
    return TokenSigner(keys, "oms", timedelta(minutes=15), clock)


def test_a_token_carries_the_claims_and_expires_soon(
    keys: SigningKeys, signer: TokenSigner, clock: Clock
) -> None:
    token = signer.sign("rita", SALES_REP, {"sales_rep_id": "rep-1"})
    assert (token.token_type, token.expires_in) == ("bearer", 900)
    header = jwt.get_unverified_header(token.access_token)
    assert header["alg"] == "EdDSA" and header["kid"] == keys.ensure()
    claims = jwt.decode(token.access_token, options={"verify_signature": False})
    now = int(clock().timestamp())
    assert claims.pop("jti")
    assert claims == {
        "iss": "oms",
        "sub": "rita",
        "role": SALES_REP,
        "sales_rep_id": "rep-1",
        "iat": now,
        "exp": now + 900,
    }
    assert signer.sign("rita", SALES_REP, {"sales_rep_id": "rep-1"}).access_token != (
        token.access_token
    )  # a new jti each time


@pytest.mark.parametrize(
    ("role", "stands_for"),
    [
        (ADMIN, {}),
        (SALES_REP, {"sales_rep_id": "rep-1"}),
        (CUSTOMER, {"customer_id": "cust-1"}),
        (PARTNER, {"partner_id": "partner-1"}),
    ],
)
def test_the_kits_verifier_reads_the_caller_from_it(
    keys: SigningKeys, signer: TokenSigner, role: str, stands_for: dict[str, str]
) -> None:
    verifier = KeysVerifier(keys.public_key, "oms")
    caller = verifier.verify(signer.sign("someone", role, stands_for).access_token)
    assert caller == Caller(subject="someone", role=role, **stands_for)


def test_an_expired_or_altered_token_is_refused(
    keys: SigningKeys, signer: TokenSigner, clock: Clock
) -> None:
    verifier = keys.verifier("oms")
    clock.advance(minutes=-16)  # issued 16 minutes ago: expired (beyond the leeway)
    expired = signer.sign("ana", ADMIN, {}).access_token
    with pytest.raises(Unauthorized):
        verifier.verify(expired)
    clock.advance(minutes=16)
    header, payload, signature = signer.sign(
        "ana", CUSTOMER, {"customer_id": "c-1"}
    ).access_token.split(".")
    claims = jwt.decode(f"{header}.{payload}.{signature}", options={"verify_signature": False})
    claims["customer_id"] = "c-2"
    forged_payload = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    with pytest.raises(Unauthorized):
        verifier.verify(f"{header}.{forged_payload}.{signature}")
