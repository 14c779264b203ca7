"""The signing keys: made once, encrypted with the keys' password, rotated; a retired key
verifies (and stays in the JWKS) until the last token it signed has expired."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from oms_dev.auth import TestIssuer
from oms_kit.auth import ADMIN, Unauthorized
from oms_orders.identity.keys import KeyPasswordWrong, MemoryKeyTable, SigningKeys
from oms_orders.identity.tokens import TokenSigner
from oms_orders.settings import MissingKeyPassword, Settings

from .conftest import Clock

LIFETIME = timedelta(minutes=15)
PASSWORD = b"key-password-for-tests"


def ring(
    clock: Clock, table: MemoryKeyTable | None = None, password: bytes = PASSWORD
) -> SigningKeys:
    return SigningKeys(table or MemoryKeyTable(), lambda: password, LIFETIME, clock)


def test_the_first_key_is_made_once_and_kept_encrypted(clock: Clock) -> None:
    keys = ring(clock)
    kid = keys.ensure()
    assert keys.ensure() == kid
    (record,) = keys.table.records()
    assert record.kid == kid and record.retired_at is None
    assert record.private_pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert keys.published() == [record.public_jwk]
    assert record.public_jwk["kid"] == kid
    assert (record.public_jwk["kty"], record.public_jwk["crv"]) == ("OKP", "Ed25519")
    assert (record.public_jwk["alg"], record.public_jwk["use"]) == ("EdDSA", "sig")
    assert "d" not in record.public_jwk  # no private part


def test_a_key_stored_under_another_password_does_not_open(clock: Clock) -> None:
    table = MemoryKeyTable()
    ring(clock, table).ensure()
    with pytest.raises(KeyPasswordWrong, match="OMS_AUTH_KEY_PASSWORD"):
        ring(clock, table, password=b"another-password").ensure()


def test_the_key_password_is_required_outside_the_dev_stack() -> None:
    production = Settings(pg_dsn="postgresql://db/oms")
    with pytest.raises(MissingKeyPassword, match="OMS_AUTH_KEY_PASSWORD"):
        production.signing_key_password()
    given = Settings(pg_dsn="postgresql://db/oms", auth_key_password="a-long-key-password")
    assert given.signing_key_password() == b"a-long-key-password"
    dev = Settings(pg_dsn="postgresql://db/oms", dev_stack=True)
    assert dev.signing_key_password()  # the dev stack's throw-away one
    with pytest.raises(ValueError, match="at least 12"):
        Settings(pg_dsn="postgresql://db/oms", auth_key_password="short")


def test_a_retired_key_verifies_until_its_last_token_expires_then_leaves_the_jwks(
    clock: Clock,
) -> None:
    keys = ring(clock)
    signer = TokenSigner(keys, "oms", LIFETIME, clock)
    verifier = keys.verifier("oms")
    old_kid = keys.ensure()
    old_token = signer.sign("ana", ADMIN, {}).access_token

    clock.advance(minutes=10)
    new_kid = keys.rotate()
    assert new_kid != old_kid
    new_token = signer.sign("ana", ADMIN, {}).access_token
    assert jwt.get_unverified_header(new_token)["kid"] == new_kid
    assert [jwk["kid"] for jwk in keys.published()] == [new_kid, old_kid]
    assert verifier.verify(old_token).subject == "ana"

    # The old token expires 5 minutes after the rotation; a token the old key signed
    # just before it was retired would expire 15 minutes after it (plus the leeway).
    clock.advance(minutes=15)
    assert [jwk["kid"] for jwk in keys.published()] == [new_kid, old_kid]
    clock.advance(seconds=31)
    assert [jwk["kid"] for jwk in keys.published()] == [new_kid]
    with pytest.raises(KeyError):
        keys.public_key(old_kid)
    assert keys.public_key(new_kid) is not None


def test_keys_retired_long_ago_are_deleted_at_a_later_rotation(clock: Clock) -> None:
    keys = ring(clock)
    first = keys.ensure()
    second = keys.rotate()
    clock.advance(hours=1)
    third = keys.rotate()
    assert [r.kid for r in keys.table.records()] == [second, third]
    assert first not in {jwk["kid"] for jwk in keys.published()}


def test_a_key_made_in_another_process_is_read_when_a_token_names_it(clock: Clock) -> None:
    table = MemoryKeyTable()
    here, there = ring(clock, table), ring(clock, table)
    here.ensure()
    verifier = here.verifier("oms")
    assert verifier  # keys read once
    here.public_key(here.ensure())
    there.rotate()
    token = TokenSigner(there, "oms", LIFETIME, clock).sign("ana", ADMIN, {}).access_token
    here.reread_s = 0.0
    assert verifier.verify(token).subject == "ana"


def test_tokens_of_another_issuer_or_key_do_not_verify(clock: Clock, tmp_path: object) -> None:
    keys = ring(clock)
    keys.ensure()
    verifier = keys.verifier("oms")
    foreign = TestIssuer(tmp_path)  # type: ignore[arg-type]
    with pytest.raises(Unauthorized):
        verifier.verify(foreign.token(ADMIN))  # a key id this service never made
    with pytest.raises(Unauthorized):
        verifier.verify(foreign.none_token(ADMIN))
    other_issuer = TokenSigner(keys, "someone-else", LIFETIME, clock).sign("ana", ADMIN, {})
    with pytest.raises(Unauthorized):
        verifier.verify(other_issuer.access_token)
