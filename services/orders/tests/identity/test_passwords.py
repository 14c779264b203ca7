"""Passwords are hashed with Argon2 (pwdlib's recommended parameters) and only verified
against the hash."""

from __future__ import annotations

from oms_orders.identity.passwords import Passwords
from pwdlib.hashers.argon2 import Argon2Hasher


def test_a_password_is_hashed_with_argon2_and_verified() -> None:
    passwords = Passwords()
    hashed = passwords.hash("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert "correct horse battery" not in hashed
    assert hashed != passwords.hash("correct horse battery")  # salted
    assert passwords.verify("correct horse battery", hashed) == (True, None)


def test_a_wrong_password_does_not_verify() -> None:
    passwords = Passwords()
    hashed = passwords.hash("correct horse battery")
    assert passwords.verify("correct horse batterY", hashed)[0] is False
    assert passwords.verify("", hashed)[0] is False


def test_a_hash_of_older_parameters_verifies_and_is_renewed() -> None:
    old = Passwords(Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1)).hash("pass-word-12")
    matches, renewed = Passwords().verify("pass-word-12", old)
    assert matches and renewed is not None and renewed != old
    assert Passwords().verify("pass-word-12", renewed) == (True, None)


def test_checking_for_nobody_takes_a_hash_and_always_fails() -> None:
    passwords = Passwords()
    assert passwords.verify_nobody("anything at all") is False
    assert passwords.verify_nobody("") is False
